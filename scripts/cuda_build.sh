#!/usr/bin/env bash
# The CUDA build (CMake preset `cuda`, build dir build-cuda: -DBERTOLOGY_CUDA=ON, nvcc for sm_90
# plus PTX, cuBLAS), then its test suite. On a machine without a GPU the GPU tests skip and say
# so; everything else must pass as in the CPU build. Extra arguments go to ctest (e.g. -R Cuda).
# Needs nvcc: /usr/local/cuda/bin/nvcc or one on PATH.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v nvcc >/dev/null && [ ! -x /usr/local/cuda/bin/nvcc ]; then
  echo "cuda_build.sh: nvcc not found (install the CUDA toolkit, or put nvcc on PATH)" >&2
  exit 1
fi
"$root/scripts/setup.sh" --no-build
cd "$root"
cmake --preset cuda >/dev/null
cmake --build --preset cuda -j "$(nproc)"
ctest --preset cuda -j "$(nproc)" "$@"
