#!/usr/bin/env python3
"""Builds the demo datasets from Jane Austen's six novels (demo/text/*.txt.gz), deterministically.

    python3 demo/make_demo_data.py [--text-dir demo/text] [--out-dir demo/data]

Writes, each with train and dev splits (dev = Persuasion, a novel the training data never sees):

  austen-order/{train,dev}.tsv  CoLA format (no header: source, label, mark, sentence). Real
                                sentences of 6-30 words (label 1) and the same sentences with two
                                adjacent words swapped (label 0, mark "*"), so the classes balance.
  austen-order-windows/         the same kind of swap cut down to the words around it (at most
                                six): the first stage of the demo model's curriculum.
  austen-next/{train,dev}.tsv   MRPC format (header; label, id 1, id 2, sentence 1, sentence 2).
                                Sentence pairs that follow each other in a paragraph (1) or a
                                random sentence from elsewhere in the same novel (0), balanced.
  austen-lm/{train,dev}.txt     plain text, one paragraph per line, for language models.

Only the standard library is used and randomness comes from a seeded SplitMix64 written out
below, so the bytes are the same on every machine and Python version; SHA256SUMS in the output
folder records them (tests/demo compares a fresh run against the shipped files).
"""
import argparse
import gzip
import hashlib
import os
import re
import sys

DEV_NOVEL = "persuasion"
NOVELS = ["emma", "mansfieldpark", "northangerabbey", "persuasion", "prideprejudice", "sensesensibility"]
MIN_WORDS, MAX_WORDS = 6, 30
# Caps keep the shipped files small and a training epoch short on two cores.
ORDER_TRAIN_SENTENCES, ORDER_DEV_SENTENCES = 20000, 500  # 20000 is above the 18,466 the training novels have: all of them
WINDOW_TRAIN_SENTENCES = 20000
NEXT_TRAIN_PAIRS, NEXT_DEV_PAIRS = 6000, 400
LM_TRAIN_CHARS, LM_DEV_CHARS = 1_000_000, 60_000

# Abbreviations after which a full stop does not end a sentence.
ABBREVIATIONS = {"mr", "mrs", "dr", "st", "messrs", "capt", "col", "gen", "esq", "no", "vol", "ch"}
LETTERS = re.compile(r"^[A-Za-z]+$")


class SplitMix64:
    """A tiny, fully specified random generator (Steele et al. 2014)."""

    MASK = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed & self.MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def below(self, n):
        """Uniform integer in [0, n) (rejection sampling, no modulo bias)."""
        limit = (1 << 64) - ((1 << 64) % n)
        while True:
            x = self.next()
            if x < limit:
                return x % n

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]


def paragraphs(text):
    """Blank-line separated blocks joined into one line each; headings (all capitals) dropped."""
    for block in re.split(r"\n\s*\n", text):
        line = " ".join(block.split()).replace("_", "")
        if not line or line.upper() == line:
            continue
        yield line


def sentences(paragraph):
    """Splits at . ! ? followed by a space, except after a known abbreviation or an initial."""
    words = paragraph.split(" ")
    current = []
    for word in words:
        current.append(word)
        bare = word.rstrip("\"'")
        if not bare or bare[-1] not in ".!?":
            continue
        stem = bare[:-1].lower().lstrip("\"'(")
        if bare[-1] == "." and (stem in ABBREVIATIONS or len(stem) == 1):
            continue
        yield " ".join(current)
        current = []
    if current:
        yield " ".join(current)


def read_novel(text_dir, name):
    path = os.path.join(text_dir, name + ".txt.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return f.read()


def swap_adjacent_words(sentence, rng):
    """The sentence with one pair of adjacent, different, letters-only words swapped (or None)."""
    words = sentence.split(" ")
    candidates = [i for i in range(len(words) - 1)
                  if LETTERS.match(words[i]) and LETTERS.match(words[i + 1])
                  and words[i].lower() != words[i + 1].lower()]
    if not candidates:
        return None
    i = candidates[rng.below(len(candidates))]
    words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def order_rows(novels, cap, rng, window_cap=0):
    """CoLA rows: every kept sentence once as written (1) and once with a swap (0).

    With window_cap, also window rows: for the first window_cap sentences, only the words
    around the swap (two before it, two after), as written and swapped: the first stage of the
    demo model's curriculum, where local word order is all there is to learn.
    """
    pool = []
    seen = set()
    for name, paras in novels:
        for para in paras:
            for s in sentences(para):
                n = len(s.split(" "))
                if MIN_WORDS <= n <= MAX_WORDS and "\t" not in s and s not in seen:
                    seen.add(s)
                    pool.append((name, s))
    rng.shuffle(pool)
    rows, windows = [], []
    for name, s in pool:
        if len(rows) >= 2 * cap and len(windows) >= 2 * window_cap:
            break
        swapped = swap_adjacent_words(s, rng)
        if swapped is None or swapped in seen:
            continue
        if len(rows) < 2 * cap:
            rows.append(f"{name}\t1\t\t{s}")
            rows.append(f"{name}\t0\t*\t{swapped}")
        if len(windows) < 2 * window_cap:
            words, moved = s.split(" "), swapped.split(" ")
            i = next(k for k in range(len(words)) if words[k] != moved[k])
            lo, hi = max(0, i - 2), min(len(words), i + 4)
            windows.append(f"{name}\t1\t\t{' '.join(words[lo:hi])}")
            windows.append(f"{name}\t0\t*\t{' '.join(moved[lo:hi])}")
    rng.shuffle(rows)
    rng.shuffle(windows)
    return (rows, windows) if window_cap else rows


def next_rows(novels, cap, rng):
    """MRPC rows: consecutive sentences of a paragraph (1), or the first with a random sentence (0)."""
    pairs = []
    for name, paras in novels:
        all_sentences = [s for para in paras for s in sentences(para)]
        for para in paras:
            ss = [s for s in sentences(para)]
            for a, b in zip(ss, ss[1:]):
                if MIN_WORDS <= len(a.split(" ")) <= MAX_WORDS and MIN_WORDS <= len(b.split(" ")) <= MAX_WORDS:
                    pairs.append((name, a, b, all_sentences))
    rng.shuffle(pairs)
    rows = ["Quality\t#1 ID\t#2 ID\t#1 String\t#2 String"]
    for k, (name, a, b, pool) in enumerate(pairs[:cap]):
        if k % 2 == 0:
            rows.append(f"1\t{name}-{2 * k}\t{name}-{2 * k + 1}\t{a}\t{b}")
            continue
        other = pool[rng.below(len(pool))]
        while other in (a, b) or not MIN_WORDS <= len(other.split(" ")) <= MAX_WORDS:
            other = pool[rng.below(len(pool))]
        rows.append(f"0\t{name}-{2 * k}\t{name}-{2 * k + 1}\t{a}\t{other}")
    return rows


def lm_text(novels, max_chars):
    out, size = [], 0
    for _, paras in novels:
        for para in paras:
            if size + len(para) + 1 > max_chars:
                return out
            out.append(para)
            size += len(para) + 1
    return out


def write_lines(path, lines):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--text-dir", default=os.path.join(here, "text"))
    parser.add_argument("--out-dir", default=os.path.join(here, "data"))
    args = parser.parse_args()

    novels = {}
    for name in NOVELS:
        try:
            novels[name] = list(paragraphs(read_novel(args.text_dir, name)))
        except OSError as e:
            sys.exit(f"make_demo_data: {e.filename or args.text_dir}: {e.strerror or e}")
    train = [(n, novels[n]) for n in NOVELS if n != DEV_NOVEL]
    dev = [(DEV_NOVEL, novels[DEV_NOVEL])]

    order_train, window_train = order_rows(train, ORDER_TRAIN_SENTENCES, SplitMix64(1), WINDOW_TRAIN_SENTENCES)
    order_dev, window_dev = order_rows(dev, ORDER_DEV_SENTENCES, SplitMix64(2), ORDER_DEV_SENTENCES)
    files = {
        "austen-order/train.tsv": order_train,
        "austen-order/dev.tsv": order_dev,
        "austen-order-windows/train.tsv": window_train,
        "austen-order-windows/dev.tsv": window_dev,
        "austen-next/train.tsv": next_rows(train, NEXT_TRAIN_PAIRS, SplitMix64(3)),
        "austen-next/dev.tsv": next_rows(dev, NEXT_DEV_PAIRS, SplitMix64(4)),
        "austen-lm/train.txt": lm_text(train, LM_TRAIN_CHARS),
        "austen-lm/dev.txt": lm_text(dev, LM_DEV_CHARS),
    }
    sums = []
    for relative, lines in files.items():
        path = os.path.join(args.out_dir, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_lines(path, lines)
        with open(path, "rb") as f:
            sums.append(f"{hashlib.sha256(f.read()).hexdigest()}  {relative}")
        print(f"{relative}: {len(lines)} lines")
    write_lines(os.path.join(args.out_dir, "SHA256SUMS"), sums)


if __name__ == "__main__":
    main()
