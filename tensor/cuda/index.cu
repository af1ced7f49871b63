// CUDA gathering and scattering along a dim (index_select, its adjoint index_add; cat needs no
// kernel of its own, see kernels::cat). Indices are validated on the host like
// tensor/kernels/index.cpp; index_add sums without atomics.
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

using kernels::around;
using kernels::Around;
using kernels::require_same_device;

// ---- host helpers ------------------------------------------------------------------------------

// The index's values on the host, checked by the CPU's kernels::checked_index.
std::vector<int64_t> checked_index(const Tensor& index, int64_t limit, const char* op) {
  const Tensor host = kernels::to_device(index, Device::cpu());
  const int64_t* idx = kernels::checked_index(host, limit, op);
  return std::vector<int64_t>(idx, idx + host.numel());
}

// A 1-D int64 tensor on `device` holding `values`.
Tensor upload(const std::vector<int64_t>& values, Device device) {
  Tensor t = Tensor::empty({static_cast<int64_t>(values.size())}, DType::Int64, device);
  if (!values.empty())
    BERTOLOGY_CUDA_CHECK(cudaMemcpy(ptr<int64_t>(t), values.data(), values.size() * sizeof(int64_t),
                                    cudaMemcpyHostToDevice));
  return t;
}

// ---- kernels: one thread per output element, in steps of the whole grid -------------------------

// out (outer, m, inner)[o, i, j] = x (outer, n, inner)[o, idx[i], j].
template <class T>
__global__ void index_select_kernel(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t n, int64_t m,
                                    int64_t inner) {
  const int64_t total = outer * m * inner;
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t j = e % inner, r = e / inner;
    const int64_t i = r % m, o = r / m;
    out[e] = x[(o * n + idx[i]) * inner + j];
  }
}

// out (outer, size, inner)[o, k, j] = Σ src (outer, n, inner)[o, i, j] over the source rows i with
// idx[i] == k, listed in increasing i as rows[starts[k] .. starts[k+1]): the CPU's order, no atomics.
template <class T>
__global__ void index_add_kernel(const T* src, const int64_t* starts, const int64_t* rows, T* out, int64_t outer,
                                 int64_t n, int64_t size, int64_t inner) {
  const int64_t total = outer * size * inner;
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t j = e % inner, r = e / inner;
    const int64_t k = r % size, o = r / size;
    T sum = 0;
    for (int64_t p = starts[k]; p < starts[k + 1]; ++p) sum += src[(o * n + rows[p]) * inner + j];
    out[e] = sum;
  }
}

}  // namespace

Tensor index_select(const Tensor& x_in, int64_t dim_in, const Tensor& index_in) {
  require_cuda(x_in, "index_select");
  require_same_device(x_in, index_in, "index_select");
  const int64_t dim = normalize_dim(dim_in, x_in.dim(), "index_select");
  const std::vector<int64_t> idx = checked_index(index_in, x_in.size(dim), "index_select");
  Tensor x = contiguous(x_in);
  Shape out_shape = x.sizes();
  out_shape[dim] = static_cast<int64_t>(idx.size());
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
  if (out.numel() == 0) return out;
  Tensor index = upload(idx, x.device());  // contiguous, already checked
  const Around a = around(x.sizes(), dim);
  const int64_t m = index.numel();
  kernels::dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    index_select_kernel<T><<<blocks_for(out.numel()), kBlockThreads>>>(ptr<const T>(x), ptr<const int64_t>(index),
                                                                   ptr<T>(out), a.outer, a.n, m, a.inner);
    BERTOLOGY_CUDA_CHECK_LAUNCH();
  });
  return out;
}

Tensor index_add(const Tensor& src_in, int64_t dim_in, const Tensor& index_in, int64_t size) {
  require_cuda(src_in, "index_add");
  require_same_device(src_in, index_in, "index_add");
  const int64_t dim = normalize_dim(dim_in, src_in.dim(), "index_add");
  const std::vector<int64_t> idx = checked_index(index_in, size, "index_add");
  Tensor src = contiguous(src_in);
  if (src.size(dim) != static_cast<int64_t>(idx.size()))
    throw Error(concat("index_add: ", idx.size(), " indices for source dim of size ", src.size(dim)));
  Shape out_shape = src.sizes();
  out_shape[dim] = size;
  Tensor out = Tensor::empty(out_shape, src.dtype(), src.device());  // every element is written below
  kernels::dispatch_floating(src.dtype(), "index_add", [](auto) {});  // the CPU's dtype check, before any work
  if (out.numel() == 0) return out;

  // Source rows of each output row k, in increasing order: rows[starts[k] .. starts[k+1]).
  std::vector<int64_t> starts(size + 1, 0), rows(idx.size());
  for (int64_t k : idx) ++starts[k + 1];
  for (int64_t k = 0; k < size; ++k) starts[k + 1] += starts[k];
  std::vector<int64_t> fill(starts.begin(), starts.end() - 1);
  for (int64_t i = 0; i < static_cast<int64_t>(idx.size()); ++i) rows[fill[idx[i]]++] = i;
  Tensor starts_dev = upload(starts, src.device()), rows_dev = upload(rows, src.device());

  const Around a = around(src.sizes(), dim);
  kernels::dispatch_floating(src.dtype(), "index_add", [&](auto tag) {
    using T = decltype(tag);
    index_add_kernel<T><<<blocks_for(out.numel()), kBlockThreads>>>(ptr<const T>(src), ptr<const int64_t>(starts_dev),
                                                                ptr<const int64_t>(rows_dev), ptr<T>(out), a.outer,
                                                                a.n, size, a.inner);
    BERTOLOGY_CUDA_CHECK_LAUNCH();
  });
  return out;
}

}  // namespace bertology::cuda
