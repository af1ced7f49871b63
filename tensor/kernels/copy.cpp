// Views over shared storage, contiguous copies, dtype conversion and broadcasting copies.
#include <bertology/tensor/kernels/dispatch.h>
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/kernels/on_device.h>
#include <bertology/tensor/kernels/strided_loop.h>
#include <bertology/tensor/backend.h>

namespace bertology::kernels {

Tensor as_strided(const Tensor& base, const Shape& sizes, const Shape& strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.storage();
  impl->sizes = sizes;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

void copy_into(Tensor& dst, const Tensor& src) {
  if constexpr (kCudaBuilt)
    if (dst.device().is_cuda() || src.device().is_cuda()) return cuda::copy_into(dst, src);
  require_cpu(dst.device(), "copy");
  Shape out = broadcast_shapes(dst.sizes(), src.sizes(), "copy");
  if (out != dst.sizes())
    throw Error(concat("copy: source of shape ", src.shape_str(), " does not broadcast to ", dst.shape_str()));
  StridedLoop<2> loop(out, {dst.strides(), broadcast_strides(src, out)}, {dst.offset(), src.offset()});
  dispatch_all(dst.dtype(), [&](auto dst_tag) {
    using D = decltype(dst_tag);
    D* d = storage_ptr<D>(dst);
    dispatch_all(src.dtype(), [&](auto src_tag) {
      using S = decltype(src_tag);
      const S* s = storage_ptr<S>(src);
      loop.run([&](auto off, auto step, int64_t n) {
        D* dp = d + off[0];
        const S* sp = s + off[1];
        for (int64_t i = 0; i < n; ++i) dp[i * step[0]] = static_cast<D>(sp[i * step[1]]);
      });
    });
  });
  dst.storage()->bump_version();
}

Tensor to_device(const Tensor& x, Device target) {
  if (x.device() == target) return x;
  const Tensor src = contiguous(x);  // on the source device
  Tensor out = Tensor::empty(x.sizes(), x.dtype(), target);
  const size_t nbytes = static_cast<size_t>(x.numel()) * element_size(x.dtype());
  if (nbytes == 0) return out;
  // Host <-> device copies go through the GPU's backend, whichever side the GPU is on.
  const Backend& gpu = backend_for(target.is_cpu() ? x.device() : target);
  gpu.copy(out.raw_data(), src.raw_data(), nbytes);
  return out;
}

Tensor contiguous(const Tensor& x) {
  if constexpr (kCudaBuilt)
    if (x.device().is_cuda()) return cuda::contiguous(x);
  if (x.is_contiguous()) return x;
  Tensor out = Tensor::empty(x.sizes(), x.dtype(), x.device());
  copy_into(out, x);
  return out;
}

Tensor convert(const Tensor& x, DType dtype) {
  if constexpr (kCudaBuilt)
    if (x.device().is_cuda()) return cuda::convert(x, dtype);
  if (dtype == x.dtype()) return contiguous(x);
  Tensor out = Tensor::empty(x.sizes(), dtype, x.device());
  copy_into(out, x);
  return out;
}

bool view_strides(const Tensor& x, const Shape& shape, Shape& strides) {
  // Walk old and new dims in groups of equal element count; each old group must be
  // contiguous within itself for the view to exist (PyTorch's computeStride rule).
  const Shape& old_sizes = x.sizes();
  const Shape& old_strides = x.strides();
  strides.assign(shape.size(), 0);
  if (x.numel() <= 1) {
    strides = contiguous_strides(shape);
    return true;
  }
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.empty() ? 1 : old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(old_sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_sizes[d];
    if (d == 0 || (old_sizes[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

}  // namespace bertology::kernels
