// CUDA copies on one GPU: contiguous, dtype conversion and broadcasting copies between any
// strides (the counterparts of tensor/kernels/copy.cpp; moving data between devices is to_device's).
#include <bertology/tensor/cuda/cuda_check.h>
#include <bertology/tensor/cuda/cuda_kernels.h>
#include <bertology/tensor/cuda/launch.cuh>
#include <bertology/tensor/cuda/strided_index.h>
#include <bertology/tensor/kernels/dispatch.h>
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/kernels/on_device.h>

#include <algorithm>
#include <array>

namespace bertology::cuda {
namespace {

using kernels::storage_ptr;

// dst[dst_ix(i)] = D(src[src_ix(i)])
template <class D, class S>
struct CopyOp {
  D* dst;
  const S* src;
  StridedIndex dst_ix, src_ix;
  __device__ void operator()(int64_t i) const { dst[at(dst_ix, i)] = static_cast<D>(src[at(src_ix, i)]); }
};

}  // namespace

// dst (GPU, any strides) = src broadcast to dst's shape, converted to dst's dtype.
void copy_into(Tensor& dst, const Tensor& src) {
  kernels::require_same_device(dst, src, "copy");
  Shape out = broadcast_shapes(dst.sizes(), src.sizes(), "copy");
  if (out != dst.sizes())
    throw Error(concat("copy: source of shape ", src.shape_str(), " does not broadcast to ", dst.shape_str()));
  const auto ix = walk<2>(dst.sizes(), {&dst, &src});
  kernels::dispatch_all(dst.dtype(), [&](auto dst_tag) {
    using D = decltype(dst_tag);
    kernels::dispatch_all(src.dtype(), [&](auto src_tag) {
      using S = decltype(src_tag);
      launch_for_each(dst.numel(), CopyOp<D, S>{storage_ptr<D>(dst), storage_ptr<S>(src), ix[0], ix[1]});
    });
  });
  dst.storage()->bump_version();
}

Tensor contiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  Tensor out = Tensor::empty(x.sizes(), x.dtype(), x.device());
  copy_into(out, x);
  return out;
}

Tensor convert(const Tensor& x, DType dtype) {
  if (dtype == x.dtype()) return contiguous(x);
  Tensor out = Tensor::empty(x.sizes(), dtype, x.device());
  copy_into(out, x);
  return out;
}

}  // namespace bertology::cuda
