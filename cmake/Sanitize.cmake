# Optional instrumented builds: BERTOLOGY_SANITIZE (ASan + UBSan for every target) and
# BERTOLOGY_FUZZ (clang only: the same sanitizers plus libFuzzer coverage, builds tests/fuzz).
option(BERTOLOGY_SANITIZE "Build everything with AddressSanitizer + UndefinedBehaviorSanitizer" OFF)
option(BERTOLOGY_FUZZ "Build the libFuzzer targets in tests/fuzz (needs clang++)" OFF)

set(BERTOLOGY_SANITIZER_FLAGS
  -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)

if(BERTOLOGY_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "BERTOLOGY_FUZZ needs clang: configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # The library and everything else get coverage instrumentation only ("fuzzer-no-link");
  # the fuzz executables add -fsanitize=fuzzer themselves (tests/fuzz/CMakeLists.txt), which
  # links libFuzzer's main().
  add_compile_options(${BERTOLOGY_SANITIZER_FLAGS} -fsanitize=fuzzer-no-link)
  add_link_options(${BERTOLOGY_SANITIZER_FLAGS})
elseif(BERTOLOGY_SANITIZE)
  # Directory-wide, so the library, tests, tools and benchmarks are all instrumented.
  add_compile_options(${BERTOLOGY_SANITIZER_FLAGS})
  add_link_options(${BERTOLOGY_SANITIZER_FLAGS})
endif()
