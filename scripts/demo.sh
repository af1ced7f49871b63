#!/usr/bin/env bash
# Quick start, first command: set up, build, and run the main job.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
"${BERTOLOGY_BUILD_DIR:-$root/build}/tools/bertology" "$@"
