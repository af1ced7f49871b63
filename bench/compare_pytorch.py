#!/usr/bin/env python3
# Side-by-side with PyTorch (issue 7): runs bench/bertology_bench --json, then the same three passes
# (forward, importance = head-mask gradient only, full backward) in plain eager PyTorch, same shapes
# and threads, and prints both with the ratios. Skips (exit 0) when torch is not importable.
#
# Run: python3 bench/compare_pytorch.py [--model bert|gpt2|all] [--threads 2] [--repeats 3] [--rounds 1]
#        [--bench build/bench/bertology_bench] [--ours-json FILE (reuse, don't rerun ours)]
#        [--device cpu|cuda (both sides on the GPU; bench/gpu_check.sh)] [--tf32 (with cuda)]
#
# Each pass runs on our side and then on PyTorch's straight after, so both see the same load on a
# shared machine; --rounds N repeats that sequence N times and reports the median of the N
# speed-ups next to each one (the median time of each side, the largest peak memory).
#
# The PyTorch models below are minimal re-implementations of HF's BertModel and GPT2Model (same
# layer shapes, erf GELU / tanh GELU, post-LN / pre-LN, causal mask, head mask multiplied into the
# attention probabilities), with HF's random initialisation. Each pass runs in a fresh Python
# process; its peak resident memory is VmHWM reset after the model is built, as bertology_bench
# does (ru_maxrss where the reset is refused); torch's own resident libraries count in it.
import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

SHAPES = {
    # name: (vocab, hidden E, heads H, intermediate I, max positions, family)
    "bert-base": (30522, 768, 12, 3072, 512, "bert"),
    "gpt2": (50257, 768, 12, 3072, 1024, "gpt2"),
    "bert-base-pruned-half": (30522, 768, 12, 3072, 512, "bert"),
}


def torch_or_none():
    try:
        import torch  # noqa: F401
        return torch
    except Exception as e:  # ImportError, or a broken install
        print(f"compare_pytorch: PyTorch is not importable ({type(e).__name__}: {e}); skipping the "
              "comparison. Install it with `apt-get install python3-torch` to run it.")
        return None


# ---- the PyTorch models (defined only when torch is importable) --------------------------------

def build_model(torch, name, layers):
    nn = torch.nn
    F = torch.nn.functional
    vocab, E, H, I, P, family = SHAPES[name]
    D = E // H
    kept = [list(range(H // 2, H)) if name.endswith("pruned-half") else list(range(H)) for _ in range(layers)]

    class Attention(nn.Module):
        # x (B, S, E) -> (B, S, E); heads = the kept original head numbers.
        def __init__(self, heads, causal):
            super().__init__()
            A = len(heads) * D
            self.heads, self.causal = heads, causal
            self.q, self.k, self.v = nn.Linear(E, A), nn.Linear(E, A), nn.Linear(E, A)
            self.o = nn.Linear(A, E)

        def forward(self, x, mask_h):  # mask_h: (H) or None
            B, S, _ = x.shape
            h = len(self.heads)

            def split(t):  # (B, S, h·D) -> (B, h, S, D)
                return t.view(B, S, h, D).transpose(1, 2)

            q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
            scores = q @ k.transpose(-1, -2) / math.sqrt(D)  # (B, h, S, S)
            if self.causal:
                future = torch.ones(S, S, device=x.device).triu(1).bool()  # (S, S), True above the diagonal
                scores = scores.masked_fill(future, torch.finfo(scores.dtype).min)
            probs = scores.softmax(-1)
            if mask_h is not None:
                probs = probs * mask_h[self.heads].view(1, h, 1, 1)
            ctx = (probs @ v).transpose(1, 2).reshape(B, S, h * D)  # (B, S, h·D)
            return self.o(ctx)

    class BertLayer(nn.Module):
        def __init__(self, heads):
            super().__init__()
            self.attn = Attention(heads, causal=False)
            self.ln1, self.ln2 = nn.LayerNorm(E, eps=1e-12), nn.LayerNorm(E, eps=1e-12)
            self.up, self.down = nn.Linear(E, I), nn.Linear(I, E)

        def forward(self, x, mask_h):
            x = self.ln1(x + self.attn(x, mask_h))
            return self.ln2(x + self.down(F.gelu(self.up(x))))

    class GPT2Block(nn.Module):
        def __init__(self, heads):
            super().__init__()
            self.attn = Attention(heads, causal=True)
            self.ln1, self.ln2 = nn.LayerNorm(E, eps=1e-5), nn.LayerNorm(E, eps=1e-5)
            self.up, self.down = nn.Linear(E, I), nn.Linear(I, E)

        def forward(self, x, mask_h):
            x = x + self.attn(self.ln1(x), mask_h)
            return x + self.down(F.gelu(self.up(self.ln2(x)), approximate="tanh"))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(vocab, E), nn.Embedding(P, E)
            if family == "bert":
                self.tte, self.ln_emb = nn.Embedding(2, E), nn.LayerNorm(E, eps=1e-12)
                self.layers = nn.ModuleList(BertLayer(kept[l]) for l in range(layers))
            else:
                self.layers = nn.ModuleList(GPT2Block(kept[l]) for l in range(layers))
                self.ln_f = nn.LayerNorm(E, eps=1e-5)

        def forward(self, ids, head_mask=None):  # ids (B, S) -> last hidden state (B, S, E)
            pos = torch.arange(ids.shape[1], device=ids.device)
            x = self.wte(ids) + self.wpe(pos)
            if family == "bert":
                x = self.ln_emb(x + self.tte(torch.zeros_like(ids)))
            for l, layer in enumerate(self.layers):
                x = layer(x, None if head_mask is None else head_mask[l])
            return x if family == "bert" else self.ln_f(x)

    torch.manual_seed(0)
    model = Model()
    with torch.no_grad():  # HF's _init_weights: normal(0, 0.02), zero biases, LayerNorm 1 / 0
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                m.weight.normal_(0.0, 0.02)
            if isinstance(m, nn.Linear):
                m.bias.zero_()
    return model.eval()


def status_mb(field):  # a field of /proc/self/status ("VmRSS:", "VmHWM:") in MB
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024.0
    return 0.0


def reset_peak_rss():  # the peak resident memory becomes the current one; False if refused
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def blas_of_this_process():
    """The BLAS this process has loaded, as bertology_bench names it: "OpenBLAS, Haswell kernels
    (set by OPENBLAS_CORETYPE)", or what is known where it is not OpenBLAS."""
    import ctypes
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "/" in line}
    libs = sorted(p for p in paths if "blas" in os.path.basename(p).lower() and ".so" in os.path.basename(p))
    for lib in libs:
        try:
            core = ctypes.CDLL(lib).openblas_get_corename
        except (OSError, AttributeError):
            continue
        core.restype = ctypes.c_char_p
        name = core().decode()
        by_env = os.environ.get("OPENBLAS_CORETYPE", "").lower() == name.lower()  # OpenBLAS took it
        return f"OpenBLAS, {name} kernels" + (" (set by OPENBLAS_CORETYPE)" if by_env else " (OpenBLAS's choice for this CPU)")
    return "BLAS (" + (", ".join(os.path.basename(x) for x in libs) or "none loaded") + ")"


def worker(args):
    """One pass of one model in this process; prints one JSON line."""
    import torch
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda":  # fp32 as ours: TF32 tensor cores only with --tf32, on both sides
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
    model = build_model(torch, args.worker_model, args.layers).to(device)
    vocab = SHAPES[args.worker_model][0]
    gen = torch.Generator().manual_seed(1234)
    ids = torch.randint(0, vocab, (args.batch, args.seq), generator=gen).to(device)  # (B, S)

    def sync():  # GPU work is asynchronous: wait for it before reading the clock
        if device.type == "cuda":
            torch.cuda.synchronize()
    params = list(model.parameters())
    pass_ = args.worker_pass
    for p in params:
        p.requires_grad_(pass_ == "full")
    model_rss = status_mb("VmRSS:")
    peak_was_reset = reset_peak_rss()

    def loss_of(h):  # the same scalar as bertology_bench: mean of the squared last hidden state
        return (h * h).mean()

    times = []
    for rep in range(args.repeats + 1):  # rep 0 is the warm-up
        start = time.perf_counter()
        if pass_ == "forward":
            with torch.no_grad():
                model(ids)
        elif pass_ == "importance":
            xi = torch.ones(args.layers, SHAPES[args.worker_model][2], requires_grad=True, device=device)  # (L, H)
            torch.autograd.grad(loss_of(model(ids, xi)), [xi])
        else:
            torch.autograd.grad(loss_of(model(ids)), params)
        sync()
        if rep > 0:
            times.append(time.perf_counter() - start)
    peak = status_mb("VmHWM:") if peak_was_reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"times": times, "peak_rss_mb": peak, "model_rss_mb": model_rss,
                      "torch": torch.__version__, "blas": blas_of_this_process()}))


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def find_bench(explicit):
    candidates = [explicit] if explicit else [os.path.join(ROOT, "build", "bench", "bertology_bench"),
                                              os.path.join(ROOT, "build-bench", "bench", "bertology_bench")]
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    sys.exit("compare_pytorch: bertology_bench not found (tried %s); build it or pass --bench" % ", ".join(candidates))


def run_ours(args, model, pass_, tmp):
    """One bertology_bench --json run of one model and pass (bert importance: the pruned model too)."""
    if args.ours_json:
        with open(args.ours_json) as f:
            return json.load(f)
    path = os.path.join(tmp, "ours.json")
    cmd = [args.bench, "--model", model, "--threads", str(args.threads), "--repeats", str(args.repeats),
           "--batch", str(args.batch), "--seq", str(args.seq), "--layers", str(args.layers),
           "--device", args.device, "--pass", pass_, "--json", path]
    env = dict(os.environ, BERTOLOGY_CUDA_TF32="1" if args.tf32 else "0")
    print("$", "BERTOLOGY_CUDA_TF32=" + env["BERTOLOGY_CUDA_TF32"], " ".join(cmd), flush=True)
    subprocess.run(cmd, check=False, env=env)
    with open(path) as f:
        return json.load(f)


def run_torch(args, model, pass_):
    """The same pass in PyTorch, in a fresh process: its times and peak memory, or None."""
    print(f"  PyTorch {model} / {pass_} ...", end="", flush=True)
    cmd = [sys.executable, os.path.abspath(__file__), "--worker-model", model, "--worker-pass", pass_,
           "--threads", str(args.threads), "--repeats", str(args.repeats), "--batch", str(args.batch),
           "--seq", str(args.seq), "--layers", str(args.layers), "--device", args.device]
    if args.tf32:
        cmd.append("--tf32")
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        print(" FAILED\n" + done.stderr[-2000:])
        return None
    t = json.loads(done.stdout.strip().splitlines()[-1])
    t["seconds"] = median(t["times"])
    print(f" {t['seconds']:.3f} s", flush=True)
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default="all", choices=["bert", "gpt2", "all"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=1,
                    help="run each pass this many times, ours and PyTorch back to back; the speed-up is "
                         "the median of the rounds' speed-ups (default 1)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--pass", dest="pass_", default="all", choices=["forward", "importance", "full", "all"],
                    help="only this pass (with importance: the half-pruned model too)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                    help="cuda: both sides on the GPU (ours needs a build with -DBERTOLOGY_CUDA=ON)")
    ap.add_argument("--tf32", action="store_true",
                    help="with --device cuda: let both sides' float32 products use TF32 tensor cores "
                         "(BERTOLOGY_CUDA_TF32=1 for ours; off by default)")
    ap.add_argument("--bench", help="path of bertology_bench (default build/bench, then build-bench/bench)")
    ap.add_argument("--ours-json", help="reuse this bertology_bench --json output instead of running it")
    ap.add_argument("--json", help="write both sets of figures here")
    ap.add_argument("--worker-model", help=argparse.SUPPRESS)
    ap.add_argument("--worker-pass", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker_model:
        return worker(args)
    if args.rounds < 1:
        sys.exit(f"compare_pytorch: --rounds must be at least 1, got {args.rounds}")
    if args.tf32 and args.device != "cuda":
        sys.exit("compare_pytorch: --tf32 is for --device cuda (the CPU has no TF32)")
    if args.ours_json and args.rounds != 1:
        sys.exit("compare_pytorch: --ours-json reuses one run of ours; it cannot be repeated with --rounds")
    torch = torch_or_none()
    if torch is None:
        return 0
    if not args.ours_json:
        args.bench = find_bench(args.bench)

    # Each pass of each model: ours, then PyTorch straight after, so both see the same load on a
    # shared machine. With --rounds N the whole sequence runs N times.
    if args.ours_json:
        jobs = [(None, None)]
    else:
        models = ["bert", "gpt2"] if args.model == "all" else [args.model]
        passes = ["forward", "importance", "full"] if args.pass_ == "all" else [args.pass_]
        jobs = [(m, p) for m in models for p in passes]
    measured = {}  # (model name, pass) -> {"ours": [result per round], "torch": [times per round]}
    order = []
    sgemm = []  # ours' sgemm GFLOP/s, one per bertology_bench run
    torch_header_shown = False
    with tempfile.TemporaryDirectory() as tmp:
        for rnd in range(1, args.rounds + 1):
            if args.rounds > 1:
                print(f"\n== round {rnd} of {args.rounds} ==", flush=True)
            for model, pass_ in jobs:
                ours = run_ours(args, model, pass_, tmp)
                for key in ("threads", "batch", "seq", "layers", "device"):
                    setattr(args, key, ours.get(key, getattr(args, key)))  # PyTorch runs exactly what ours ran
                sgemm.append(ours["sgemm"]["gflops"])
                if not torch_header_shown:
                    print(f"PyTorch {torch.__version__}: batch {args.batch} x {args.seq}, {args.threads} threads, "
                          f"median of {args.repeats} after 1 warm-up", flush=True)
                    torch_header_shown = True
                for r in ours["results"]:
                    if not r["ok"]:
                        continue
                    r["blas"] = ours.get("blas", "?")
                    t = run_torch(args, r["model"], r["pass"])
                    if t is None:
                        continue
                    key = (r["model"], r["pass"])
                    if key not in measured:
                        measured[key] = {"ours": [], "torch": []}
                        order.append(key)
                    measured[key]["ours"].append(r)
                    measured[key]["torch"].append(t)

    # The table: medians over rounds. GFLOP/s of both use ours' FLOP count (see bertology_bench.cpp);
    # peak memory is the largest of the rounds.
    tokens = args.batch * args.seq
    # Both sides should run the same BLAS kernels: OPENBLAS_CORETYPE, if set, reaches both.
    ours_blas = sorted({r.get("blas", "?") for key in order for r in measured[key]["ours"]})
    torch_blas = sorted({t.get("blas", "?") for key in order for t in measured[key]["torch"]})
    print(f"\nBLAS: ours {' / '.join(ours_blas)}; PyTorch {' / '.join(torch_blas)}")
    if ours_blas == torch_blas and any("set by OPENBLAS_CORETYPE" in b for b in ours_blas):
        print(f"  (OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} chose both sides' kernels; "
              "`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE` gives OpenBLAS's own choice for this CPU)")
    print(f"sgemm 1024x768x3072 (ours' runs): {median(sgemm):.1f} GFLOP/s"
          + (f" (median; {min(sgemm):.1f}-{max(sgemm):.1f})" if len(sgemm) > 1 else ""))
    head = (f"{'model':<22} {'pass':<11} {'ours s':>8} {'torch s':>8} {'ours tok/s':>10} {'torch tok/s':>11} "
            f"{'speed-up':>8} {'ours GF/s':>9} {'torch GF/s':>10} {'ours MB':>8} {'torch MB':>8}"
            + ("  speed-up per round" if args.rounds > 1 else ""))
    print(head)
    summary = []
    for key in order:
        rs, ts = measured[key]["ours"], measured[key]["torch"]
        ours_s = median([r["seconds"] for r in rs])
        torch_s = median([t["seconds"] for t in ts])
        per_round = [t["seconds"] / r["seconds"] for r, t in zip(rs, ts)]
        speedup = median(per_round)
        gflop = rs[0]["gflop"]
        ours_mb = max(r["peak_rss_mb"] for r in rs)
        torch_mb = max(t["peak_rss_mb"] for t in ts)
        print(f"{key[0]:<22} {key[1]:<11} {ours_s:8.3f} {torch_s:8.3f} {tokens / ours_s:10.1f} "
              f"{tokens / torch_s:11.1f} {speedup:7.2f}x {gflop / ours_s:9.1f} {gflop / torch_s:10.1f} "
              f"{ours_mb:8.0f} {torch_mb:8.0f}"
              + ("  " + " ".join(f"{x:.2f}x" for x in per_round) if args.rounds > 1 else ""))
        summary.append({"model": key[0], "pass": key[1], "ours_seconds": ours_s, "torch_seconds": torch_s,
                        "speedup": speedup, "speedup_per_round": per_round,
                        "ours_peak_rss_mb": ours_mb, "torch_peak_rss_mb": torch_mb,
                        "memory_ratio": ours_mb / torch_mb, "bitwise": all(r["bitwise_repeatable"] for r in rs),
                        "ours": rs, "torch": ts})
    print("speed-up = torch seconds / ours seconds" + (", the median of the rounds" if args.rounds > 1 else "")
          + "; MB = peak resident memory of the pass's process")
    full = measured.get(("bert-base", "importance"))
    pruned = measured.get(("bert-base-pruned-half", "importance"))
    if full and pruned:
        ours_ratio = median([a["seconds"] / b["seconds"] for a, b in zip(full["ours"], pruned["ours"])])
        torch_ratio = median([a["seconds"] / b["seconds"] for a, b in zip(full["torch"], pruned["torch"])])
        print(f"half the heads pruned, importance pass: ours {ours_ratio:.2f}x faster, PyTorch {torch_ratio:.2f}x; "
              f"FLOP ratio {full['ours'][0]['gflop'] / pruned['ours'][0]['gflop']:.2f}x")
        shares = [r["heads_share"] for r in full["ours"] if r.get("heads_share", -1) >= 0]
        if shares:  # ours' profiled run: the pruned half of the heads took half of the heads' time
            share = median(shares)
            half = share / 2
            print(f"  the heads took {100 * share:.1f}% of our unpruned pass (profiled), the pruned half "
                  f"{100 * half:.1f}%: removing that time alone makes it {1 / (1 - half):.2f}x faster")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch_version": torch.__version__, "ours_blas": ours_blas, "torch_blas": torch_blas,
                       "device": args.device, "tf32": args.tf32, "rounds": args.rounds, "sgemm_gflops": sgemm,
                       "rows": summary}, f, indent=2)
        print("wrote", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
