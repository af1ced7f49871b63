// Error checking for CUDA runtime and cuBLAS calls: every call goes through one of these, and a
// failure becomes a bertology::Error that names the call, the file and the line, e.g.
//   cudaMalloc(&p, 1099511627776) failed at tensor/cuda/allocator.cu:41: out of memory
#pragma once
#include <cuda_runtime.h>
#include <cublas_v2.h>

#include <bertology/tensor/error.h>

namespace bertology::cuda {

[[noreturn]] inline void throw_cuda_error(const char* call, const char* file, int line, const char* what) {
  throw Error(concat(call, " failed at ", file, ":", line, ": ", what));
}

inline void check_cuda(cudaError_t status, const char* call, const char* file, int line) {
  if (status != cudaSuccess) throw_cuda_error(call, file, line, cudaGetErrorString(status));
}

inline void check_cublas(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS) throw_cuda_error(call, file, line, cublasGetStatusString(status));
}

}  // namespace bertology::cuda

// The macros only add the call's text, file and line; the checks themselves are the functions above.
#define BERTOLOGY_CUDA_CHECK(call) ::bertology::cuda::check_cuda((call), #call, __FILE__, __LINE__)
#define BERTOLOGY_CUBLAS_CHECK(call) ::bertology::cuda::check_cublas((call), #call, __FILE__, __LINE__)
// After a kernel launch: launch errors (bad configuration) show up here, not at the launch.
#define BERTOLOGY_CUDA_CHECK_LAUNCH() BERTOLOGY_CUDA_CHECK(cudaGetLastError())
