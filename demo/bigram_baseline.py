#!/usr/bin/env python3
"""A yardstick for the demo model: how well word-pair counts alone detect austen-order's swaps.

    python3 demo/bigram_baseline.py [--data demo/data]

A bigram language model (absolute discounting, interpolated with unigrams) is counted on
austen-lm/train.txt, the training novels' text. A sentence's score is the most its
log-probability rises when one adjacent pair of words is swapped back: a sentence with a swap
usually has one pair whose reversal makes it far more likely, an original sentence has none.
The threshold is the one with the best MCC on the first 3,000 austen-order training rows;
the script prints that MCC and the dev split's. Standard library only.
"""
import argparse
import collections
import math
import re

DISCOUNT = 0.75
THRESHOLD_ROWS = 3000


def words(text):
    return ["<s>"] + re.findall(r"\w+|[^\w\s]", text.lower()) + ["</s>"]


class BigramModel:
    def __init__(self, lines):
        self.unigrams, self.bigrams = collections.Counter(), collections.Counter()
        for line in lines:
            w = words(line)
            self.unigrams.update(w)
            self.bigrams.update(zip(w, w[1:]))
        self.total = sum(self.unigrams.values())
        self.vocabulary = len(self.unigrams)
        self.followers = collections.Counter(a for a, _ in self.bigrams)

    def probability(self, a, b):
        unigram = (self.unigrams[b] + 0.1) / (self.total + 0.2 * self.vocabulary)
        count_a = self.unigrams[a]
        if count_a == 0:
            return unigram
        seen = max(self.bigrams[(a, b)] - DISCOUNT, 0) / count_a
        return seen + DISCOUNT * self.followers[a] / count_a * unigram

    def log_probability(self, w):
        return sum(math.log(self.probability(a, b)) for a, b in zip(w, w[1:]))

    def swap_back_gain(self, sentence):
        w = words(sentence)
        base, best = self.log_probability(w), -math.inf
        for i in range(1, len(w) - 2):
            swapped = w[:i] + [w[i + 1], w[i]] + w[i + 2:]
            best = max(best, self.log_probability(swapped) - base)
        return best


def mcc(scored, threshold):
    """Label 1 (the original order) when the gain is below the threshold."""
    tp = sum(1 for s, y in scored if s < threshold and y == 1)
    tn = sum(1 for s, y in scored if s >= threshold and y == 0)
    fp = sum(1 for s, y in scored if s < threshold and y == 0)
    fn = sum(1 for s, y in scored if s >= threshold and y == 1)
    d = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return (tp * tn - fp * fn) / d if d else 0.0


def read_rows(path, limit=None):
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    return rows[:limit] if limit else rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="demo/data", help="the demo data folder (demo/data)")
    args = parser.parse_args()

    with open(f"{args.data}/austen-lm/train.txt", encoding="utf-8") as f:
        model = BigramModel(f)
    score = lambda rows: [(model.swap_back_gain(r[3]), int(r[1])) for r in rows]
    train = score(read_rows(f"{args.data}/austen-order/train.tsv", THRESHOLD_ROWS))
    dev = score(read_rows(f"{args.data}/austen-order/dev.tsv"))
    candidates = sorted({round(s, 1) for s, _ in train})
    threshold = max(candidates, key=lambda t: mcc(train, t))
    print(f"bigram swap-back detector: threshold {threshold:.1f}, "
          f"train MCC {mcc(train, threshold):.4f} (first {len(train)} rows), dev MCC {mcc(dev, threshold):.4f}")


if __name__ == "__main__":
    main()
