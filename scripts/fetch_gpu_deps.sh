#!/usr/bin/env bash
# Downloads (does not install) the Debian packages the GPU machine lacks for a build: oneTBB and
# the ICU headers with their runtime (a GPU machine may have neither). They land in build-gpu-deps/
# (ignored by git); carry that folder to the GPU machine, where bench/gpu_check.sh unpacks them
# into a private prefix. Run as root on a Debian/Ubuntu machine with apt sources.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$root/build-gpu-deps"
cd "$root/build-gpu-deps"
apt-get update -qq
apt-get download -qq libtbb-dev libtbb12 libtbbmalloc2 libtbbbind-2-5 libicu-dev libicu72
ls -1 *.deb
