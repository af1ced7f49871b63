// OpenBLAS's settings and report. The OpenBLAS functions are looked up at run time: another
// BLAS (reference, serial or OpenMP builds) may lack them, and then nothing changes.
#include <bertology/tensor/openblas_setup.h>

#include <dlfcn.h>
#include <strings.h>

#include <cstdlib>
#include <mutex>

namespace bertology {
namespace {

template <class Fn>
Fn find_openblas_function(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

bool g_idle_timeout_from_environment = false;  // written once, inside prepare_openblas()

// OpenBLAS's idle workers spin on sched_yield for about 2^28 cycles (~0.1 s) after every call
// before they sleep. Between two GEMMs the cores belong to TBB's element-wise loops, and on a
// machine with few cores that spin takes CPU time from them (about 8% of a 2-core importance pass
// was spent there). OpenBLAS reads its timeout from OPENBLAS_THREAD_TIMEOUT when its threads
// start, so unless the user chose a timeout, this sets the shortest one (2^4 cycles: sleep at
// once; waking costs one condition-variable signal per large GEMM) and restarts the threads.
// The variable stays set: OpenBLAS restarts its threads after a fork() and reads it again.
// The library's own products no longer wake these workers (parallel.cpp sets OpenBLAS to one
// thread and kernels/blas.cpp cuts large products over TBB's threads); the setting still holds
// for any other code in the process that gives OpenBLAS threads.
void make_idle_blas_threads_sleep() {
  g_idle_timeout_from_environment = std::getenv("OPENBLAS_THREAD_TIMEOUT") != nullptr;
  if (g_idle_timeout_from_environment) return;  // the user's choice stands
  auto read_env = find_openblas_function<void (*)()>("openblas_read_env");
  auto stop_threads = find_openblas_function<int (*)()>("blas_thread_shutdown_");
  auto start_threads = find_openblas_function<int (*)()>("blas_thread_init");
  if (read_env == nullptr || stop_threads == nullptr || start_threads == nullptr) return;
  setenv("OPENBLAS_THREAD_TIMEOUT", "4", /*overwrite=*/0);
  read_env();
  stop_threads();
  start_threads();
}

std::once_flag g_prepared;

}  // namespace

void prepare_openblas() { std::call_once(g_prepared, make_idle_blas_threads_sleep); }

BlasSetup blas_setup() {
  prepare_openblas();
  BlasSetup setup;
  auto corename = find_openblas_function<char* (*)()>("openblas_get_corename");
  setup.library = corename == nullptr ? "BLAS" : "OpenBLAS";
  if (corename != nullptr) setup.kernels = corename();
  // OpenBLAS chooses its kernels when it is loaded, from OPENBLAS_CORETYPE when it names a
  // kernel set this build has (otherwise OpenBLAS warns and detects the CPU as usual).
  const char* chosen = std::getenv("OPENBLAS_CORETYPE");
  setup.kernels_from_environment = chosen != nullptr && strcasecmp(chosen, setup.kernels.c_str()) == 0;
  setup.idle_timeout_from_environment = g_idle_timeout_from_environment;
  return setup;
}

std::string blas_description(const BlasSetup& setup) {
  if (setup.library != "OpenBLAS") return setup.library;
  return "OpenBLAS, " + setup.kernels + " kernels" +
         (setup.kernels_from_environment ? " (set by OPENBLAS_CORETYPE)" : " (OpenBLAS's choice for this CPU)");
}

}  // namespace bertology
