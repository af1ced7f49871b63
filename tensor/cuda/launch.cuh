// The launcher shared by the element-wise CUDA kernels (copy.cu, elementwise.cu): a grid-stride
// loop that runs a functor once per output element, and the strided walk of each operand.
// Included only by .cu files.
#pragma once
#include <bertology/tensor/cuda/cuda_check.h>
#include <bertology/tensor/cuda/strided_index.h>

#include <algorithm>
#include <array>

namespace bertology::cuda {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65536;  // grid-stride loops cover the rest

// Storage offset of element `linear`; one-dim layouts (the usual case after merging) skip the
// divisions.
__device__ inline int64_t at(const StridedIndex& ix, int64_t linear) {
  return ix.ndim == 1 ? ix.offset + linear * ix.strides[0] : ix(linear);
}

// Runs op(i) for every i in [0, n), on the calling thread's default stream.
template <class Op>
__global__ void for_each_kernel(int64_t n, Op op) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) op(i);
}

template <class Op>
void launch_for_each(int64_t n, const Op& op) {
  if (n == 0) return;
  const int64_t blocks = std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxBlocks);
  for_each_kernel<<<static_cast<unsigned>(blocks), kThreads>>>(n, op);
  BERTOLOGY_CUDA_CHECK_LAUNCH();
}

// How each operand walks `shape`, with dims of size 1 dropped and neighbours merged where every
// operand is contiguous across them (a contiguous copy becomes one dim: no divisions per element).
template <size_t N>
inline std::array<StridedIndex, N> walk(const Shape& shape, const std::array<const Tensor*, N>& operands) {
  std::array<StridedIndex, N> full;
  for (size_t k = 0; k < N; ++k) full[k] = strided_index(*operands[k], shape);
  std::array<StridedIndex, N> merged = full;
  int nd = 0;
  for (int d = 0; d < full[0].ndim; ++d) {
    const int64_t size = full[0].sizes[d];
    if (size == 1) continue;
    bool merge = nd > 0;
    for (size_t k = 0; k < N && merge; ++k) merge = merged[k].strides[nd - 1] == full[k].strides[d] * size;
    if (!merge) ++nd;
    for (size_t k = 0; k < N; ++k) {
      merged[k].sizes[nd - 1] = merge ? merged[k].sizes[nd - 1] * size : size;
      merged[k].strides[nd - 1] = full[k].strides[d];
    }
  }
  for (size_t k = 0; k < N; ++k) merged[k].ndim = nd;
  return merged;
}

}  // namespace bertology::cuda
