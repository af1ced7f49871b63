#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the build needs (only those missing), then configures and
# builds into build/ (or $BERTOLOGY_BUILD_DIR). Used by scripts/demo.sh and scripts/test.sh.
# --with-chromium (passed by scripts/test.sh) also installs headless Chromium, which the test
# report_renders_in_chromium uses to render the HTML pages.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BERTOLOGY_BUILD_DIR:-$root/build}"

packages=(build-essential cmake pkg-config libopenblas-dev libtbb-dev libicu-dev
          libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev
          python3-numpy)  # python3-numpy: a test checks that numpy.load reads our .npy files
if [ "${1:-}" = "--with-chromium" ]; then packages+=(chromium); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)"
