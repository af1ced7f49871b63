#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the build needs (only those missing), then configures and
# builds into build/ (or $BERTOLOGY_BUILD_DIR). Used by scripts/demo.sh, test.sh, sanitize.sh and
# fuzz.sh. Options:
#   --with-chromium  also headless Chromium (the test report_renders_in_chromium renders pages)
#   --with-clang     also clang and its runtime libraries (libFuzzer), for scripts/fuzz.sh
#   --no-build       install only
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BERTOLOGY_BUILD_DIR:-$root/build}"

packages=(build-essential cmake pkg-config libopenblas-dev libtbb-dev libicu-dev
          libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev
          python3-numpy)  # python3-numpy: a test checks that numpy.load reads our .npy files
do_build=1
for option in "$@"; do
  case "$option" in
    --with-chromium) packages+=(chromium) ;;  # Ubuntu names it chromium-browser: see below
    --with-clang) packages+=(clang libclang-rt-dev) ;;
    --no-build) do_build=0 ;;
    *) echo "setup.sh: unknown option '$option'" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  # grep without -q reads all its input: with pipefail, a grep -q that stops early can make the
  # writer die of SIGPIPE and the pipeline fail although the text matched.
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  # Debian's `chromium` is `chromium-browser` on Ubuntu: take whichever apt can install.
  for i in "${!missing[@]}"; do
    if [ "${missing[$i]}" = chromium ] && ! apt-cache policy chromium 2>/dev/null | grep 'Candidate: [0-9]' >/dev/null; then
      missing[$i]=chromium-browser
    fi
  done
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ((do_build)); then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j "$(nproc)"
fi
