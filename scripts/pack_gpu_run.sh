#!/usr/bin/env bash
# Builds the CUDA configuration here (nvcc 13, the same CUDA as the GPU machine) and packs what a
# GPU machine needs to run it into one archive, so that machine spends its minutes testing and
# measuring rather than compiling:
#   bin/   bertology_tests, bertology_bench, bertology (Release, sm_90 + PTX)
#   lib/   the shared libraries they load that a GPU machine may lack (oneTBB, ICU, OpenBLAS and
#          its Fortran runtime, cudart); never the C library, libstdc++ or cuBLAS (the GPU machine's
#          own are newer or the same)
#   source_dir   the absolute source path the tests were built with (their test data path)
# Run bench/gpu_check.sh --prebuilt ARCHIVE there.
#
#   scripts/pack_gpu_run.sh [ARCHIVE]     (default build-gpu-run/bertology-gpu.tar.xz)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
archive="${1:-build-gpu-run/bertology-gpu.tar.xz}"
"$root/scripts/setup.sh" --no-build
cmake --preset cuda -DBERTOLOGY_BUILD_BENCHMARKS=ON >/dev/null
cmake --build --preset cuda --target bertology_tests bertology_bench bertology_cli
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib"
bins=(build-cuda/tests/bertology_tests build-cuda/bench/bertology_bench build-cuda/tools/bertology)
cp "${bins[@]}" "$stage/bin/"
# The libraries to bring: every resolved dependency except the system's own and cuBLAS.
ldd "${bins[@]}" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u |
  grep -Ev '/(libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|libcublas|libcublasLt)\.so' |
  while read -r lib; do cp -L "$lib" "$stage/lib/$(basename "$lib")"; done
echo "$root" > "$stage/source_dir"
mkdir -p "$(dirname "$archive")"
tar -C "$stage" -cJf "$archive.tmp" bin lib source_dir
mv "$archive.tmp" "$archive"
echo "pack_gpu_run: $archive ($(du -h "$archive" | cut -f1)): $(ls "$stage/lib" | tr '\n' ' ')"
