#!/usr/bin/env bash
# The whole test suite built with AddressSanitizer + UndefinedBehaviorSanitizer (CMake preset
# `asan`, build dir build-asan): any out-of-bounds access, use after free, leak or undefined
# behaviour fails the test that caused it. Extra arguments go to ctest (e.g. -R Tokenizer).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh" --with-chromium --no-build
cd "$root"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$(nproc)"
ctest --preset asan -j "$(nproc)" "$@"
