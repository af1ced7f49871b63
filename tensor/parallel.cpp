// The thread-count setting: TBB gets the threads; OpenBLAS runs single-threaded inside them, so
// the two never oversubscribe the cores and no product waits for a BLAS worker to wake.
#include <bertology/tensor/error.h>
#include <bertology/tensor/openblas_setup.h>
#include <bertology/tensor/parallel.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

#include <cblas.h>
#include <tbb/global_control.h>

extern "C" void openblas_set_num_threads(int);

namespace bertology {
namespace {

std::mutex g_mutex;
int g_threads = 0;                    // 0 = not decided yet
std::atomic<bool> g_applied{false};  // whether apply() has run: the lock-free check before a loop
std::unique_ptr<tbb::global_control> g_tbb_limit;

int default_threads() {
  if (const char* env = std::getenv("BERTOLOGY_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

void apply(int n) {
  prepare_openblas();  // once, before OpenBLAS's first product
  g_threads = n;
  g_tbb_limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, n);
  openblas_set_num_threads(1);  // the library cuts large products over TBB's threads itself (blas.cpp)
  g_applied.store(true, std::memory_order_release);
}

}  // namespace

void set_num_threads(int n) {
  if (n < 1) throw Error(concat("set_num_threads: need at least 1 thread, got ", n));
  std::lock_guard<std::mutex> lock(g_mutex);
  apply(n);
}

int num_threads() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_threads == 0) apply(default_threads());
  return g_threads;
}

void ensure_thread_limit() {
  if (!g_applied.load(std::memory_order_acquire)) num_threads();
}

}  // namespace bertology
