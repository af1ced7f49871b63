#!/usr/bin/env bash
# Regenerates the demo: the Austen datasets (demo/data) and the demo model (demo/model), a small
# BERT (4 layers x 8 heads, hidden 128, bert-base-uncased's tokenizer trimmed to the entries the
# data uses) trained on austen-order. Deterministic at a fixed thread count (THREADS, default 2).
#
#   demo/make_demo_model.sh [BERTOLOGY_BINARY]      (default: build/tools/bertology)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bertology="${1:-$root/build/tools/bertology}"
threads="${THREADS:-2}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. Data, from demo/text (the six novels).
python3 "$root/demo/make_demo_data.py" --out-dir "$root/demo/data"

# 2. Vocabulary: the bert-base-uncased entries the data uses.
python3 "$root/demo/make_demo_vocab.py" --write-full "$work/full"
data="$root/demo/data"
{
  cut -f4 "$data"/austen-order/*.tsv "$data"/austen-order-windows/*.tsv
  tail -q -n +2 "$data"/austen-next/*.tsv | cut -f4,5 | tr '\t' '\n'
  cat "$data"/austen-lm/*.txt
} | "$bertology" tokenize --tokenizer "$work/full" --no-special-tokens \
  | python3 "$root/demo/make_demo_vocab.py" --full-vocab "$work/full/vocab.txt" --out "$work/vocab.txt"

# 3. Weights: HF's random initialisation, then count-based word vectors and two local heads
#    per layer in the first two layers (demo/make_demo_init.py, NumPy; training text only).
"$bertology" init --config "$root/demo/bert-config.json" --out "$work/init" --seed 0
cp "$work/vocab.txt" "$work/full/tokenizer_config.json" "$work/init/"
python="python3"
python3 -c "import numpy" 2>/dev/null || python="/usr/bin/python3"
{
  cut -f4 "$data"/austen-order/train.tsv
  tail -q -n +2 "$data"/austen-next/train.tsv | cut -f4,5 | tr '\t' '\n'
  cat "$data"/austen-lm/train.txt
} | "$bertology" tokenize --tokenizer "$work/init" --no-special-tokens \
  | "$python" "$root/demo/make_demo_init.py" --model "$work/init"

# 4. A curriculum: first the words around each swap (austen-order-windows, at most six words),
#    then whole sentences (austen-order); the best dev epoch of the second stage is the demo
#    model. The learning rates matter most: at 1e-3 this post-LayerNorm model stays on the
#    constant prediction; at 2e-4 the windows stage learns. The windows stage runs without
#    dropout (demo/bert-config.json); the sentence stage, which overfits its 18,466 sentences
#    without it, turns on BERT's usual 0.1.
"$bertology" train --model "$work/init" --architecture BertForSequenceClassification --task cola \
  --data-dir "$data/austen-order-windows" --output-dir "$work/windows" \
  --epochs "${WINDOW_EPOCHS:-4}" --batch-size 32 --learning-rate "${WINDOW_LR:-2e-4}" --warmup-ratio 0.05 --threads "$threads"
"$python" - "$work/windows/config.json" <<'PY'
import json, sys
path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    config = json.load(f)
config["hidden_dropout_prob"] = config["attention_probs_dropout_prob"] = 0.1
with open(path, "w", encoding="utf-8") as f:
    json.dump(config, f, indent=2)
    f.write("\n")
PY
"$bertology" train --model "$work/windows" --task cola \
  --data-dir "$data/austen-order" --output-dir "$root/demo/model" --overwrite-output-dir \
  --epochs "${SENTENCE_EPOCHS:-6}" --batch-size 32 --learning-rate "${SENTENCE_LR:-3e-4}" --warmup-ratio 0.05 --threads "$threads"
