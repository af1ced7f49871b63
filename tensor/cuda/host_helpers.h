// Host-side helpers of the CUDA kernels that work on contiguous tensors (rowwise.cu, index.cu,
// loss.cu): device checks, raw device pointers, and small int64 tensors copied to the host.
// Included only by .cu files.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include <bertology/tensor/cuda/cuda_check.h>
#include <bertology/tensor/error.h>
#include <bertology/tensor/tensor.h>

namespace bertology::cuda {

inline void require_cuda(const Tensor& t, const char* op) {
  if (!t.device().is_cuda()) throw Error(concat(op, ": expected a CUDA tensor, got one on ", t.device().str()));
}

// Device pointer to the first element of a tensor (contiguous: element i is at [i]).
template <class T>
T* ptr(const Tensor& t) {
  return static_cast<T*>(t.storage()->data()) + t.offset();
}

// A contiguous int64 device tensor's values on the host (waits for the copy).
inline std::vector<int64_t> to_host(const Tensor& t) {
  std::vector<int64_t> values(t.numel());
  if (!values.empty())
    BERTOLOGY_CUDA_CHECK(cudaMemcpy(values.data(), ptr<const int64_t>(t), values.size() * sizeof(int64_t),
                                    cudaMemcpyDeviceToHost));
  return values;
}

// One-thread-per-element launches: threads per block, and blocks for `total` elements (kernels
// loop in steps of the whole grid beyond 2^20 blocks).
constexpr int kBlockThreads = 256;
inline unsigned blocks_for(int64_t total) {
  return static_cast<unsigned>(std::min<int64_t>((total + kBlockThreads - 1) / kBlockThreads, 1 << 20));
}

}  // namespace bertology::cuda
