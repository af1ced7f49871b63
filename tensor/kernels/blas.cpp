// Matrix products on OpenBLAS: 2-D and batched GEMM where each operand may be row-major or a
// transposed view (passed to BLAS as a flag, never copied). Many small products (attention
// heads) run one per TBB task with single-threaded BLAS; large ones use BLAS's own threads.
#include <bertology/tensor/backend.h>
#include <bertology/tensor/kernels/dispatch.h>
#include <bertology/tensor/kernels/kernel_helpers.h>
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/kernels/on_device.h>
#include <bertology/tensor/parallel.h>

#include <algorithm>
#include <atomic>
#include <type_traits>

#include <cblas.h>

extern "C" void openblas_set_num_threads(int);

namespace bertology::kernels {
namespace {

// Products below this many multiply-adds go one per thread with single-threaded BLAS.
constexpr double kSmallGemm = 4.0e6;

}  // namespace

std::atomic<int64_t> g_gemm_calls{0};

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const Tensor& a,
          int64_t lda, const Tensor& b, int64_t ldb, double beta, Tensor& c, int64_t ldc) {
  if constexpr (kCudaBuilt)
    if (c.device().is_cuda()) {
      require_same_device(a, c, "gemm");
      require_same_device(b, c, "gemm");
      return cuda::gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
  g_gemm_calls.fetch_add(1, std::memory_order_relaxed);
  ensure_thread_limit();  // OpenBLAS is prepared before its first product (parallel.h)
  dispatch_floating(c.dtype(), "gemm", [&](auto tag) {
    using T = decltype(tag);
    auto ta = trans_a ? CblasTrans : CblasNoTrans;
    auto tb = trans_b ? CblasTrans : CblasNoTrans;
    if constexpr (std::is_same_v<T, float>)
      cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, static_cast<float>(alpha), a.data<float>(), lda,
                  b.data<float>(), ldb, static_cast<float>(beta), c.data<float>(), ldc);
    else
      cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a.data<double>(), lda, b.data<double>(), ldb,
                  beta, c.data<double>(), ldc);
  });
}

int64_t gemm_calls() { return g_gemm_calls.load(); }

void for_each_small_gemm(int64_t n, const std::function<void(int64_t)>& body) {
  if (n > 1 && num_threads() > 1) {
    struct SingleThreadedBlas {  // restores BLAS's threads even when body throws
      SingleThreadedBlas() { openblas_set_num_threads(1); }
      ~SingleThreadedBlas() { openblas_set_num_threads(num_threads()); }
    } single;
    parallel_for(n, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) body(i);
    });
  } else {
    for (int64_t i = 0; i < n; ++i) body(i);
  }
}

void check_matmul_operands(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    throw Error(concat("matmul: dtype mismatch, ", dtype_name(a.dtype()), " ", a.shape_str(), " vs ",
                       dtype_name(b.dtype()), " ", b.shape_str()));
  if (a.dim() < 2 || a.dim() != b.dim())
    throw Error(concat("matmul kernel: expected operands (..., M, K) and (..., K, N), got ", a.shape_str(), " and ",
                       b.shape_str()));
  if (b.size(-2) != a.size(-1) || !std::equal(a.sizes().begin(), a.sizes().end() - 2, b.sizes().begin()))
    throw Error(concat("matmul: shapes ", a.shape_str(), " and ", b.shape_str(), " do not match"));
}

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  if constexpr (kCudaBuilt)
    if (a_in.device().is_cuda() || b_in.device().is_cuda()) {
      require_same_device(a_in, b_in, "matmul");
      return cuda::matmul(a_in, b_in);
    }
  require_cpu(a_in.device(), "matmul");
  require_cpu(b_in.device(), "matmul");
  check_matmul_operands(a_in, b_in);
  const int64_t nd = a_in.dim();
  const Shape batch_shape(a_in.sizes().begin(), a_in.sizes().end() - 2);
  const int64_t m = a_in.size(-2), k = a_in.size(-1), n = b_in.size(-1);

  Tensor a = a_in, b = b_in;
  MatrixLayout la = layout_of(m, k, a.stride(-2), a.stride(-1));
  if (!la.ok) {
    a = contiguous(a);
    la = layout_of(m, k, a.stride(-2), a.stride(-1));
  }
  MatrixLayout lb = layout_of(k, n, b.stride(-2), b.stride(-1));
  if (!lb.ok) {
    b = contiguous(b);
    lb = layout_of(k, n, b.stride(-2), b.stride(-1));
  }
  Shape out_shape = batch_shape;
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor out = Tensor::empty(out_shape, a.dtype());
  if (out.numel() == 0) return out;
  const int64_t batch = shape_numel(batch_shape);

  // Offsets of matrix i in a and b: batch dims may have any strides (head splits, broadcasts).
  auto matrix_offsets = [&](int64_t i, int64_t& off_a, int64_t& off_b) {
    off_a = a.offset();
    off_b = b.offset();
    for (int64_t d = nd - 3; d >= 0; --d) {
      int64_t idx = i % batch_shape[d];
      i /= batch_shape[d];
      off_a += idx * a.stride(d);
      off_b += idx * b.stride(d);
    }
  };
  auto one = [&](int64_t i) {
    int64_t off_a, off_b;
    matrix_offsets(i, off_a, off_b);
    Tensor ai = as_strided(a, {}, {}, off_a);
    Tensor bi = as_strided(b, {}, {}, off_b);
    Tensor ci = as_strided(out, {}, {}, i * m * n);
    gemm(la.trans, lb.trans, m, n, k, 1.0, ai, la.ld, bi, lb.ld, 0.0, ci, n);
  };
  const double work = static_cast<double>(m) * n * k;
  if (batch > 1 && work < kSmallGemm) {
    for_each_small_gemm(batch, one);  // per-head products: one per thread, BLAS single-threaded
  } else {
    for (int64_t i = 0; i < batch; ++i) one(i);
  }
  return out;
}

}  // namespace bertology::kernels
