// Matrix products on OpenBLAS: 2-D and batched GEMM where each operand may be row-major or a
// transposed view (passed to BLAS as a flag, never copied). BLAS always runs single-threaded
// (parallel.cpp); the threads are TBB's. A large product is cut into one block of C's rows per
// thread (or into chunks of columns when it has few rows); many small products (attention
// heads) run one per TBB task.
#include <bertology/tensor/backend.h>
#include <bertology/tensor/kernels/dispatch.h>
#include <bertology/tensor/kernels/kernel_helpers.h>
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/kernels/on_device.h>
#include <bertology/tensor/parallel.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <type_traits>

#include <cblas.h>

namespace bertology::kernels {
namespace {

// A product is cut when it has at least twice this many multiply-adds (one block: about 50 µs
// of one core at 170 GFLOP/s): below that, waking a second thread costs more than it saves.
constexpr double kMinBlockWork = 4.0e6;
// Row blocks have at least this many rows; a product with fewer is cut by columns instead.
constexpr int64_t kMinBlockRows = 48;

// Row blocks start at multiples of this many rows. In the x86-64 kernel sets tried (Nehalem,
// Sandybridge, Haswell, Zen, SkylakeX, Cooperlake; float and double; up to 1024 rows), a cut at a
// multiple of 24 rows left every element of C with the bits of one unsplit call, and cuts
// elsewhere did not always (Haswell's float kernels need multiples of 12, Nehalem's of 8). So
// there the bits do not depend on the thread count; tests/tensor/gemm_blocks_test.cpp checks it
// for the kernels in use. Not covered: another BLAS, and products of more rows than OpenBLAS's
// GEMM_R (thousands), where its own loop restarts; there the bits may depend on the thread count,
// as they did under OpenBLAS's own threads. The price: 1024 rows on 2 threads are cut 504 + 520.
constexpr int64_t kRowAlign = 24;

// A product with too few rows to cut is cut into chunks of this many columns, whatever the thread
// count (one thread runs the same chunks in turn), so its bits do not depend on the thread count
// by construction. Each chunk packs only its own columns of B, so the chunks cost no extra work.
constexpr int64_t kColumnChunk = 128;

// How a product is shared among the threads: `count` blocks of C's rows (one per thread) or of
// its columns (kColumnChunk each); 1 when it is not cut.
struct Cut {
  bool by_rows = true;
  int64_t count = 1;
};

Cut plan_cut(int64_t m, int64_t n, int64_t k) {
  const double work = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (work < 2 * kMinBlockWork) return {};  // checked first: num_threads() takes a lock
  if (m < 2 * kMinBlockRows) return {false, n >= 2 * kColumnChunk ? (n + kColumnChunk - 1) / kColumnChunk : 1};
  const int64_t blocks = std::min({static_cast<int64_t>(num_threads()), static_cast<int64_t>(work / kMinBlockWork),
                                   m / kMinBlockRows});
  return {true, std::max<int64_t>(blocks, 1)};
}

// Block i of C (M, N) under `cut`: rows [row, row + rows) × columns [col, col + cols).
struct Block {
  int64_t row, rows, col, cols;
};
Block block_of(const Cut& cut, int64_t i, int64_t m, int64_t n) {
  if (!cut.by_rows) {
    const int64_t col = i * kColumnChunk;
    return {0, m, col, std::min(kColumnChunk, n - col)};
  }
  // An even share of the rows, its start moved to the nearest multiple of kRowAlign. Each share
  // is at least kMinBlockRows = 2·kRowAlign rows and moves by at most kRowAlign / 2, so the starts
  // strictly increase and no block is empty.
  auto start = [&](int64_t j) {
    if (j == cut.count) return m;
    const double even = static_cast<double>(m) * static_cast<double>(j) / static_cast<double>(cut.count);
    return kRowAlign * static_cast<int64_t>(std::llround(even / kRowAlign));
  };
  return {start(i), start(i + 1) - start(i), 0, n};
}

// One single-threaded BLAS call on raw pointers: C(M,N) = alpha·op(A)·op(B) + beta·C, row-major.
template <class T>
void blas_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
               const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  auto ta = trans_a ? CblasTrans : CblasNoTrans;
  auto tb = trans_b ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else
    cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// C = alpha·op(A)·op(B) + beta·C, cut as plan_cut says, each block a single-threaded BLAS call in
// a TBB task. OpenBLAS's own threads would split it too, but each of its products first wakes a
// sleeping worker; in a pass that alternates products with TBB's element-wise loops, that cost
// 0.2-0.4 ms a product (10% of a 1024×768×768 product, timed inside the importance pass), while
// TBB's workers are already awake.
template <class T>
void split_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  const Cut cut = plan_cut(m, n, k);
  if (cut.count < 2) return blas_gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  parallel_for(cut.count, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const Block blk = block_of(cut, i, m, n);  // its rows of op(A), its columns of op(B)
      blas_gemm(trans_a, trans_b, blk.rows, blk.cols, k, alpha, a + (trans_a ? blk.row : blk.row * lda), lda,
                b + (trans_b ? blk.col * ldb : blk.col), ldb, beta, c + blk.row * ldc + blk.col, ldc);
    }
  });
}

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
    split_gemm<T>(trans_a, trans_b, m, n, k, static_cast<T>(alpha), a.data<T>(), lda, b.data<T>(), ldb,
                  static_cast<T>(beta), c.data<T>(), ldc);
  });
}

int64_t gemm_calls() { return g_gemm_calls.load(); }

void for_each_small_gemm(int64_t n, const std::function<void(int64_t)>& body) {
  parallel_for(n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) body(i);
  });
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
  if (batch > 1 && plan_cut(m, n, k).count < 2) {
    for_each_small_gemm(batch, one);  // per-head products, each too small to cut: one per thread
  } else {
    for (int64_t i = 0; i < batch; ++i) one(i);
  }
  return out;
}

}  // namespace bertology::kernels
