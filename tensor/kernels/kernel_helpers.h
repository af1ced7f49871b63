// Small pieces shared by the CPU kernels (tensor/kernels/*.cpp) and their CUDA counterparts
// (tensor/cuda/*.cu), so that both read operands and check arguments the same way.
#pragma once
#include <algorithm>
#include <cstdint>

#include <bertology/tensor/kernels/kernels.h>

namespace bertology::kernels {

// How BLAS (row-major) or cuBLAS sees one (rows, cols) matrix given its last two strides.
struct MatrixLayout {
  bool ok = false;     // false: the strides fit neither layout, copy first
  bool trans = false;  // stored column-major, i.e. a transposed row-major matrix
  int64_t ld = 0;
};

inline MatrixLayout layout_of(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride) {
  if ((col_stride == 1 || cols == 1) && (row_stride >= std::max<int64_t>(cols, 1) || rows == 1))
    return {true, false, rows == 1 ? std::max<int64_t>(cols, 1) : row_stride};
  if ((row_stride == 1 || rows == 1) && (col_stride >= std::max<int64_t>(rows, 1) || cols == 1))
    return {true, true, cols == 1 ? std::max<int64_t>(rows, 1) : col_stride};
  return {};
}

// (outer, n, inner) view of a contiguous shape around dim.
struct Around {
  int64_t outer = 1, n = 1, inner = 1;
};

inline Around around(const Shape& s, int64_t dim) {
  Around a;
  for (int64_t d = 0; d < static_cast<int64_t>(s.size()); ++d) {
    if (d < dim) a.outer *= s[d];
    else if (d == dim) a.n = s[d];
    else a.inner *= s[d];
  }
  return a;
}

// The index of index_select / index_add, on the CPU: a 1-D int64 tensor with every value in
// [0, limit), else an Error naming op. Returns its data.
const int64_t* checked_index(const Tensor& index, int64_t limit, const char* op);

const char* binary_name(Binary op);  // "add", "lt", ...: the op's name in error messages

// Argument checks that read no tensor data, the same on every device (each throws the Error a
// user sees): matmul's (..., M, K)·(..., K, N) operands; cross_entropy's logits (N, C) and int64
// target (N).
void check_matmul_operands(const Tensor& a, const Tensor& b);
void check_cross_entropy_operands(const Tensor& logits, const Tensor& target);

}  // namespace bertology::kernels
