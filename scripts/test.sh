#!/usr/bin/env bash
# Quick start, second command: set up, build, and run the whole test suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh" --with-chromium
cd "${BERTOLOGY_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "$(nproc)" "$@"
