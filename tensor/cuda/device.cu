// The GPU itself: whether one is present, its name, and waiting for this thread's work.
#include <bertology/tensor/cuda/cuda_check.h>
#include <bertology/tensor/cuda/cuda_kernels.h>

namespace bertology::cuda {

int device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // no driver or no device: clear the sticky error, report none
    return 0;
  }
  return count;
}

bool available() { return device_count() > 0; }

std::string device_name(int index) {
  cudaDeviceProp prop{};
  BERTOLOGY_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
  return prop.name;
}

void synchronize() { BERTOLOGY_CUDA_CHECK(cudaStreamSynchronize(cudaStreamPerThread)); }

}  // namespace bertology::cuda
