// CUDA cross-entropy with ignore_index: log_softmax (rowwise.cu) then pick the target, and its
// backward. Targets are range-checked on the host like tensor/kernels/loss.cpp.
#include <bertology/tensor/cuda/cuda_check.h>
#include <bertology/tensor/cuda/cuda_kernels.h>
#include <bertology/tensor/cuda/host_helpers.h>
#include <bertology/tensor/kernels/dispatch.h>
#include <bertology/tensor/kernels/kernel_helpers.h>
#include <bertology/tensor/kernels/on_device.h>

#include <algorithm>
#include <vector>

namespace bertology::cuda {
namespace {

using kernels::require_same_device;

// ---- kernels: one thread per output element, in steps of the whole grid -------------------------

__device__ inline float exp_of(float v) { return expf(v); }
__device__ inline double exp_of(double v) { return exp(v); }

// losses (n)[i] = -log_probs (n, c)[i, target[i]], or 0 where target[i] == ignore_index.
template <class T>
__global__ void pick_target_kernel(const T* log_probs, const int64_t* target, T* losses, int64_t n, int64_t c,
                                   int64_t ignore_index) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t t = target[i];
    losses[i] = t == ignore_index ? T(0) : -log_probs[i * c + t];
  }
}

// dx (n, c)[i, j] = exp(log_probs[i, j]) * dloss[i] - (j == target[i] ? dloss[i] : 0), 0 on ignored rows.
// A target out of [0, c) only loses its one-hot term (the forward rejected such targets).
template <class T>
__global__ void cross_entropy_backward_kernel(const T* log_probs, const int64_t* target, const T* dloss, T* dx,
                                              int64_t n, int64_t c, int64_t ignore_index) {
  const int64_t total = n * c;
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = e / c, j = e % c;
    const int64_t t = target[i];
    if (t == ignore_index) {
      dx[e] = T(0);
      continue;
    }
    const T g = dloss[i];
    T v = exp_of(log_probs[e]) * g;
    if (j == t) v -= g;
    dx[e] = v;
  }
}

}  // namespace

kernels::CrossEntropyResult cross_entropy(const Tensor& logits, const Tensor& target_in, int64_t ignore_index) {
  require_cuda(logits, "cross_entropy");
  require_same_device(logits, target_in, "cross_entropy");
  kernels::check_cross_entropy_operands(logits, target_in);
  Tensor target = contiguous(target_in);
  const int64_t n = logits.size(0), c = logits.size(1);
  const std::vector<int64_t> t = to_host(target);
  for (int64_t i = 0; i < n; ++i)
    if (t[i] != ignore_index && (t[i] < 0 || t[i] >= c))
      throw Error(concat("cross_entropy: target ", t[i], " at row ", i, " out of range for ", c, " classes"));
  kernels::CrossEntropyResult res{Tensor::empty({n}, logits.dtype(), logits.device()), log_softmax(logits)};
  kernels::dispatch_floating(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    if (n == 0) return;
    pick_target_kernel<T><<<blocks_for(n), kBlockThreads>>>(ptr<const T>(res.log_probs), ptr<const int64_t>(target),
                                                        ptr<T>(res.losses), n, c, ignore_index);
    BERTOLOGY_CUDA_CHECK_LAUNCH();
  });
  return res;
}

Tensor cross_entropy_backward(const Tensor& log_probs_in, const Tensor& target_in, const Tensor& dloss_in,
                              int64_t ignore_index) {
  const char* op = "cross_entropy_backward";
  require_cuda(log_probs_in, op);
  require_same_device(log_probs_in, target_in, op);
  require_same_device(log_probs_in, dloss_in, op);
  // The CPU trusts its caller here; on the GPU a mismatch would read out of bounds, so check.
  if (log_probs_in.dim() != 2 || target_in.dtype() != DType::Int64 || target_in.numel() != log_probs_in.size(0) ||
      dloss_in.dtype() != log_probs_in.dtype() || dloss_in.numel() != log_probs_in.size(0))
    throw Error(concat(op, ": expected log_probs (N, C), int64 target (N) and dloss (N) of its dtype, got ",
                       dtype_name(log_probs_in.dtype()), " ", log_probs_in.shape_str(), ", ",
                       dtype_name(target_in.dtype()), " ", target_in.shape_str(), " and ",
                       dtype_name(dloss_in.dtype()), " ", dloss_in.shape_str()));
  Tensor log_probs = contiguous(log_probs_in), target = contiguous(target_in), dloss = contiguous(dloss_in);
  const int64_t n = log_probs.size(0), c = log_probs.size(1);
  Tensor dx = Tensor::empty(log_probs.sizes(), log_probs.dtype(), log_probs.device());
  kernels::dispatch_floating(log_probs.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    if (dx.numel() == 0) return;
    cross_entropy_backward_kernel<T><<<blocks_for(dx.numel()), kBlockThreads>>>(
        ptr<const T>(log_probs), ptr<const int64_t>(target), ptr<const T>(dloss), ptr<T>(dx), n, c, ignore_index);
    BERTOLOGY_CUDA_CHECK_LAUNCH();
  });
  return dx;
}

}  // namespace bertology::cuda
