#!/usr/bin/env python3
"""PyTorch CPU baseline for the TypeScript benchmarks to print beside theirs.

  /usr/bin/python3 bench/torch_bench.py            # all four measurements, ~3 minutes with OpenBLAS
  /usr/bin/python3 bench/torch_bench.py --configs mini --modes embed --reps 20

Measurements (one JSON line each on stdout; progress on stderr):
  embed  forward only under torch.inference_mode(): batch 32 x 64 tokens, fp32, eval mode;
         sentences/s and ms per batch over the timed repetitions, after one warm-up batch.
  train  one training step: forward of 32 queries (32 tokens) and 32 passages (128 tokens)
         through one shared encoder, mean pooling, L2 normalisation, InfoNCE over the in-batch
         cosine similarities x 20 (cross-entropy against the diagonal), backward, AdamW step
         (lr 2e-5, weight decay 0.01); dropout 0.1 in train mode. After one warm-up step, except
         for the base config (see DEFAULT_WARMUP); "warmup" in the output says.
for XLM-R-shaped configs with random weights (N(0, 0.02)):
  base      12 layers, hidden 768, 12 heads, intermediate 3072, vocab 250002 (xlm-roberta-base)
  mini       4 layers, hidden 256,  4 heads, intermediate 1024, vocab 32000
  e5-small  12 layers, hidden 384, 12 heads, intermediate 1536, vocab 250037 (multilingual-e5-small;
            only with --configs e5-small; its tfjs counterpart is bench/e5/train-whole.ts)

The model is transformers' XLMRobertaModel (no pooler, eager attention) when transformers
imports, else scripts/parity/torch_encoder.py's re-implementation ("impl" says which).
torch.set_num_threads(2) (and OPENBLAS_NUM_THREADS=2). Each measurement runs in its own child
process so that peak_rss_mb (ru_maxrss of that process: torch, model, optimizer state and
activations) is its own. Inputs are random ids without padding (attention mask all ones).

BLAS matters more than anything else here. Debian's python3-torch is built with BLAS_INFO=generic
and links whatever libblas.so.3 the system alternatives pick; with only libblas3 installed that is
the netlib reference BLAS (~4 GFLOP/s on two cores, over ten times slower than OpenBLAS): then the
mini config runs with fewer repetitions and the base config is skipped (one base training step
would take over ten minutes) unless --force. Every line names the BLAS in "blas". To measure
with OpenBLAS without installing it system-wide:

  cd /tmp && apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb /tmp/openblas
  /usr/bin/python3 bench/torch_bench.py --blas-dir /tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts" / "parity"))

THREADS = 2
BATCH = 32
EMBED_TOKENS = 64
QUERY_TOKENS = 32
PASSAGE_TOKENS = 128
SCALE = 20.0
LR = 2e-5
WEIGHT_DECAY = 0.01
SEED = 1234

# Timed repetitions (after one warm-up) unless --reps says otherwise, for an optimised BLAS and
# for the reference one: few for the base model, whose training step alone takes about a minute
# on two threads with OpenBLAS.
DEFAULT_REPS = {
    "fast": {("base", "embed"): 2, ("base", "train"): 1, ("mini", "embed"): 10, ("mini", "train"): 5, ("e5-small", "embed"): 3, ("e5-small", "train"): 2},
    "reference": {("base", "embed"): 1, ("base", "train"): 1, ("mini", "embed"): 3, ("mini", "train"): 1, ("e5-small", "embed"): 1, ("e5-small", "train"): 1},
}
# Untimed warm-up repetitions first. The base training step goes without (it would add a minute
# and a half); its one timed step then includes AdamW's state allocation (~2 GB of zeros, about
# a second) and the first touch of the activation memory.
DEFAULT_WARMUP = {("base", "embed"): 1, ("base", "train"): 0, ("mini", "embed"): 1, ("mini", "train"): 1, ("e5-small", "embed"): 1, ("e5-small", "train"): 1}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def blas_in_use() -> dict:
    """The BLAS library this process has mapped (after a matmul), and what kind it is."""
    import torch

    torch.ones(4, 4) @ torch.ones(4, 4)
    paths = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = os.path.basename(path).lower()
                if "blas" in name or "mkl" in name:
                    paths.add(os.path.realpath(path))
    except OSError:
        pass
    joined = " ".join(sorted(paths)).lower()
    if "openblas" in joined:
        kind = "openblas"
    elif "mkl" in joined:
        kind = "mkl"
    elif "/blas/libblas.so" in joined:
        kind = "reference"
    else:
        kind = "unknown"
    return {"kind": kind, "libs": sorted(paths)}


def loadavg() -> float:
    try:
        return float(open("/proc/loadavg").read().split()[0])
    except OSError:
        return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def measure(config_name: str, mode: str, reps: int, warmup: int, force_own: bool) -> dict:
    import torch
    import torch.nn.functional as F
    from torch_encoder import build_random_xlmr, l2_normalize, mean_pool, random_ids

    torch.set_num_threads(THREADS)
    blas = blas_in_use()
    load_before = loadavg()
    dropout = 0.1 if mode == "train" else 0.0
    t0 = time.perf_counter()
    cfg, model, forward, impl = build_random_xlmr(config_name, dropout, SEED, force_own=force_own)
    build_s = time.perf_counter() - t0
    params = sum(p.numel() for p in model.parameters())
    gen = torch.Generator().manual_seed(SEED)
    times = []
    extra: dict = {}
    if mode == "embed":
        model.eval()
        ids, mask = random_ids(cfg, BATCH, EMBED_TOKENS, gen)
        with torch.inference_mode():
            for i in range(reps + warmup):
                t = time.perf_counter()
                emb = l2_normalize(mean_pool(forward(ids, mask), mask))
                dt = time.perf_counter() - t
                if i >= warmup:
                    times.append(dt)
                log(f"  {config_name}/embed batch {i}{' (warm-up)' if i < warmup else ''}: {dt:.3f} s")
        assert emb.shape == (BATCH, cfg.hidden_size)
        extra = dict(tokens=EMBED_TOKENS, sentences_per_s=round(BATCH * len(times) / sum(times), 2))
    else:
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
        q_ids, q_mask = random_ids(cfg, BATCH, QUERY_TOKENS, gen)
        p_ids, p_mask = random_ids(cfg, BATCH, PASSAGE_TOKENS, gen)
        labels = torch.arange(BATCH)
        losses = []
        for i in range(reps + warmup):
            t = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            q = l2_normalize(mean_pool(forward(q_ids, q_mask), q_mask))
            p = l2_normalize(mean_pool(forward(p_ids, p_mask), p_mask))
            loss = F.cross_entropy(SCALE * q @ p.T, labels)
            loss.backward()
            opt.step()
            dt = time.perf_counter() - t
            losses.append(float(loss))
            if i >= warmup:
                times.append(dt)
            log(f"  {config_name}/train step {i}{' (warm-up)' if i < warmup else ''}: {dt:.3f} s, loss {float(loss):.4f}")
        extra = dict(query_tokens=QUERY_TOKENS, passage_tokens=PASSAGE_TOKENS, scale=SCALE, optimizer="AdamW",
                     lr=LR, dropout=dropout, pairs_per_s=round(BATCH * len(times) / sum(times), 3),
                     losses=[round(x, 5) for x in losses])
    return dict(
        bench="torch", mode=mode, config=config_name, impl=impl, params=params, threads=THREADS, batch=BATCH,
        dtype="float32", reps=len(times), warmup=warmup,
        ms_per_batch_median=round(1000 * statistics.median(times), 2),
        ms_per_batch_min=round(1000 * min(times), 2),
        **extra,
        peak_rss_mb=round(peak_rss_mb(), 1), build_s=round(build_s, 2),
        blas=blas["kind"], blas_libs=blas["libs"],
        torch=torch.__version__, python=platform.python_version(), machine=platform.machine(),
        cpu_count=os.cpu_count(), loadavg_1m_before=load_before, loadavg_1m_after=loadavg(),
    )


def main() -> None:
    from torch_encoder import XLMR_SHAPES

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", default="mini,base", help="comma-separated: mini, base, e5-small (default mini,base)")
    ap.add_argument("--modes", default="embed,train", help="comma-separated: embed, train (default both)")
    ap.add_argument("--reps", type=int, default=None,
                    help="timed repetitions per measurement (default with a fast BLAS: base 2 embed / 1 train, "
                         "mini 10 / 5; with the reference BLAS: mini 3 / 1)")
    ap.add_argument("--warmup", type=int, default=None,
                    help="untimed repetitions first (default 1; 0 for the base training step)")
    ap.add_argument("--own", action="store_true", help="use the re-implementation even if transformers imports")
    ap.add_argument("--blas-dir", type=Path, default=None,
                    help="folder holding another libblas.so.3 (e.g. OpenBLAS unpacked from its .deb), put first "
                         "on LD_LIBRARY_PATH of the measuring processes")
    ap.add_argument("--force", action="store_true", help="run the base config even on the reference BLAS")
    ap.add_argument("--one", nargs=2, metavar=("CONFIG", "MODE"), help=argparse.SUPPRESS)
    ap.add_argument("--probe-blas", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.probe_blas:
        print(json.dumps(blas_in_use()))
        return
    if args.one:
        config_name, mode = args.one
        print(json.dumps(measure(config_name, mode, args.reps, args.warmup, args.own)), flush=True)
        return

    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(THREADS), OMP_NUM_THREADS=str(THREADS))
    if args.blas_dir is not None:
        if not (args.blas_dir / "libblas.so.3").exists():
            raise SystemExit(f"--blas-dir {args.blas_dir} holds no libblas.so.3")
        env["LD_LIBRARY_PATH"] = os.pathsep.join([str(args.blas_dir.resolve())] + [p for p in [env.get("LD_LIBRARY_PATH")] if p])
    probe = subprocess.run([sys.executable, __file__, "--probe-blas"], env=env, stdout=subprocess.PIPE, text=True, check=True)
    blas = json.loads(probe.stdout)
    speed = "reference" if blas["kind"] == "reference" else "fast"
    log(f"BLAS: {blas['kind']} {blas['libs']}")
    if speed == "reference":
        log("WARNING: torch runs on the netlib reference BLAS here (~4 GFLOP/s); see --blas-dir in --help")

    for config_name in [c.strip() for c in args.configs.split(",") if c.strip()]:
        if config_name not in XLMR_SHAPES:
            raise SystemExit(f"unknown config {config_name!r}; choose from {sorted(XLMR_SHAPES)}")
        for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
            if mode not in ("embed", "train"):
                raise SystemExit(f"unknown mode {mode!r}; choose embed or train")
            if config_name == "base" and speed == "reference" and not args.force:
                reason = ("reference (netlib) BLAS: a base batch takes minutes; rerun with --blas-dir "
                          "(see --help) or --force")
                log(f"{config_name}/{mode}: skipped ({reason})")
                print(json.dumps(dict(bench="torch", mode=mode, config=config_name, skipped=reason, blas=blas["kind"])),
                      flush=True)
                continue
            reps = args.reps if args.reps is not None else DEFAULT_REPS[speed][(config_name, mode)]
            warmup = args.warmup if args.warmup is not None else DEFAULT_WARMUP[(config_name, mode)]
            log(f"{config_name}/{mode}: {reps} timed repetition(s) after {warmup} warm-up")
            cmd = [sys.executable, __file__, "--one", config_name, mode, "--reps", str(reps), "--warmup", str(warmup)]
            cmd += ["--own"] if args.own else []
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env)
            if proc.returncode != 0:
                print(json.dumps(dict(bench="torch", mode=mode, config=config_name, error=f"exit status {proc.returncode}")), flush=True)
                continue
            sys.stdout.write(proc.stdout)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
