// Strided addressing shared by the CUDA kernels and their host-side tests: an element's storage
// offset from its row-major linear index in an output shape, for a tensor of up to kMaxDims dims
// viewed with any strides (0 for broadcast dims). Plain C++ when not compiled by nvcc, so the
// arithmetic is tested on the CPU (tests/tensor/cuda_host_test.cpp) against Tensor's own strides.
#pragma once
#include <cstdint>

#include <bertology/tensor/error.h>
#include <bertology/tensor/tensor.h>

#ifdef __CUDACC__
#define BERTOLOGY_HOST_DEVICE __host__ __device__
#else
#define BERTOLOGY_HOST_DEVICE
#endif

namespace bertology::cuda {

constexpr int kMaxDims = 8;

// Passed to kernels by value (a few hundred bytes of kernel parameters).
struct StridedIndex {
  int ndim = 0;
  int64_t sizes[kMaxDims] = {};    // of the iteration (output) shape
  int64_t strides[kMaxDims] = {};  // of the operand, in elements; 0 where it is broadcast
  int64_t offset = 0;              // of the operand's first element, in elements

  // Storage offset (in elements) of the element at row-major position `linear`. Below 2^32 the
  // walk runs in 32-bit arithmetic: the same answer, and on a GPU a 32-bit division is a few
  // instructions where a 64-bit one is a long subroutine (broadcast and head-split walks divide
  // once per dim for every element of every operand).
  BERTOLOGY_HOST_DEVICE int64_t operator()(int64_t linear) const {
    return fits_32bit(linear) ? offset_of_32bit(static_cast<uint32_t>(linear)) : offset_of_64bit(linear);
  }

  // `linear` and every size below 2^32, so that every quotient and remainder of the walk is too.
  BERTOLOGY_HOST_DEVICE bool fits_32bit(int64_t linear) const {
    if (linear < 0 || linear > static_cast<int64_t>(UINT32_MAX)) return false;
    for (int d = 0; d < ndim; ++d)
      if (sizes[d] > static_cast<int64_t>(UINT32_MAX)) return false;
    return true;
  }

  BERTOLOGY_HOST_DEVICE int64_t offset_of_32bit(uint32_t linear) const {
    int64_t at = offset;
    for (int d = ndim - 1; d >= 0; --d) {
      const uint32_t size = static_cast<uint32_t>(sizes[d]);
      const uint32_t rest = linear / size;
      at += static_cast<int64_t>(linear - rest * size) * strides[d];
      linear = rest;
    }
    return at;
  }

  BERTOLOGY_HOST_DEVICE int64_t offset_of_64bit(int64_t linear) const {
    int64_t at = offset;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t i = linear % sizes[d];
      linear /= sizes[d];
      at += i * strides[d];
    }
    return at;
  }
};

// How to walk `t` over `shape` (t's shape must broadcast to it, aligned at the right).
inline StridedIndex strided_index(const Tensor& t, const Shape& shape) {
  const int nd = static_cast<int>(shape.size());
  if (nd > kMaxDims) throw Error(concat("CUDA kernels take at most ", kMaxDims, " dims, got shape ", shape_str(shape)));
  if (t.dim() > nd) throw Error(concat("cannot broadcast ", t.shape_str(), " to ", shape_str(shape)));
  StridedIndex s;
  s.ndim = nd;
  s.offset = t.offset();
  const int lead = nd - static_cast<int>(t.dim());
  for (int d = 0; d < nd; ++d) {
    s.sizes[d] = shape[d];
    if (d < lead) continue;  // missing leading dims broadcast
    const int64_t size = t.size(d - lead);
    if (size != shape[d] && size != 1)
      throw Error(concat("cannot broadcast ", t.shape_str(), " to ", shape_str(shape)));
    s.strides[d] = size == 1 ? 0 : t.stride(d - lead);
  }
  return s;
}

}  // namespace bertology::cuda
