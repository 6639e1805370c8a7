#!/usr/bin/env python3
"""PyTorch + transformers baseline for bench/gpu/webgpu-step.ts: the same measurements on the GPU.

  python3 bench/gpu/torch_step.py                                  # base config, fp32 and bf16, on cuda
  python3 bench/gpu/torch_step.py --modes fp32,tf32,bf16 --out torch.json
  python3 bench/gpu/torch_step.py --config mini --device cpu --batch 4 --steps 1   # smoke test anywhere

For XLM-R-base-sized XLMRobertaModel (12 layers, hidden 768, 12 heads, FFN 3072, vocabulary
250002; random weights, transformers' own init; no pooler), per mode:
  train  one step: `batch` queries (32 tokens) and `batch` passages (128 tokens) through the
         shared encoder in train mode (dropout 0.1), mean pooling, L2 normalisation, InfoNCE over
         the in-batch cosine similarities x 20 (cross-entropy against the diagonal), backward,
         AdamW (lr 2e-5, weight decay 0.01 except biases and LayerNorm). Timed with
         torch.cuda.synchronize() after warm-up steps.
  embed  forward only under torch.inference_mode(), eval mode: `embed_batch` x 128 tokens, mean
         pooled and normalised; sentences/s.
Modes: fp32 (TF32 matmuls off: the same arithmetic as tfjs's float32), tf32 (TF32 matmuls on),
bf16 (torch.autocast bfloat16; weights and AdamW state stay fp32). Inputs are random ids without
padding (attention mask all ones), as webgpu-step feeds tfjs.

The model is transformers' XLMRobertaModel when transformers imports (attention implementation
from --attn, default sdpa), else scripts/parity/torch_encoder.py's re-implementation ("impl" says
which). Prints one JSON object per mode on stdout, progress on stderr; --out writes them all.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "parity"))

SCALE = 20.0
LR = 2e-5
WEIGHT_DECAY = 0.01
DROPOUT = 0.1
SEED = 1234

MODES = ("fp32", "tf32", "bf16")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def build(config_name: str, attn: str, device: str):
    """(config, model on device, forward(ids, mask) -> last hidden state, impl)."""
    from torch_encoder import build_random_xlmr

    cfg, model, forward, impl = build_random_xlmr(config_name, DROPOUT, SEED, attn=attn)
    return cfg, model.to(device), forward, impl


def full_batch(cfg, batch: int, tokens: int, device: str, gen):
    from torch_encoder import random_ids

    ids, mask = random_ids(cfg, batch, tokens, gen)
    return ids.to(device), mask.to(device)


def sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def param_groups(model):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(p)
    return [{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay, "weight_decay": 0.0}]


def measure(args, mode: str) -> dict:
    import torch
    import torch.nn.functional as F
    from torch_encoder import build_random_xlmr, l2_normalize, mean_pool, random_ids

    device = args.device
    torch.backends.cuda.matmul.allow_tf32 = mode == "tf32"
    torch.backends.cudnn.allow_tf32 = mode == "tf32"
    autocast = torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=mode == "bf16")
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    cfg, model, forward, impl = build(args.config, args.attn, device)
    build_s = time.perf_counter() - t0
    params = sum(p.numel() for p in model.parameters())
    gen = torch.Generator().manual_seed(SEED)

    def embed(ids, mask):
        with autocast:
            h = forward(ids, mask)
        return l2_normalize(mean_pool(h.float(), mask))

    # train
    model.train()
    opt = torch.optim.AdamW(param_groups(model), lr=LR)
    q_ids, q_mask = full_batch(cfg, args.batch, args.query_tokens, device, gen)
    p_ids, p_mask = full_batch(cfg, args.batch, args.passage_tokens, device, gen)
    labels = torch.arange(args.batch, device=device)
    step_ms, losses = [], []
    for i in range(args.warmup + args.steps):
        sync(device)
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        q = embed(q_ids, q_mask)
        p = embed(p_ids, p_mask)
        loss = F.cross_entropy(SCALE * q @ p.T, labels)
        loss.backward()
        opt.step()
        sync(device)
        ms = (time.perf_counter() - t) * 1000
        losses.append(float(loss))
        if i >= args.warmup:
            step_ms.append(ms)
        log(f"  {mode} train step {i}{' (warm-up)' if i < args.warmup else ''}: {ms:.1f} ms, loss {float(loss):.4f}")
    train_peak = torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else None
    del opt, q_ids, q_mask, p_ids, p_mask

    # embed
    model.eval()
    ids, mask = full_batch(cfg, args.embed_batch, args.embed_tokens, device, gen)
    embed_ms = []
    with torch.inference_mode():
        for i in range(1 + args.embed_reps):
            sync(device)
            t = time.perf_counter()
            e = embed(ids, mask)
            sync(device)
            if i >= 1:
                embed_ms.append((time.perf_counter() - t) * 1000)
    assert e.shape == (args.embed_batch, cfg.hidden_size)
    result = dict(
        bench="torch-step", impl=impl, torch=torch.__version__, mode=mode, device=device,
        device_name=torch.cuda.get_device_name(0) if device.startswith("cuda") else "cpu",
        config=args.config, params=params, build_s=round(build_s, 2),
        train=dict(batch=args.batch, query_tokens=args.query_tokens, passage_tokens=args.passage_tokens,
                   optimizer="AdamW lr 2e-5 wd 0.01", dropout=DROPOUT, warmup=args.warmup, step_ms=step_ms,
                   median_step_ms=statistics.median(step_ms), losses=losses, peak_mib=train_peak),
        embed=dict(batch=args.embed_batch, tokens=args.embed_tokens, ms=embed_ms,
                   median_ms=statistics.median(embed_ms),
                   sentences_per_s=args.embed_batch * len(embed_ms) * 1000 / sum(embed_ms)),
    )
    del model
    return result


def main() -> None:
    from torch_encoder import XLMR_SHAPES

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", choices=sorted(XLMR_SHAPES), default="base")
    ap.add_argument("--modes", default="fp32,bf16", help=f"comma-separated, of {', '.join(MODES)}")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--attn", default="sdpa", help="transformers attention implementation (sdpa, eager)")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--query-tokens", type=int, default=32)
    ap.add_argument("--passage-tokens", type=int, default=128)
    ap.add_argument("--embed-batch", type=int, default=100)
    ap.add_argument("--embed-tokens", type=int, default=128)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--embed-reps", type=int, default=10)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    bad = [m for m in modes if m not in MODES]
    if bad:
        ap.error(f"--modes: {', '.join(bad)} not among {', '.join(MODES)}")
    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        ap.error("--device cuda, but torch sees no CUDA device (use --device cpu for a smoke test)")
    results = []
    for mode in modes:
        r = measure(args, mode)
        print(json.dumps(r), flush=True)
        log(f"{mode}: train {r['train']['median_step_ms']:.1f} ms/step, embed {r['embed']['sentences_per_s']:.0f} sentences/s")
        results.append(r)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
