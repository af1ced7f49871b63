#!/usr/bin/env python3
"""Writes the demo model's vocabulary: bert-base-uncased's WordPiece entries that the demo data uses.

    bertology tokenize --tokenizer FULL --no-special-tokens < texts | python3 demo/make_demo_vocab.py \
        --full-vocab FULL/vocab.txt --out DIR/vocab.txt

--write-full DIR instead writes bert-base-uncased's vocab.txt into DIR from the copy in
tests/data/tokenizer/bert_uncased, whose format marks word-initial pieces with a leading "▁"
and continuations with nothing (the original marks continuations with "##").

The trimmed vocabulary keeps the special tokens and every entry some text used, in the original
order. WordPiece picks the longest entry at each step, and every entry it picked on the data is
kept, so the data tokenizes to the same pieces with either vocabulary.
"""
import argparse
import json
import os
import re
import sys

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def original_entry(index, entry):
    if index == 1 and entry == "\u2581":
        return "[unused0]"
    if entry.startswith("\u2581"):
        return entry[1:]
    if re.fullmatch(r"\[[A-Za-z0-9]+\]", entry):
        return entry
    return "##" + entry


def write_full(repo, out_dir):
    source = os.path.join(repo, "tests", "data", "tokenizer", "bert_uncased", "vocab.txt")
    with open(source, encoding="utf-8") as f:
        entries = f.read().split("\n")
    if entries and entries[-1] == "":
        entries.pop()
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "vocab.txt"), "w", encoding="utf-8", newline="\n") as f:
        for i, e in enumerate(entries):
            f.write(original_entry(i, e) + "\n")
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        f.write('{"tokenizer_class": "BertTokenizer", "do_lower_case": true}\n')


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-full", metavar="DIR")
    parser.add_argument("--full-vocab")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.write_full:
        write_full(os.path.dirname(here), args.write_full)
        return
    if not args.full_vocab or not args.out:
        sys.exit("make_demo_vocab: --full-vocab and --out are required (or --write-full DIR)")
    with open(args.full_vocab, encoding="utf-8") as f:
        full = f.read().split("\n")[:-1]
    used = set()
    for line in sys.stdin:
        used.update(json.loads(line)["ids"])
    keep = [e for i, e in enumerate(full) if i in used or e in SPECIAL]
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        for e in keep:
            f.write(e + "\n")
    print(f"{args.out}: {len(keep)} of {len(full)} entries")


if __name__ == "__main__":
    main()
