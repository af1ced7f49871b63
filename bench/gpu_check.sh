#!/usr/bin/env bash
# One script for a GPU machine (one NVIDIA GPU, nvcc 13, cuBLAS, OpenBLAS, GoogleTest, Google
# Benchmark, PyTorch; perhaps no oneTBB or ICU headers). In order:
#   1. builds the CUDA configuration there, or unpacks one built elsewhere (--prebuilt, made by
#      scripts/pack_gpu_run.sh: the machine then spends no minutes compiling);
#   2. runs the CUDA kernel tests and every fixture parity test with the models on the GPU;
#   3. end to end: `bertology dump --grads --device cuda` on every fixture model against the same
#      dump on the CPU (relative error ≤ 1e-4 per tensor), and `bertology run --device cuda` on the
#      demo against the CPU's run (importance and entropy);
#   4. forward, importance and full backward (batch 32 x 128, fp32, TF32 off) of BERT-base and
#      GPT-2 small, ours next to PyTorch eager on the same GPU, in the same run; BERT's importance
#      pass again with TF32 on both sides;
# and prints one summary (also OUT_DIR/summary.txt). Budget: under 8 minutes on 16 cores when it
# builds, about 3 with --prebuilt. Building needs build-gpu-deps/ from scripts/fetch_gpu_deps.sh
# (carried along) when the machine has no oneTBB or ICU headers.
#
#   bench/gpu_check.sh [--prebuilt ARCHIVE] [--passes all|importance] [--profile] [OUT_DIR]
#     --passes importance   only the importance pass, fp32 (all: forward and full too, and TF32)
#     --profile             also each kernel's GPU time under Nsight Compute (ncu), ours and PyTorch's
#     OUT_DIR               logs, results*.json and summary.txt (default build-gpu/check)
#
# Exits 1 when any check fails (a test, a dump or run above its tolerance, a failed benchmark).
set -uo pipefail
ulimit -c 0  # a crashing test leaves no core file behind
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
caller="$(pwd)"
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$caller/$1" ;; esac; }  # paths as the caller gave them
prebuilt="" passes=all profile=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prebuilt) prebuilt="$(absolute "$2")"; shift 2 ;;
    --passes) passes="$2"; shift 2 ;;
    --profile) profile=1; shift ;;
    -*) echo "gpu_check: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
out="$(absolute "${1:-$root/build-gpu/check}")"
mkdir -p "$out" || exit 1
cd "$root"
work="$(mktemp -d)"  # scratch outputs (dumps, runs, wrappers): not brought back
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
failed=0
say() { echo "gpu_check: $*" | tee -a "$out/summary.txt"; }
: > "$out/summary.txt"
python="${PYTHON:-python3}"  # the one with PyTorch and numpy
say "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo 'nvidia-smi not found')"

# Our binaries run through wrappers that set their library path, so that it never reaches
# PyTorch's processes, which keep their own CUDA and BLAS libraries.
our_libs=""
mkdir -p "$work/bin"
wrap() {  # wrap BINARY: prints the path of a wrapper that runs BINARY with our library path
  local wrapper="$work/bin/$(basename "$1")"
  printf '#!/bin/sh\nLD_LIBRARY_PATH="%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "%s" "$@"\n' "$our_libs" "$1" \
    > "$wrapper"
  chmod +x "$wrapper"
  echo "$wrapper"
}

# 1. The binaries.
if [ -n "$prebuilt" ]; then
  unpacked="$work/unpacked"
  rm -rf "$unpacked" && mkdir -p "$unpacked" && tar -C "$unpacked" -xJf "$prebuilt" || { say "cannot unpack $prebuilt"; exit 1; }
  # cuBLAS comes from the machine: the toolkit's folders, else PyTorch's wheel.
  cuda_libs=""
  for d in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib; do
    [ -e "$d/libcublas.so.13" ] && cuda_libs="$cuda_libs:$d"
  done
  if [ -z "$cuda_libs" ]; then
    found="$(find / -xdev -name 'libcublas.so.13' 2>/dev/null | head -1)"
    [ -n "$found" ] && cuda_libs=":$(dirname "$found")"
  fi
  our_libs="$unpacked/lib$cuda_libs"
  # The tests read their data by the absolute path they were built with.
  built_in="$(cat "$unpacked/source_dir")"
  if [ ! -e "$built_in" ]; then
    { mkdir -p "$(dirname "$built_in")" && ln -s "$root" "$built_in"; } ||
      { say "cannot link $built_in to $root: the tests will not find their data"; failed=1; }
  elif [ ! "$built_in" -ef "$root" ]; then
    say "warning: the tests read their data from $built_in, which is not this checkout ($root)"
  fi
  missing="$(LD_LIBRARY_PATH="$our_libs" ldd "$unpacked"/bin/* | grep 'not found' | sort -u | tr -s ' \t' ' ')"
  [ -n "$missing" ] && { say "libraries not found:$missing"; failed=1; }
  tests="$(wrap "$unpacked/bin/bertology_tests")"
  bench="$(wrap "$unpacked/bin/bertology_bench")"
  cli="$(wrap "$unpacked/bin/bertology")"
  say "binaries: prebuilt ($prebuilt, built in $built_in)"
else
  prefix="$root/build-gpu-deps/root"
  icu_root=()
  if ls build-gpu-deps/*.deb >/dev/null 2>&1; then  # the packages the machine lacks, never into /
    mkdir -p "$prefix"
    for deb in build-gpu-deps/*.deb; do dpkg -x "$deb" "$prefix"; done
    export CMAKE_PREFIX_PATH="$prefix/usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
    our_libs="$prefix/usr/lib/x86_64-linux-gnu"
    icu_root=(-DICU_ROOT="$prefix/usr")
  fi
  generator=(); command -v ninja >/dev/null && generator=(-G Ninja)
  if ! cmake -S . -B build-gpu "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DBERTOLOGY_CUDA=ON \
        -DBERTOLOGY_BUILD_BENCHMARKS=ON "${icu_root[@]}" > "$out/configure.log" 2>&1 ||
     ! cmake --build build-gpu -j "$(nproc)" --target bertology_tests bertology_bench bertology_cli \
        > "$out/build.log" 2>&1; then
    say "BUILD FAILED (last lines of the logs follow)"
    tail -30 "$out/configure.log" "$out/build.log"
    exit 1
  fi
  tests="$(wrap "$root/build-gpu/tests/bertology_tests")"
  bench="$(wrap "$root/build-gpu/bench/bertology_bench")"
  cli="$(wrap "$root/build-gpu/tools/bertology")"
  say "build: ok in $(( $(date +%s) - started )) s"
fi

# 2. Tests on the GPU: the kernels against the CPU, and every fixture model on the GPU against
#    HF's float64 reference (the same tolerances as on the CPU).
gpu_tests='*Cuda*:*DeviceBlockCache*:*Parity*:*BertPooler*:*PrunedFixture*'
BERTOLOGY_TEST_DEVICE=cuda timeout 120 "$tests" --gtest_filter="$gpu_tests" \
  > "$out/tests.log" 2>&1
status=$?
((status)) && failed=1
say "tests (exit $status): $(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$out/tests.log" | grep -v '\]  *[A-Za-z]' | tr -s ' ' | tr '\n' ' ')"
grep -E '^\[  FAILED  \] [A-Za-z]' "$out/tests.log" | grep -v ' ms)$' | head -20 | while read -r line; do say "  $line"; done
if ! grep -q '^\[==========\] .* ran\.' "$out/tests.log"; then
  # The binary died part-way (a crash, or a sticky CUDA error): run each test alone, launches
  # synchronous, so every failure is pinned on the test that caused it.
  # At most 150 s of them: the device time is short.
  say "tests: the run stopped part-way; each test alone follows"
  failed=1
  alone_started=$SECONDS
  "$tests" --gtest_list_tests --gtest_filter="$gpu_tests" |
    awk '/^[^ ]/ { suite = $1 } /^  / { print suite $1 }' > "$work/test_names"
  while read -r name; do
    ((SECONDS - alone_started > 150)) && { say "  (stopped after 150 s)"; break; }
    BERTOLOGY_TEST_DEVICE=cuda CUDA_LAUNCH_BLOCKING=1 timeout 30 "$tests" --gtest_filter="$name" \
      >> "$out/tests.log" 2>&1 || say "  failed alone (exit $?): $name"
  done < "$work/test_names"
fi

# 3. End to end: dump on the GPU against dump on the CPU, for every fixture model; the demo run.
: > "$out/e2e.log"
for model in tests/data/fixtures/*/model; do
  family="$(basename "$(dirname "$model")")"
  for device in cpu cuda; do
    timeout 60 "$cli" dump --model "$model" --inputs "$(dirname "$model")/expected.safetensors" --grads \
      --device "$device" --out "$work/$family.$device.safetensors" >> "$out/e2e.log" 2>&1 ||
      echo "dump $family --device $device failed" >> "$out/e2e.log"
  done
  verdict="$($python bench/compare_dumps.py "$work/$family.cuda.safetensors" "$work/$family.cpu.safetensors" \
               --label "$family, cuda against cpu" 2>&1 | tail -1)" || failed=1
  say "dump: $verdict"
done
for device in cpu cuda; do
  run_started=$SECONDS
  timeout 120 "$cli" run --model demo/model --task cola --data-dir demo/data/austen-order \
    --output-dir "$work/run-$device" --try-masking --device "$device" >> "$out/e2e.log" 2>&1 ||
    { echo "run --device $device failed" >> "$out/e2e.log"; failed=1; }
  echo "run --device $device: $(( SECONDS - run_started )) s" >> "$out/e2e.log"
done
grep -E '^(Score|Pruning: score|run --device)' "$out/e2e.log" | while read -r line; do say "run: $line"; done
for table in head_importance attn_entropy head_mask; do
  verdict="$($python bench/compare_dumps.py "$work/run-cuda/$table.npy" "$work/run-cpu/$table.npy" \
               --label "$table.npy, cuda against cpu" 2>&1 | tail -1)" || failed=1
  say "run: $verdict"
done

# 4. BERT-base and GPT-2 small at 32 x 128, fp32 (TF32 off): forward, importance (BERT: also with
#    half the heads pruned) and full backward, ours next to PyTorch on this GPU, same run; then the
#    BERT importance pass again with TF32 on both sides.
bench_pass() {  # bench_pass LOG JSON [compare_pytorch options...]
  local log="$1" json="$2"; shift 2
  PYTHONUNBUFFERED=1 timeout 300 $python bench/compare_pytorch.py --device cuda --batch 32 --seq 128 \
    --repeats 10 --bench "$bench" --json "$out/$json" "$@" > "$out/$log" 2>&1
  local status=$?
  ((status)) && failed=1
  grep -q ' failed$\| FAILED$' "$out/$log" && failed=1  # a pass that failed on either side
  say "bench $* (exit $status), medians of 10 after a warm-up:"
  awk '/^PyTorch [0-9]/ && !shown { print; shown = 1 } /^sgemm .*ours. runs/ { table = 1 } table && !/^wrote/' \
    "$out/$log" | while read -r line; do say "  $line"; done
}
if [ "$passes" = all ]; then
  bench_pass bench.log results.json --model all --pass all
  bench_pass bench-tf32.log results-tf32.json --model bert --pass importance --tf32
else
  bench_pass bench.log results.json --model all --pass "$passes"
fi

# 5. With --profile: the GPU time of every kernel of a 2-layer BERT importance pass (warm-up and
#    one timed run), ours and PyTorch's, summed per kernel by Nsight Compute. Ours runs each model
#    in its own process: the first process in profile-ours.txt is BERT-base, the second the
#    half-pruned model, which PyTorch's profile does not run. A profiler that cannot run here
#    (no hardware counters) is reported, not counted as a failure.
if ((profile)); then
  ncu_args=(--clock-control none --metrics gpu__time_duration.sum --print-summary per-kernel)
  shape=(--batch 32 --seq 128 --layers 2 --repeats 1 --device cuda)  # 2 layers: the mix of every layer, fewer kernels
  timeout 100 ncu "${ncu_args[@]}" "$bench" --model bert --pass importance "${shape[@]}" \
    > "$out/profile-ours.txt" 2>&1
  say "profile: ours (exit $?) in $out/profile-ours.txt"
  timeout 100 ncu "${ncu_args[@]}" $python bench/compare_pytorch.py --worker-model bert-base --worker-pass importance \
    "${shape[@]}" --threads 2 > "$out/profile-torch.txt" 2>&1
  say "profile: PyTorch (exit $?) in $out/profile-torch.txt"
fi
say "total: $(( $(date +%s) - started )) s$( ((failed)) && echo ', SOME CHECKS FAILED' )"
exit $failed
