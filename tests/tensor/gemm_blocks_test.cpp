// Large products are cut into blocks of C's rows, one per thread, or into chunks of columns when
// they have few rows (kernels/blas.cpp). The cut must not change a bit: every thread count gives
// the single thread's result, for every transpose combination, odd sizes, leading dimensions wider
// than the matrices, and beta != 0.
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/parallel.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <tuple>

namespace bertology {
namespace {

struct Product {
  int64_t m, n, k;
  bool trans_a, trans_b;
};

// C (m, n) inside a wider (m, n + 5) buffer that starts as C0, then
// C = 0.5·op(A)·op(B) + 0.25·C0 with A and B also inside wider buffers.
Tensor blocked_product(const Product& p, DType dtype, int threads) {
  set_num_threads(threads);
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  auto filled = [&](int64_t rows, int64_t cols) {
    Tensor t = Tensor::empty({rows, cols}, DType::Float64);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<double>()[i] = uniform(rng);
    return t.to(dtype);
  };
  const int64_t a_rows = p.trans_a ? p.k : p.m, a_cols = p.trans_a ? p.m : p.k;
  const int64_t b_rows = p.trans_b ? p.n : p.k, b_cols = p.trans_b ? p.k : p.n;
  Tensor a = filled(a_rows, a_cols + 3), b = filled(b_rows, b_cols + 2), c = filled(p.m, p.n + 5);
  kernels::gemm(p.trans_a, p.trans_b, p.m, p.n, p.k, 0.5, a, a_cols + 3, b, b_cols + 2, 0.25, c, p.n + 5);
  return c;
}

bool same_bits(const Tensor& x, const Tensor& y) {
  return x.numel() == y.numel() && std::memcmp(x.raw_data(), y.raw_data(), x.numel() * element_size(x.dtype())) == 0;
}

TEST(GemmBlocks, EveryThreadCountGivesTheSingleCallsBits) {
  const int before = num_threads();
  for (DType dtype : {DType::Float32, DType::Float64})
    for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{1000, 300, 97},
                           {130, 1001, 211},  // few rows, many columns
                           {1024, 768, 64},   // BERT's shapes, short K
                           {777, 129, 385},   // K over one of OpenBLAS's K-blocks
                           {40, 1000, 300}})  // too few rows: cut by columns
      for (bool trans_a : {false, true})
        for (bool trans_b : {false, true}) {
          const Product p{m, n, k, trans_a, trans_b};
          const Tensor single = blocked_product(p, dtype, 1);
          for (int threads : {2, 3, 4})
            EXPECT_TRUE(same_bits(single, blocked_product(p, dtype, threads)))
                << dtype_name(dtype) << " " << m << "x" << n << "x" << k << " ta=" << trans_a << " tb=" << trans_b
                << " on " << threads << " threads";
        }
  set_num_threads(before);
}

// The blocks together are the whole product: every element against a plain dot product, for a
// product cut by rows (3 blocks) and one cut by columns (8 chunks, the last one narrower).
TEST(GemmBlocks, BlocksCoverTheWholeProduct) {
  const int before = num_threads();
  set_num_threads(3);
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{700, 250, 90}, {40, 1000, 300}}) {
    Tensor a = Tensor::empty({m, k}, DType::Float64), b = Tensor::empty({n, k}, DType::Float64);
    for (int64_t i = 0; i < a.numel(); ++i) a.data<double>()[i] = uniform(rng);
    for (int64_t i = 0; i < b.numel(); ++i) b.data<double>()[i] = uniform(rng);
    Tensor c = Tensor::full({m, n}, 7.0, DType::Float64);
    kernels::gemm(false, true, m, n, k, 1.0, a, k, b, k, 1.0, c, n);
    double worst = 0;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double want = 7.0;
        for (int64_t p = 0; p < k; ++p) want += a.data<double>()[i * k + p] * b.data<double>()[j * k + p];
        worst = std::max(worst, std::abs(c.data<double>()[i * n + j] - want));
      }
    EXPECT_LT(worst, 1e-12) << m << "x" << n << "x" << k;
  }
  set_num_threads(before);
}

}  // namespace
}  // namespace bertology
