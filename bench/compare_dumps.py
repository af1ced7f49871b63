#!/usr/bin/env python3
# Compares two `bertology dump` outputs (or two .npy files) tensor by tensor: the relative error
# ||a - b|| / max(||b||, floor) of each key, as the parity tests measure it. Prints the largest
# and exits 1 when it is above --tol, when it is NaN, or when a tensor is in one file only. Used
# by bench/gpu_check.sh to hold the GPU's dumps against the CPU's. Needs numpy only (reads
# safetensors itself).
#
# A gradient that is zero in exact arithmetic (BERT's attention key bias: softmax cancels it) is
# rounding noise on both sides, and a relative error of noise means nothing. The parity tests,
# whose reference is HF's float64, call such a gradient zero below 1e-12 of the largest gradient's
# norm and bound ours by 1e-6 of it. Here the reference is our float32 CPU run, whose noise leaves
# it near 1e-8 of the largest, so a gradient below 1e-6 of the largest counts as zero, and the
# difference is held to the same bound: it is reported against 1e-2 x the largest norm, so that
# the tolerance 1e-4 means |a - b| <= 1e-6 x the largest.
#
#   compare_dumps.py GPU.safetensors CPU.safetensors [--tol 1e-4] [--floor 0] [--label NAME]
import argparse
import json
import math
import struct
import sys

import numpy as np

DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
          "U8": np.uint8, "BOOL": np.bool_}


def read_tensors(path):  # {name: float64 array}
    if path.endswith(".npy"):
        return {"array": np.load(path).astype(np.float64)}
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"])
        tensors[name] = array.astype(np.float64)
    return tensors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ours")
    ap.add_argument("reference")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--floor", type=float, default=0.0)
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    a, b = read_tensors(args.ours), read_tensors(args.reference)
    shared = sorted(set(a) & set(b))
    if not shared:
        sys.exit("compare_dumps: %s and %s share no tensor" % (args.ours, args.reference))
    only_one = sorted(set(a) ^ set(b))
    if only_one:
        sys.exit("compare_dumps: %s%d tensors are in one file only: %s"
                 % (args.label + ": " if args.label else "", len(only_one), ", ".join(only_one[:5])))
    largest_grad = max([np.linalg.norm(b[k]) for k in shared if k.startswith("grad.")], default=0.0)
    worst_key, worst = "", 0.0
    for key in shared:
        if a[key].shape != b[key].shape:
            sys.exit("compare_dumps: %s: shape %s against %s" % (key, a[key].shape, b[key].shape))
        norm = np.linalg.norm(b[key])
        diff = np.linalg.norm(a[key] - b[key])
        if key.startswith("grad.") and norm < 1e-6 * largest_grad:  # zero in exact arithmetic
            norm = 1e-2 * largest_grad
        error = 0.0 if diff == 0 else diff / max(norm, args.floor)
        if math.isnan(worst):
            break  # a NaN is the worst there is: keep it
        if not error <= worst:  # NaN counts as the worst
            worst_key, worst = key, error
    verdict = "ok" if worst <= args.tol else "ABOVE %g" % args.tol
    print("%s%d tensors, largest relative error %.3g (%s): %s"
          % (args.label + ": " if args.label else "", len(shared), worst, worst_key or "-", verdict))
    return 0 if worst <= args.tol else 1


if __name__ == "__main__":
    sys.exit(main())
