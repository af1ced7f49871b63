// Fused cross-entropy (log_softmax + pick the target) with ignore_index, and dropout masks.
#include <bertology/tensor/backend.h>
#include <bertology/tensor/kernels/dispatch.h>
#include <bertology/tensor/kernels/kernel_helpers.h>
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/kernels/on_device.h>
#include <bertology/tensor/parallel.h>

#include <cmath>

namespace bertology::kernels {

void check_cross_entropy_operands(const Tensor& logits, const Tensor& target) {
  if (logits.dim() != 2 || target.dim() != 1 || target.size(0) != logits.size(0))
    throw Error(concat("cross_entropy: expected logits (N, C) and target (N), got ", logits.shape_str(), " and ",
                       target.shape_str()));
  if (target.dtype() != DType::Int64)
    throw Error(concat("cross_entropy: target must be int64, got ", dtype_name(target.dtype())));
}

CrossEntropyResult cross_entropy(const Tensor& logits, const Tensor& target_in, int64_t ignore_index) {
  if constexpr (kCudaBuilt)
    if (logits.device().is_cuda()) {
      require_same_device(logits, target_in, "cross_entropy");
      return cuda::cross_entropy(logits, target_in, ignore_index);
    }
  check_cross_entropy_operands(logits, target_in);
  Tensor target = contiguous(target_in);
  const int64_t n = logits.size(0), c = logits.size(1);
  const int64_t* t = target.data<int64_t>();
  for (int64_t i = 0; i < n; ++i)
    if (t[i] != ignore_index && (t[i] < 0 || t[i] >= c))
      throw Error(concat("cross_entropy: target ", t[i], " at row ", i, " out of range for ", c, " classes"));
  CrossEntropyResult res{Tensor::empty({n}, logits.dtype()), log_softmax(logits)};
  dispatch_floating(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    const T* lp = res.log_probs.data<T>();
    T* out = res.losses.data<T>();
    for (int64_t i = 0; i < n; ++i) out[i] = t[i] == ignore_index ? T(0) : -lp[i * c + t[i]];
  });
  return res;
}

Tensor cross_entropy_backward(const Tensor& log_probs, const Tensor& target_in, const Tensor& dloss_in,
                              int64_t ignore_index) {
  if constexpr (kCudaBuilt)
    if (log_probs.device().is_cuda()) {
      require_same_device(log_probs, target_in, "cross_entropy_backward");
      return cuda::cross_entropy_backward(log_probs, target_in, dloss_in, ignore_index);
    }
  Tensor target = contiguous(target_in), dloss = contiguous(dloss_in);
  const int64_t n = log_probs.size(0), c = log_probs.size(1);
  Tensor dx = Tensor::empty(log_probs.sizes(), log_probs.dtype());
  const int64_t* t = target.data<int64_t>();
  dispatch_floating(log_probs.dtype(), "cross_entropy_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* lp = log_probs.data<T>();
    const T* g = dloss.data<T>();
    T* o = dx.data<T>();
    parallel_for(n, std::max<int64_t>(1, 8192 / std::max<int64_t>(c, 1)), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        T* row = o + i * c;
        if (t[i] == ignore_index) {
          for (int64_t j = 0; j < c; ++j) row[j] = 0;
          continue;
        }
        for (int64_t j = 0; j < c; ++j) row[j] = std::exp(lp[i * c + j]) * g[i];
        row[t[i]] -= g[i];
      }
    });
  });
  return dx;
}

Tensor dropout_mask(const Shape& shape, double p, Generator& gen, DType dtype) {
  Tensor mask = Tensor::empty(shape, DType::Float64);
  double* m = mask.data<double>();
  const double keep_scale = 1.0 / (1.0 - p);
  for (int64_t i = 0, n = mask.numel(); i < n; ++i) m[i] = gen.uniform() < p ? 0.0 : keep_scale;
  return convert(mask, dtype);
}

}  // namespace bertology::kernels
