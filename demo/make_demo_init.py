#!/usr/bin/env python3
"""Gives the demo model's word embeddings a count-based start (NumPy), written into a checkpoint.

    bertology tokenize --tokenizer MODEL --no-special-tokens < train-texts \\
        | python3 demo/make_demo_embeddings.py --model MODEL

Each token gets a vector from the positive pointwise mutual information of what stands just
before it and just after it (two separate context sets, so the vectors know word order, which is
what austen-order asks about), reduced to hidden_size dimensions by an SVD, scaled to the
initializer's standard deviation. Tokens the text never shows keep their random vectors.
2. Local attention: the first 16 dimensions of the position embeddings become sinusoids, and in
   layers 0 and 1 head 0 starts attending to the previous token and head 1 to the next one
   (their query and key weights read those dimensions, the key rotated by one position), so
   every token sees its neighbours from the first step. Every other weight stays random.

Why: with random weights the small model, trained on the two cores a demo can count on, never
left the constant prediction on austen-order, and masked-LM pre-training stayed on the unigram
plateau; starting from vectors that already group determiners, nouns, verbs and so on, the
classifier has word classes and neighbours to work with. The result is an ordinary BERT checkpoint.
"""
import argparse
import json
import struct
import sys

import numpy as np

CONTEXTS = 2000   # the most frequent tokens serve as contexts, left and right
EMBEDDING = "bert.embeddings.word_embeddings.weight"
POSITION_AMPLITUDE = 0.06  # of the sinusoids, next to word vectors of standard deviation 0.02
LOCAL_SCALE = 1.0          # query/key weight on the sinusoids: about 0.8 of a head on its neighbour
LOCAL_LAYERS = 2


def read_safetensors(path):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    return data, header, 8 + n


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="folder with config.json and model.safetensors")
    args = parser.parse_args()

    with open(f"{args.model}/config.json", encoding="utf-8") as f:
        config = json.load(f)
    vocab, hidden, init_std = config["vocab_size"], config["hidden_size"], config.get("initializer_range", 0.02)

    # Counts of (token, token just before) and (token, token just after), over each line.
    lines = [json.loads(line)["ids"] for line in sys.stdin]
    frequency = np.zeros(vocab, dtype=np.int64)
    for ids in lines:
        np.add.at(frequency, ids, 1)
    contexts = np.argsort(-frequency, kind="stable")[:CONTEXTS]
    column = np.full(vocab, -1, dtype=np.int64)
    column[contexts] = np.arange(len(contexts))
    counts = np.zeros((vocab, 2 * len(contexts)), dtype=np.float64)
    for ids in lines:
        ids = np.asarray(ids, dtype=np.int64)
        for offset, base in ((-1, 0), (1, len(contexts))):  # left neighbour, right neighbour
            here = ids[1:] if offset == -1 else ids[:-1]
            there = ids[:-1] if offset == -1 else ids[1:]
            keep = column[there] >= 0
            np.add.at(counts, (here[keep], base + column[there[keep]]), 1.0)

    # Positive PMI, then the top singular directions, each row scaled like the initializer.
    total = counts.sum()
    row = counts.sum(axis=1, keepdims=True)
    col = counts.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(counts * total / (row * col))
    ppmi = np.where(np.isfinite(pmi) & (pmi > 0), pmi, 0.0)
    u, s, _ = np.linalg.svd(ppmi, full_matrices=False)
    vectors = u[:, :hidden] * np.sqrt(s[:hidden])
    seen = frequency > 0
    vectors[seen] *= init_std / vectors[seen].std()

    data, header, base = read_safetensors(f"{args.model}/model.safetensors")

    def tensor(name):
        entry = header[name]
        if entry["dtype"] != "F32":
            sys.exit(f"make_demo_init: {name} is {entry['dtype']}, expected F32")
        begin, end = entry["data_offsets"]
        return np.frombuffer(bytes(data[base + begin:base + end]), dtype="<f4").reshape(entry["shape"]).copy()

    def store(name, value):
        begin, end = header[name]["data_offsets"]
        data[base + begin:base + end] = value.astype("<f4").tobytes()

    weights = tensor(EMBEDDING)  # (V, E)
    weights[seen] = vectors[seen].astype(np.float32)
    store(EMBEDDING, weights)

    # Sinusoids on the first head_size dimensions of the position embeddings (P, E).
    head_size = hidden // config["num_attention_heads"]
    pairs = head_size // 2
    omega = np.pi * np.arange(1, pairs + 1) / (pairs + 1)
    positions = tensor("bert.embeddings.position_embeddings.weight")
    steps = np.arange(positions.shape[0])
    for k in range(pairs):
        positions[:, 2 * k] = POSITION_AMPLITUDE * np.cos(omega[k] * steps)
        positions[:, 2 * k + 1] = POSITION_AMPLITUDE * np.sin(omega[k] * steps)
    store("bert.embeddings.position_embeddings.weight", positions)
    # q_i . k_j = Σ_k cos(ω_k (i - j) ∓ ω_k): largest at j = i ∓ 1. Weights are (out, in).
    for layer in range(LOCAL_LAYERS):
        prefix = f"bert.encoder.layer.{layer}.attention.self."
        query, key = tensor(prefix + "query.weight"), tensor(prefix + "key.weight")
        for head, sign in ((0, 1.0), (1, -1.0)):  # previous token, next token
            rows = slice(head * head_size, (head + 1) * head_size)
            query[rows, :] = 0.0
            key[rows, :] = 0.0
            for k in range(pairs):
                c, s = np.cos(sign * omega[k]), np.sin(sign * omega[k])
                r = head * head_size + 2 * k
                query[r, 2 * k] = query[r + 1, 2 * k + 1] = LOCAL_SCALE
                key[r, 2 * k], key[r, 2 * k + 1] = LOCAL_SCALE * c, -LOCAL_SCALE * s
                key[r + 1, 2 * k], key[r + 1, 2 * k + 1] = LOCAL_SCALE * s, LOCAL_SCALE * c
        store(prefix + "query.weight", query)
        store(prefix + "key.weight", key)

    with open(f"{args.model}/model.safetensors", "wb") as f:
        f.write(bytes(data))
    print(f"{args.model}: count-based vectors for {int(seen.sum())} of {vocab} tokens, "
          f"previous/next-token heads in layers 0-{LOCAL_LAYERS - 1}")


if __name__ == "__main__":
    main()
