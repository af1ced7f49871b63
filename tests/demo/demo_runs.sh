#!/usr/bin/env bash
# The main job end to end: `bertology demo --ablation` writes the report, the heatmaps, the .npy
# tables, results.json (with the ablation's Spearman correlation) and the pruned model.
#   demo_runs.sh BERTOLOGY_BINARY WORK_DIR
set -euo pipefail
bertology="$1"
work="$2"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
"$bertology" demo --ablation --quiet --output-dir out > log.txt
for f in report.html head_importance.svg attn_entropy.svg head_mask.svg head_importance.npy attn_entropy.npy \
         head_mask.npy ablation_loss_change.npy ablation_metric_drop.npy results.json \
         pruned_model/config.json pruned_model/model.safetensors; do
  [ -s "out/$f" ] || { echo "demo_runs: out/$f is missing or empty" >&2; exit 1; }
done
grep -q '"spearman_loss": -\?[0-9]' out/results.json || { echo "demo_runs: no ablation correlation" >&2; exit 1; }
grep -q '"trajectory"' out/results.json || { echo "demo_runs: no masking trajectory" >&2; exit 1; }
# `bertology` with no arguments is the same job.
"$bertology" > default.txt
[ -s bertology-demo/report.html ] || { echo "demo_runs: bertology (no arguments) wrote no report" >&2; exit 1; }
cat log.txt
