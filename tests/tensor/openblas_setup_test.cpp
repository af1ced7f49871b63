// The report of OpenBLAS's kernels, and products that are right with whatever kernels run:
// OPENBLAS_CORETYPE picks another kernel set, and the suite must pass under any of them.
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/openblas_setup.h>
#include <bertology/tensor/parallel.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <strings.h>
#include <tuple>

namespace bertology {
namespace {

TEST(OpenBlasSetup, ReportsTheKernelsInUse) {
  BlasSetup setup = blas_setup();
  ASSERT_EQ(setup.library, "OpenBLAS") << "the build links Debian's OpenBLAS";
  EXPECT_FALSE(setup.kernels.empty());
  const char* chosen = std::getenv("OPENBLAS_CORETYPE");
  if (chosen == nullptr) {
    EXPECT_FALSE(setup.kernels_from_environment);
  } else if (setup.kernels_from_environment) {
    EXPECT_EQ(strcasecmp(chosen, setup.kernels.c_str()), 0) << chosen;
  }
  const std::string line = blas_description(setup);
  EXPECT_EQ(line.rfind("OpenBLAS, " + setup.kernels + " kernels (", 0), 0u) << line;
}

// Every transpose combination, odd sizes and a size below the kernels' block widths, in float
// and double, against a plain triple loop in double.
TEST(OpenBlasSetup, ProductsAreRightWithTheKernelsInUse) {
  set_num_threads(2);
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  for (DType dtype : {DType::Float32, DType::Float64})
    for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{3, 5, 7}, {67, 129, 33}, {96, 80, 300}})
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          Tensor a = Tensor::empty(ta ? Shape{k, m} : Shape{m, k}, DType::Float64);
          Tensor b = Tensor::empty(tb ? Shape{n, k} : Shape{k, n}, DType::Float64);
          for (int64_t i = 0; i < a.numel(); ++i) a.data<double>()[i] = uniform(rng);
          for (int64_t i = 0; i < b.numel(); ++i) b.data<double>()[i] = uniform(rng);
          Tensor av = ta ? a.transpose(0, 1) : a, bv = tb ? b.transpose(0, 1) : b;
          Tensor c = kernels::matmul(av.to(dtype), bv.to(dtype)).to(DType::Float64);
          double worst = 0;
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) {
              double want = 0;
              for (int64_t p = 0; p < k; ++p) want += av.at({i, p}) * bv.at({p, j});
              worst = std::max(worst, std::abs(c.at({i, j}) - want));
            }
          const double tolerance = dtype == DType::Float32 ? 1e-4 * std::sqrt(double(k)) : 1e-12;
          EXPECT_LT(worst, tolerance) << dtype_name(dtype) << " " << m << "x" << n << "x" << k << " ta=" << ta
                                      << " tb=" << tb;
        }
}

}  // namespace
}  // namespace bertology
