#!/usr/bin/env bash
# CTest `report_renders_in_chromium`: a small `bertology run --try-masking` on the bert_small
# fixture and a `bertology attention` page, each rendered by headless Chromium through
# scripts/render_report.sh, which fails on any JavaScript error. The attention page is also
# rendered after a script clicks through every layer, head and token, so the interactive code
# runs too. First it checks that a page with a throwing script is caught (the detection works
# with this Chromium). Fails, never skips, when Chromium is missing.
#   report_renders_in_chromium.sh BERTOLOGY_CLI SOURCE_DIR WORK_DIR
set -euo pipefail
cli=$1 source=$2 work=$3
render="$source/scripts/render_report.sh"
fail() { echo "report_renders_in_chromium: $*" >&2; exit 1; }

command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 ||
  fail "chromium is not installed: run scripts/setup.sh --with-chromium (or apt-get install chromium)"

rm -rf "$work"
mkdir -p "$work/mnli"
cp -r "$source/tests/data/fixtures/bert_small/model" "$work/model"
printf '%s\n' '[PAD]' '[UNK]' '[CLS]' '[SEP]' '[MASK]' . the cat dog sat on mat a red big ran >"$work/model/vocab.txt"
{
  printf 'index\tpromptID\tpairID\tgenre\ts1b\ts2b\ts1p\ts2p\tsentence1\tsentence2\tlabel1\tgold_label\n'
  labels=(contradiction entailment neutral)
  for i in $(seq 0 11); do
    printf '%d\t0\t0\tfiction\t-\t-\t-\t-\tthe cat sat on the mat %d .\ta red dog ran .\t%s\t%s\n' \
      "$i" "$i" "${labels[i % 3]}" "${labels[(i * 5) % 3]}"
  done
} >"$work/mnli/dev_matched.tsv"

# A PNG of at least 20 kB: a page that rendered something, not a blank or an error page.
check_png() {
  [ -f "$1" ] || fail "$1 was not written"
  [ "$(stat -c %s "$1")" -ge 20000 ] || fail "$1 is only $(stat -c %s "$1") bytes"
}

"$cli" run --model "$work/model" --task mnli --data-dir "$work/mnli" --output-dir "$work/out" --try-masking \
  --masking-threshold 0.5 --masking-amount 0.2 --batch-size 4 --quiet
"$cli" attention --model "$work/model" --text "the cat sat on the mat ." --pair "a red dog ran ." \
  --output "$work/attention.html" >/dev/null

# The detection itself: a page that throws must fail.
sed 's#</main>#</main><script>null.property;</script>#' "$work/out/report.html" >"$work/throws.html"
if "$render" "$work/throws.html" "$work/throws.png" 2>/dev/null; then
  fail "render_report.sh did not catch a page that throws"
fi

"$render" "$work/out/report.html" "$work/report.png"
check_png "$work/report.png"
"$render" "$work/attention.html" "$work/attention.png"
check_png "$work/attention.png"

# Every control of the attention page, exercised; a wrong line count is reported as console.error.
exercise='<script>
(function () {
  var select = document.getElementById("layer");
  for (var l = 0; l < select.options.length; ++l) {
    select.value = String(l);
    select.dispatchEvent(new Event("change"));
    for (var b = 0; b < document.querySelectorAll("#heads button").length; ++b) {
      document.querySelectorAll("#heads button")[b].click();
      document.querySelectorAll("#view > g").forEach(function (g) {
        g.dispatchEvent(new MouseEvent("mouseenter"));
        g.dispatchEvent(new MouseEvent("mouseleave"));
      });
    }
  }
  select.value = "0";
  select.dispatchEvent(new Event("change"));
  document.querySelectorAll("#heads button")[1].click();
  var tokens = document.querySelectorAll("#view > g:not(:first-of-type)");
  tokens[1].dispatchEvent(new MouseEvent("mouseenter"));  // the first query token after [CLS]
  var lines = document.querySelectorAll("#view line").length;
  if (lines < 1 || lines > tokens.length / 2) console.error("hovering one query token shows " + lines + " lines");
})();
</script>'
EXERCISE=$exercise awk '{ if (index($0, "</body>")) print ENVIRON["EXERCISE"]; print }' "$work/attention.html" \
  >"$work/attention_exercised.html"
"$render" "$work/attention_exercised.html" "$work/attention_exercised.png"
check_png "$work/attention_exercised.png"
echo "report_renders_in_chromium: report and attention pages render without JavaScript errors"
