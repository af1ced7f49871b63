# The project's chosen dependencies, all found as Debian packages (see scripts/setup.sh).
set(BLA_VENDOR OpenBLAS)
find_package(BLAS REQUIRED)
find_package(TBB REQUIRED)
find_package(ICU REQUIRED COMPONENTS uc i18n)
find_package(nlohmann_json 3.10 REQUIRED)

# cblas.h: Debian puts OpenBLAS's copy under the multiarch include folder.
find_path(BERTOLOGY_CBLAS_INCLUDE_DIR cblas.h
  PATH_SUFFIXES openblas-pthread openblas x86_64-linux-gnu/openblas-pthread)
if(NOT BERTOLOGY_CBLAS_INCLUDE_DIR)
  message(FATAL_ERROR "cblas.h not found: install libopenblas-dev")
endif()

if(BERTOLOGY_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(BERTOLOGY_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()
