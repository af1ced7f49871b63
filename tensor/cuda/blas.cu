// Matrix products on cuBLAS: 2-D and strided-batched GEMM where each operand may be row-major or
// a transposed view (passed as a flag, never copied), like tensor/kernels/blas.cpp on the CPU.
// cuBLAS is column-major: a row-major C = op(A)·op(B) is computed as Cᵀ = op(B)ᵀ·op(A)ᵀ, which
// is the same memory, so the operands are simply passed in the other order.
#include <bertology/tensor/cuda/cuda_check.h>
#include <bertology/tensor/cuda/cuda_kernels.h>
#include <bertology/tensor/kernels/dispatch.h>
#include <bertology/tensor/kernels/kernel_helpers.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <type_traits>

namespace bertology::cuda {
namespace {

std::atomic<int> g_tf32{-1};  // -1: not decided yet (read BERTOLOGY_CUDA_TF32 once)

// One cuBLAS handle per thread, bound to the thread's default stream.
cublasHandle_t handle() {
  thread_local cublasHandle_t h = [] {
    cublasHandle_t created = nullptr;
    BERTOLOGY_CUBLAS_CHECK(cublasCreate(&created));
    BERTOLOGY_CUBLAS_CHECK(cublasSetStream(created, cudaStreamPerThread));
    return created;
  }();
  BERTOLOGY_CUBLAS_CHECK(cublasSetMathMode(h, tf32() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_PEDANTIC_MATH));
  return h;
}

using kernels::layout_of;
using kernels::MatrixLayout;

// The one stride that steps through t's batch matrices in row-major order, when there is one
// (any broadcast batch dims have stride 0, which cuBLAS accepts).
bool uniform_batch_stride(const Tensor& t, int64_t batch_dims, int64_t& stride) {
  stride = 0;
  bool seen = false;
  int64_t expected = 0;
  for (int64_t d = batch_dims - 1; d >= 0; --d) {
    if (t.size(d) == 1) continue;
    if (!seen) {
      stride = t.stride(d);
      seen = true;
    } else if (t.stride(d) != expected) {
      return false;
    }
    expected = t.stride(d) * t.size(d);
  }
  return true;
}

cublasOperation_t op_of(bool trans) { return trans ? CUBLAS_OP_T : CUBLAS_OP_N; }

}  // namespace

void set_tf32(bool on) { g_tf32 = on ? 1 : 0; }

bool tf32() {
  if (g_tf32 < 0) {
    const char* env = std::getenv("BERTOLOGY_CUDA_TF32");
    g_tf32 = (env != nullptr && std::strcmp(env, "1") == 0) ? 1 : 0;
  }
  return g_tf32 == 1;
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const Tensor& a,
          int64_t lda, const Tensor& b, int64_t ldb, double beta, Tensor& c, int64_t ldc) {
  kernels::dispatch_floating(c.dtype(), "gemm", [&](auto tag) {
    using T = decltype(tag);
    const T al = static_cast<T>(alpha), be = static_cast<T>(beta);
    if constexpr (std::is_same_v<T, float>)
      BERTOLOGY_CUBLAS_CHECK(cublasSgemm(handle(), op_of(trans_b), op_of(trans_a), n, m, k, &al, b.data<float>(), ldb,
                                         a.data<float>(), lda, &be, c.data<float>(), ldc));
    else
      BERTOLOGY_CUBLAS_CHECK(cublasDgemm(handle(), op_of(trans_b), op_of(trans_a), n, m, k, &al, b.data<double>(),
                                         ldb, a.data<double>(), lda, &be, c.data<double>(), ldc));
  });
}

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  kernels::check_matmul_operands(a_in, b_in);
  const int64_t nd = a_in.dim(), batch_dims = nd - 2;
  const Shape batch_shape(a_in.sizes().begin(), a_in.sizes().end() - 2);
  const int64_t m = a_in.size(-2), k = a_in.size(-1), n = b_in.size(-1);

  // Operands cuBLAS cannot read in place (odd strides) are copied once.
  Tensor a = a_in, b = b_in;
  int64_t stride_a = 0, stride_b = 0;
  MatrixLayout la = layout_of(m, k, a.stride(-2), a.stride(-1));
  if (!la.ok || !uniform_batch_stride(a, batch_dims, stride_a)) {
    a = contiguous(a);
    la = layout_of(m, k, a.stride(-2), a.stride(-1));
    uniform_batch_stride(a, batch_dims, stride_a);
  }
  MatrixLayout lb = layout_of(k, n, b.stride(-2), b.stride(-1));
  if (!lb.ok || !uniform_batch_stride(b, batch_dims, stride_b)) {
    b = contiguous(b);
    lb = layout_of(k, n, b.stride(-2), b.stride(-1));
    uniform_batch_stride(b, batch_dims, stride_b);
  }
  Shape out_shape = batch_shape;
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  if (out.numel() == 0) return out;
  if (k == 0) {
    BERTOLOGY_CUDA_CHECK(cudaMemsetAsync(out.raw_data(), 0, out.numel() * element_size(out.dtype()), cudaStreamPerThread));
    return out;
  }
  const int64_t batch = shape_numel(batch_shape);

  kernels::dispatch_floating(a.dtype(), "matmul", [&](auto tag) {
    using T = decltype(tag);
    const T one = 1, zero = 0;
    // out (batch, m, n) row-major = (batch, n, m) column-major: Cᵀ = op(B)ᵀ·op(A)ᵀ per matrix.
    if constexpr (std::is_same_v<T, float>)
      BERTOLOGY_CUBLAS_CHECK(cublasSgemmStridedBatched(
          handle(), op_of(lb.trans), op_of(la.trans), n, m, k, &one, b.data<float>(), lb.ld, stride_b,
          a.data<float>(), la.ld, stride_a, &zero, out.data<float>(), n, m * n, batch));
    else
      BERTOLOGY_CUBLAS_CHECK(cublasDgemmStridedBatched(
          handle(), op_of(lb.trans), op_of(la.trans), n, m, k, &one, b.data<double>(), lb.ld, stride_b,
          a.data<double>(), la.ld, stride_a, &zero, out.data<double>(), n, m * n, batch));
  });
  return out;
}

}  // namespace bertology::cuda
