// How a kernel in kernels.h finds the device that runs it. Each kernel starts with
//   if constexpr (kCudaBuilt) if (x.device().is_cuda()) return cuda::op(...);
// and otherwise runs its CPU code. In a build without CUDA (the default) kCudaBuilt is false
// and the cuda:: functions are neither called nor linked.
#pragma once
#include <bertology/tensor/backend.h>
#include <bertology/tensor/cuda/cuda_kernels.h>
#include <bertology/tensor/error.h>
#include <bertology/tensor/tensor.h>

#ifndef BERTOLOGY_WITH_CUDA
#define BERTOLOGY_WITH_CUDA 0
#endif

namespace bertology::kernels {

// Whether this build has the CUDA backend (CMake option BERTOLOGY_CUDA).
constexpr bool kCudaBuilt = BERTOLOGY_WITH_CUDA != 0;

// Throws unless a and b live on the same device: kernels never move data between devices.
inline void require_same_device(const Tensor& a, const Tensor& b, const char* op) {
  if (a.device() != b.device())
    throw Error(concat(op, ": operands on different devices, ", a.device().str(), " and ", b.device().str(),
                       " (move one with .to(device))"));
}

}  // namespace bertology::kernels
