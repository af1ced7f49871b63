// Gathering and scattering along a dim (index_select, its adjoint index_add) and cat.
#include <bertology/tensor/backend.h>
#include <bertology/tensor/kernels/dispatch.h>
#include <bertology/tensor/kernels/kernel_helpers.h>
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/kernels/on_device.h>
#include <bertology/tensor/parallel.h>

#include <cstring>

namespace bertology::kernels {

const int64_t* checked_index(const Tensor& index, int64_t limit, const char* op) {
  if (index.dtype() != DType::Int64 || index.dim() != 1)
    throw Error(concat(op, ": index must be a 1-D int64 tensor, got ", dtype_name(index.dtype()), " ",
                       index.shape_str()));
  const int64_t* idx = index.data<int64_t>();
  for (int64_t i = 0; i < index.numel(); ++i)
    if (idx[i] < 0 || idx[i] >= limit)
      throw Error(concat(op, ": index ", idx[i], " out of range for size ", limit));
  return idx;
}


Tensor index_select(const Tensor& x_in, int64_t dim_in, const Tensor& index_in) {
  if constexpr (kCudaBuilt)
    if (x_in.device().is_cuda()) {
      require_same_device(x_in, index_in, "index_select");
      return cuda::index_select(x_in, dim_in, index_in);
    }
  require_cpu(x_in.device(), "index_select");
  int64_t dim = normalize_dim(dim_in, x_in.dim(), "index_select");
  Tensor index = contiguous(index_in);
  const int64_t* idx = checked_index(index, x_in.size(dim), "index_select");
  Tensor x = contiguous(x_in);
  Shape out_shape = x.sizes();
  out_shape[dim] = index.numel();
  Tensor out = Tensor::empty(out_shape, x.dtype());
  Around a = around(x.sizes(), dim);
  const size_t row_bytes = a.inner * element_size(x.dtype());
  const char* src = static_cast<const char*>(x.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  const int64_t m = index.numel();
  parallel_for(a.outer * m, std::max<int64_t>(1, 4096 / std::max<int64_t>(a.inner, 1)), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      int64_t o = r / m, i = r % m;
      std::memcpy(dst + r * row_bytes, src + (o * a.n + idx[i]) * row_bytes, row_bytes);
    }
  });
  return out;
}

Tensor index_add(const Tensor& src_in, int64_t dim_in, const Tensor& index_in, int64_t size) {
  if constexpr (kCudaBuilt)
    if (src_in.device().is_cuda()) {
      require_same_device(src_in, index_in, "index_add");
      return cuda::index_add(src_in, dim_in, index_in, size);
    }
  require_cpu(src_in.device(), "index_add");
  int64_t dim = normalize_dim(dim_in, src_in.dim(), "index_add");
  Tensor index = contiguous(index_in);
  const int64_t* idx = checked_index(index, size, "index_add");
  Tensor src = contiguous(src_in);
  if (src.size(dim) != index.numel())
    throw Error(concat("index_add: ", index.numel(), " indices for source dim of size ", src.size(dim)));
  Shape out_shape = src.sizes();
  out_shape[dim] = size;
  Tensor out = Tensor::zeros(out_shape, src.dtype());
  Around a = around(src.sizes(), dim);
  dispatch_floating(src.dtype(), "index_add", [&](auto tag) {
    using T = decltype(tag);
    const T* s = src.data<T>();
    T* o = out.data<T>();
    // Rows of different outer blocks never collide; indices within a block may repeat.
    parallel_for(a.outer, 1, [&](int64_t begin, int64_t end) {
      for (int64_t ob = begin; ob < end; ++ob)
        for (int64_t i = 0; i < a.n; ++i) {
          const T* sr = s + (ob * a.n + i) * a.inner;
          T* orow = o + (ob * size + idx[i]) * a.inner;
          for (int64_t j = 0; j < a.inner; ++j) orow[j] += sr[j];
        }
    });
  });
  return out;
}

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim_in) {
  // Any device: the parts are copied into strided views of the result by copy_into, which runs
  // on the tensors' device.
  if (tensors.empty()) throw Error("cat: expected at least one tensor");
  const Tensor& first = tensors.front();
  int64_t dim = normalize_dim(dim_in, first.dim(), "cat");
  Shape out_shape = first.sizes();
  out_shape[dim] = 0;
  for (const Tensor& t : tensors) {
    require_same_device(first, t, "cat");
    bool same = t.dim() == first.dim() && t.dtype() == first.dtype();
    for (int64_t d = 0; same && d < t.dim(); ++d) same = d == dim || t.size(d) == first.size(d);
    if (!same)
      throw Error(concat("cat: tensor ", dtype_name(t.dtype()), " ", t.shape_str(), " does not match ",
                         dtype_name(first.dtype()), " ", first.shape_str(), " outside dim ", dim));
    out_shape[dim] += t.size(dim);
  }
  Tensor out = Tensor::empty(out_shape, first.dtype(), first.device());
  int64_t start = 0;
  for (const Tensor& t : tensors) {
    Shape strides = out.strides();
    Shape sizes = out.sizes();
    sizes[dim] = t.size(dim);
    Tensor part = as_strided(out, sizes, strides, start * out.stride(dim));
    copy_into(part, t);
    start += t.size(dim);
  }
  return out;
}

}  // namespace bertology::kernels
