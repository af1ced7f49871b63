// Reductions over any set of dims: sum and max (with keepdim), and argmax over one dim.
// Output elements are computed in parallel; each walks its reduced sub-space serially.
#include <bertology/tensor/backend.h>
#include <bertology/tensor/kernels/dispatch.h>
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/kernels/on_device.h>
#include <bertology/tensor/parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace bertology::kernels {
namespace {

// Calls f(offset) for every element of a (shape, strides) sub-space starting at base.
template <class F>
void for_each_offset(const Shape& shape, const Shape& strides, int64_t base, const F& f) {
  const int64_t nd = static_cast<int64_t>(shape.size());
  if (nd == 0) {
    f(base);
    return;
  }
  for (int64_t s : shape)
    if (s == 0) return;
  Shape index(nd, 0);
  const int64_t inner = shape[nd - 1], inner_stride = strides[nd - 1];
  int64_t offset = base;
  while (true) {
    for (int64_t i = 0; i < inner; ++i) f(offset + i * inner_stride);
    int64_t d = nd - 2;
    for (; d >= 0; --d) {
      offset += strides[d];
      if (++index[d] < shape[d]) break;
      offset -= strides[d] * shape[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

struct Split {
  Shape kept_sizes, kept_strides, reduced_sizes, reduced_strides, out_shape;
};

Split split_dims(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  Split s;
  for (int64_t d = 0; d < x.dim(); ++d) {
    bool reduced = std::find(dims.begin(), dims.end(), d) != dims.end();
    if (reduced) {
      s.reduced_sizes.push_back(x.size(d));
      s.reduced_strides.push_back(x.stride(d));
      if (keepdim) s.out_shape.push_back(1);
    } else {
      s.kept_sizes.push_back(x.size(d));
      s.kept_strides.push_back(x.stride(d));
      s.out_shape.push_back(x.size(d));
    }
  }
  return s;
}

// Offset in x of output element `linear` (row-major over the kept dims).
int64_t kept_offset(const Split& s, int64_t linear, int64_t base) {
  int64_t off = base;
  for (int64_t d = static_cast<int64_t>(s.kept_sizes.size()) - 1; d >= 0; --d) {
    off += (linear % s.kept_sizes[d]) * s.kept_strides[d];
    linear /= s.kept_sizes[d];
  }
  return off;
}

}  // namespace

std::vector<int64_t> reduction_dims(const Tensor& x, const std::vector<int64_t>& dims, const char* op) {
  std::vector<int64_t> out;
  if (dims.empty()) {
    for (int64_t d = 0; d < x.dim(); ++d) out.push_back(d);
    return out;
  }
  for (int64_t d : dims) out.push_back(normalize_dim(d, x.dim(), op));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (x.dim() == 0) out.clear();
  return out;
}

Tensor reduce(Reduce op, const Tensor& x, const std::vector<int64_t>& dims_in, bool keepdim) {
  if constexpr (kCudaBuilt)
    if (x.device().is_cuda()) return cuda::reduce(op, x, dims_in, keepdim);
  const char* name = op == Reduce::Sum ? "sum" : "max";
  require_cpu(x.device(), name);
  std::vector<int64_t> dims = reduction_dims(x, dims_in, name);
  Split s = split_dims(x, dims, keepdim);
  int64_t reduced_count = shape_numel(s.reduced_sizes);
  if (op == Reduce::Max && reduced_count == 0)
    throw Error(concat("max: cannot reduce an empty dimension of shape ", x.shape_str()));
  Tensor out = Tensor::empty(s.out_shape, x.dtype());
  int64_t outputs = out.numel();
  dispatch_floating(x.dtype(), name, [&](auto tag) {
    using T = decltype(tag);
    const T* xs = storage_ptr<T>(x);
    T* o = out.data<T>();
    int64_t grain = std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(reduced_count, 1));
    parallel_for(outputs, grain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        int64_t base = kept_offset(s, i, x.offset());
        if (op == Reduce::Sum) {
          double acc = 0;
          for_each_offset(s.reduced_sizes, s.reduced_strides, base, [&](int64_t k) { acc += xs[k]; });
          o[i] = static_cast<T>(acc);
        } else {
          T best = -std::numeric_limits<T>::infinity();
          for_each_offset(s.reduced_sizes, s.reduced_strides, base, [&](int64_t k) {
            if (xs[k] > best || xs[k] != xs[k]) best = xs[k];
          });
          o[i] = best;
        }
      }
    });
  });
  return out;
}

Tensor argmax(const Tensor& x, int64_t dim_in, bool keepdim) {
  if constexpr (kCudaBuilt)
    if (x.device().is_cuda()) return cuda::argmax(x, dim_in, keepdim);
  require_cpu(x.device(), "argmax");
  int64_t dim = normalize_dim(dim_in, x.dim(), "argmax");
  if (x.dim() > 0 && x.size(dim) == 0) throw Error(concat("argmax: empty dim ", dim, " in shape ", x.shape_str()));
  Split s = split_dims(x, x.dim() == 0 ? std::vector<int64_t>{} : std::vector<int64_t>{dim}, keepdim);
  Tensor out = Tensor::empty(s.out_shape, DType::Int64);
  int64_t* o = out.data<int64_t>();
  int64_t n = s.reduced_sizes.empty() ? 1 : s.reduced_sizes[0];
  int64_t stride = s.reduced_strides.empty() ? 0 : s.reduced_strides[0];
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xs = storage_ptr<T>(x);
    parallel_for(out.numel(), 256, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        int64_t base = kept_offset(s, i, x.offset()), best = 0;
        for (int64_t k = 1; k < n; ++k)
          if (xs[base + k * stride] > xs[base + best * stride]) best = k;
        o[i] = best;
      }
    });
  });
  return out;
}

int64_t first_non_finite(const Tensor& x_in) {
  if constexpr (kCudaBuilt)
    if (x_in.device().is_cuda()) return cuda::first_non_finite(x_in);
  if (!is_floating(x_in.dtype())) return -1;
  Tensor x = contiguous(x_in);
  int64_t found = -1;
  dispatch_floating(x.dtype(), "first_non_finite", [&](auto tag) {
    using T = decltype(tag);
    const T* p = x.data<T>();
    for (int64_t i = 0, n = x.numel(); i < n; ++i)
      if (!std::isfinite(p[i])) {
        found = i;
        return;
      }
  });
  return found;
}

}  // namespace bertology::kernels
