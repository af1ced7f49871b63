// What the library sets in OpenBLAS, once, before its first product (see openblas_setup.cpp),
// and a report of which kernels OpenBLAS runs: benchmarks print it, because the kernel set
// alone can change a product's speed twofold (AVX2 against AVX-512).
#pragma once
#include <string>

namespace bertology {

// Makes OpenBLAS's idle threads sleep at once, unless OPENBLAS_THREAD_TIMEOUT is set. The first
// call does it; later calls do nothing. The thread-count setting (parallel.cpp) calls it before
// anything uses OpenBLAS.
void prepare_openblas();

struct BlasSetup {
  std::string library;  // "OpenBLAS", or "BLAS" for another implementation
  std::string kernels;  // OpenBLAS's kernel set, named as OPENBLAS_CORETYPE names them ("Haswell")
  bool kernels_from_environment = false;  // OPENBLAS_CORETYPE names them: it chose, not OpenBLAS's detection
  bool idle_timeout_from_environment = false;  // OPENBLAS_THREAD_TIMEOUT was set: left as it is
};
// What prepare_openblas() found (it is called first).
BlasSetup blas_setup();
// One line for logs and benchmarks: "OpenBLAS, Haswell kernels (set by OPENBLAS_CORETYPE)".
std::string blas_description(const BlasSetup& setup);

}  // namespace bertology
