#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz and runs each for SECONDS
# (default 30), printing exec/s and corpus size per target; exits 1 if any target crashed.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (no TARGET: all of them)
# FUZZ_SEED fixes libFuzzer's random seed (CI uses 1, so a run is repeatable); default: random.
set -u
cd "$(dirname "$0")/.."
scripts/setup.sh --with-clang --no-build || exit 2
seconds="${1:-30}"
shift $(( $# > 0 ? 1 : 0 ))
jobs="${FUZZ_JOBS:-2}"
clangxx="${CLANGXX:-$(command -v clang++ || command -v clang++-14)}"
targets="safetensors_fuzz pytorch_bin_fuzz config_fuzz bert_tokenizer_fuzz gpt2_tokenizer_fuzz
         glue_fuzz npy_fuzz sharded_index_fuzz"
if [ $# -gt 0 ]; then targets="$*"; fi

mkdir -p build-fuzz
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER="$clangxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DBERTOLOGY_FUZZ=ON -DBERTOLOGY_BUILD_TESTS=OFF -DBERTOLOGY_BUILD_BENCHMARKS=OFF \
  -DBERTOLOGY_BUILD_TOOLS=OFF > build-fuzz/configure.log 2>&1 \
  || { cat build-fuzz/configure.log; exit 2; }
cmake --build build-fuzz -j "$jobs" || exit 2

# Leaks inside TBB/OpenBLAS's thread pools are not ours (see tests/sanitizer/lsan.supp).
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1"
failed=0
printf '%-22s %8s %10s %8s  %s\n' target exec/s executions corpus result
for target in $targets; do
  work="build-fuzz/corpus/$target"        # grows as the fuzzer finds new inputs
  crashes="build-fuzz/crashes/$target"
  log="build-fuzz/$target.log"
  mkdir -p "$work" "$crashes"
  # The seeds (tests/fuzz/corpus/$target) are read, never written.
  "build-fuzz/tests/fuzz/$target" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
    -print_final_stats=1 -seed="${FUZZ_SEED:-0}" -artifact_prefix="$crashes/" "$work" "tests/fuzz/corpus/$target" \
    > "$log" 2>&1
  rc=$?
  exec_per_sec=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  corpus=$(ls "$work" | wc -l)
  if [ "$rc" -eq 0 ]; then
    result=ok
  else
    result="CRASH (exit $rc): see $log and $crashes/"
    failed=1
  fi
  printf '%-22s %8s %10s %8s  %s\n' "$target" "${exec_per_sec:--}" "${executions:--}" "$corpus" "$result"
done
exit "$failed"
