#!/usr/bin/env bash
# Renders an HTML page written by bertology (report.html, an attention page) with headless
# Chromium to a PNG, and fails when the page throws a JavaScript error (an uncaught exception or
# promise rejection) or calls console.error. One line on stderr says why it failed.
#   scripts/render_report.sh PAGE.html OUT.png
# The page is rendered from a temporary copy whose console.error also writes a marked line to
# Chromium's log (Chromium logs every console level alike).
set -euo pipefail
die() { echo "render_report.sh: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: render_report.sh PAGE.html OUT.png"
browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then browser=$candidate; break; fi
done
[ -n "$browser" ] || die "chromium is not installed: apt-get install chromium (or scripts/setup.sh --with-chromium)"
page=$1
out=$(realpath -m "$2")
[ -f "$page" ] || die "$page: no such file"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
marker="bertology-render-console-error:"
probe="<script>console.error = function () { console.log('$marker ' + Array.prototype.map.call(arguments, String).join(' ')); };</script>"
if grep -q "<head>" "$page"; then
  awk -v probe="$probe" '!done && sub(/<head>/, "<head>" probe) { done = 1 } { print }' "$page" >"$work/page.html"
else
  { printf '%s\n' "$probe"; cat "$page"; } >"$work/page.html"
fi

rm -f "$out"
if ! timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$work/profile" --enable-logging=stderr --v=0 --virtual-time-budget=3000 \
    --window-size=1280,2400 --screenshot="$out" "file://$work/page.html" >"$work/log" 2>&1; then
  die "$browser failed on $page: $(grep -v dbus "$work/log" | tail -n 1)"
fi
error=$(grep -E "CONSOLE.*\"(Uncaught|$marker)" "$work/log" | head -n 1 | sed -E 's/^[^"]*"//; s/", source: .*//') || true
[ -z "$error" ] || die "JavaScript error in $page: $error"
[ -s "$out" ] || die "$browser wrote no screenshot for $page"
[ "$(head -c 8 "$out" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || die "$out is not a PNG"
echo "rendered $page to $out ($(stat -c %s "$out") bytes, no JavaScript errors)"
