#!/usr/bin/env bash
# One script for a GPU machine (one NVIDIA GPU, nvcc 13, cuBLAS, OpenBLAS, GoogleTest, Google
# Benchmark, PyTorch; perhaps no oneTBB or ICU headers): builds the CUDA configuration, runs the
# CUDA tests and every fixture parity test with the models on the GPU, then the BERT-base
# importance pass (batch 32 x 128, fp32, TF32 off) next to PyTorch eager on the same GPU, and
# prints one summary. Needs build-gpu-deps/ from scripts/fetch_gpu_deps.sh (carried along) when
# the machine has no oneTBB or ICU headers. Budget: under 8 minutes on 16 cores.
#
#   bench/gpu_check.sh [OUT_DIR]     (OUT_DIR: where logs and results.json go; default build-gpu/check)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${1:-build-gpu/check}"
mkdir -p "$out"
started=$(date +%s)
say() { echo "gpu_check: $*" | tee -a "$out/summary.txt"; }
: > "$out/summary.txt"

# 1. Dependencies the machine lacks, unpacked into a private prefix (never into /).
prefix="$root/build-gpu-deps/root"
if ls build-gpu-deps/*.deb >/dev/null 2>&1; then
  mkdir -p "$prefix"
  for deb in build-gpu-deps/*.deb; do dpkg -x "$deb" "$prefix"; done
  export CMAKE_PREFIX_PATH="$prefix/usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
  export LD_LIBRARY_PATH="$prefix/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  icu_root=(-DICU_ROOT="$prefix/usr")
else
  icu_root=()
fi
say "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo 'nvidia-smi not found')"

# 2. Build: the CUDA backend, tests and the benchmark driver.
generator=(); command -v ninja >/dev/null && generator=(-G Ninja)
if ! cmake -S . -B build-gpu "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DBERTOLOGY_CUDA=ON \
      -DBERTOLOGY_BUILD_BENCHMARKS=ON "${icu_root[@]}" > "$out/configure.log" 2>&1 ||
   ! cmake --build build-gpu -j "$(nproc)" --target bertology_tests bertology_bench > "$out/build.log" 2>&1; then
  say "BUILD FAILED (last lines of the logs follow)"
  tail -30 "$out/configure.log" "$out/build.log"
  exit 1
fi
say "build: ok in $(( $(date +%s) - started )) s"

# 3. Tests on the GPU: the kernels against the CPU, and every fixture model on the GPU against
#    HF's float64 reference (the same tolerances as on the CPU).
( cd build-gpu && BERTOLOGY_TEST_DEVICE=cuda ctest -j 4 -R 'Cuda|DeviceBlockCache|Parity|BertPooler' \
    --output-on-failure > "$root/$out/tests.log" 2>&1 )
say "tests: $(grep -E 'tests passed|tests failed' "$out/tests.log" | tail -1)"
skipped=$(grep -c 'Skipped' "$out/tests.log" || true)
[ "$skipped" -gt 0 ] && say "tests: $skipped skipped (see $out/tests.log)"

# 4. BERT-base importance pass, batch 32 x 128, ours next to PyTorch on this GPU, same run.
python3 bench/compare_pytorch.py --model bert --pass importance --device cuda --batch 32 --seq 128 \
  --repeats 10 --bench build-gpu/bench/bertology_bench --json "$out/results.json" > "$out/bench.log" 2>&1
grep -E '^bert-base' "$out/bench.log" | while read -r line; do say "bench: $line"; done
say "bench columns: model pass ours_s torch_s ours_tok/s torch_tok/s speed-up ... (full table in $out/bench.log)"
say "total: $(( $(date +%s) - started )) s"
