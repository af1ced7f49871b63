// The thread setting: after a product, no idle thread may spin (neither TBB's workers, which run
// the product's blocks, nor OpenBLAS's, which the library keeps asleep), so the cores go to the
// element-wise loops between two GEMMs and to other processes when the library is idle.
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/openblas_setup.h>
#include <bertology/tensor/parallel.h>

#include <cblas.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>

namespace bertology {
namespace {

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

TEST(Parallel, IdleBlasThreadsSleepRightAfterAProduct) {
  set_num_threads(2);
  if (blas_setup().idle_timeout_from_environment)
    GTEST_SKIP() << "OPENBLAS_THREAD_TIMEOUT is set in the environment; the library keeps the user's value";
  ASSERT_STREQ(std::getenv("OPENBLAS_THREAD_TIMEOUT"), "4");

  // A product large enough to be cut over both of TBB's threads...
  Tensor a = Tensor::ones({512, 512});
  Tensor c = kernels::matmul(a, a);
  ASSERT_EQ(c.at({0, 0}), 512.0);
  // ...and one on OpenBLAS's own threads, as other code in the process might run, then 100 ms of
  // idleness.
  openblas_set_num_threads(2);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 512, 512, 512, 1.0f, a.data<float>(), 512,
              a.data<float>(), 512, 0.0f, c.data<float>(), 512);
  openblas_set_num_threads(1);
  ASSERT_EQ(c.at({0, 0}), 512.0);
  const double cpu_before = process_cpu_seconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const double idle_cpu_ms = 1e3 * (process_cpu_seconds() - cpu_before);
  // A spinning worker would burn most of the 100 ms (OpenBLAS's default spins ~0.1 s).
  EXPECT_LT(idle_cpu_ms, 20.0) << "CPU time used while idle";
}

// The library's products run on TBB's threads; OpenBLAS is kept at one, so the two pools never
// compete for the cores.
TEST(Parallel, OpenBlasRunsSingleThreaded) {
  const int before = num_threads();
  set_num_threads(2);
  EXPECT_EQ(openblas_get_num_threads(), 1);
  set_num_threads(before);
  EXPECT_EQ(openblas_get_num_threads(), 1);
}

}  // namespace
}  // namespace bertology
