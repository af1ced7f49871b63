#!/usr/bin/env bash
# The shipped demo data matches its checksums, and the generator rebuilds it byte for byte from
# the novels in demo/text.
#   demo_data_reproduces.sh SOURCE_DIR WORK_DIR
set -euo pipefail
source_dir="$1"
work="$2"
rm -rf "$work"
mkdir -p "$work"
(cd "$source_dir/demo/data" && sha256sum --quiet -c SHA256SUMS)
python3 "$source_dir/demo/make_demo_data.py" --out-dir "$work" >/dev/null
if ! diff -r "$source_dir/demo/data" "$work" >/dev/null; then
  echo "demo_data_reproduces: demo/make_demo_data.py no longer reproduces demo/data:" >&2
  diff -rq "$source_dir/demo/data" "$work" >&2 || true
  exit 1
fi
echo "demo data reproduced: $(cat "$work/SHA256SUMS" | wc -l) files, checksums match"
