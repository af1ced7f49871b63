// The thread-count setting: one number for TBB loops and OpenBLAS, so they never oversubscribe.
#include <bertology/tensor/error.h>
#include <bertology/tensor/parallel.h>

#include <dlfcn.h>

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
int g_threads = 0;  // 0 = not decided yet
std::unique_ptr<tbb::global_control> g_tbb_limit;

int default_threads() {
  if (const char* env = std::getenv("BERTOLOGY_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// OpenBLAS's idle workers spin on sched_yield for about 2^28 cycles (~0.1 s) after every call
// before they sleep. Between two GEMMs the cores belong to TBB's element-wise loops, and on a
// machine with few cores that spin takes CPU time from them (about 8% of a 2-core importance pass
// was spent there). OpenBLAS reads its timeout from OPENBLAS_THREAD_TIMEOUT when its threads
// start, so unless the user chose a timeout, this sets the shortest one (2^4 cycles: sleep at
// once; waking costs one condition-variable signal per large GEMM) and restarts the threads.
// The variable stays set: OpenBLAS restarts its threads after a fork() and reads it again.
// The functions are looked up at run time: other BLAS builds (serial, OpenMP) may lack them,
// and then nothing changes.
void make_idle_blas_threads_sleep() {
  if (std::getenv("OPENBLAS_THREAD_TIMEOUT") != nullptr) return;  // the user's choice stands
  using Fn = int (*)();
  auto read_env = reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "openblas_read_env"));
  auto stop_threads = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "blas_thread_shutdown_"));
  auto start_threads = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "blas_thread_init"));
  if (read_env == nullptr || stop_threads == nullptr || start_threads == nullptr) return;
  setenv("OPENBLAS_THREAD_TIMEOUT", "4", /*overwrite=*/0);
  read_env();
  stop_threads();
  start_threads();
}

void apply(int n) {
  if (g_threads == 0) make_idle_blas_threads_sleep();
  g_threads = n;
  g_tbb_limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, n);
  openblas_set_num_threads(n);
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

void ensure_thread_limit() { num_threads(); }

}  // namespace bertology
