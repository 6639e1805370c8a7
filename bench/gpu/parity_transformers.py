#!/usr/bin/env python3
"""The parity fixtures through Hugging Face transformers (+ sentence-transformers), against expected.json.

  python3 bench/gpu/parity_transformers.py [--fixtures test/fixtures/parity] [--device cpu|cuda] [--out FILE.json]

test/fixtures/parity/tiny-{xlmr,bert}/expected.json holds reference outputs that, on a machine
without transformers, came from scripts/parity/torch_encoder.py (see that folder's README). This
script feeds each case's token ids to AutoModel.from_pretrained(dir, attn_implementation="eager")
in float32 and, when sentence-transformers imports and loads the folder, runs its modules one by
one (Pooling, Dense, Normalize), then prints the max abs difference of every output against
expected.json: last_hidden_state, pooled, dense, embedding. It also tokenizes each case with the
folder's tokenizer (AutoTokenizer, the Rust tokenizers) and reports whether the ids equal the
fixture's (which came from @huggingface/tokenizers in node).

Prints one JSON object per model and a summary line on stdout; exits 1 if any difference is above
--tolerance (default 1e-4, what the TypeScript parity test allows). Needs torch and transformers.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODELS = ("tiny-xlmr", "tiny-bert")
OUTPUTS = ("last_hidden_state", "pooled", "dense", "embedding")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def max_abs(a, expected) -> float:
    import torch

    e = torch.tensor(expected, dtype=torch.float32)
    if tuple(a.shape) != tuple(e.shape):
        return float("inf")
    return float((a.detach().float().cpu() - e).abs().max())


def load_st(model_dir: Path, device: str):
    """SentenceTransformer(dir), or (None, why)."""
    try:
        import sentence_transformers
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return None, "sentence-transformers not installed"
    try:
        st = SentenceTransformer(str(model_dir), device=device)
        st.eval()
        return st, f"sentence-transformers {sentence_transformers.__version__}"
    except Exception as e:  # noqa: BLE001 - report, keep going with the encoder alone
        return None, f"sentence-transformers failed to load: {str(e).splitlines()[0][:200]}"


def tokenizer_check(model_dir: Path, cases: list[dict]) -> dict:
    """Whether the Rust tokenizer gives the fixture's ids (padding, truncation, pairs)."""
    try:
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(str(model_dir))
    except Exception as e:  # noqa: BLE001 - e.g. a Precompiled normalizer without its charsmap
        return {"ok": None, "error": str(e).splitlines()[0][:200]}
    mismatched = []
    for c in cases:
        enc = tok(c["texts"], c["text_pairs"], truncation="longest_first", max_length=c["max_length"], padding=True)
        if enc["input_ids"] != c["input_ids"]:
            mismatched.append(c["name"])
    return {"ok": not mismatched, "mismatched_cases": mismatched, "class": type(tok).__name__}


def run_model(model_dir: Path, device: str) -> dict:
    import torch
    import transformers
    from transformers import AutoModel

    expected = json.loads((model_dir / "expected.json").read_text())
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").to(device).eval()
    st, st_name = load_st(model_dir, device)
    log(f"{model_dir.name}: transformers {transformers.__version__}; {st_name}")
    keys = {"Pooling": "pooled", "Dense": "dense", "Normalize": "embedding"}
    cases = []
    for c in expected["cases"]:
        ids = torch.tensor(c["input_ids"], device=device)
        mask = torch.tensor(c["attention_mask"], device=device)
        types = torch.tensor(c["token_type_ids"], device=device)
        with torch.no_grad():
            kwargs = {"token_type_ids": types} if model.config.model_type == "bert" else {}
            h = model(input_ids=ids, attention_mask=mask, **kwargs).last_hidden_state
            diffs = {"last_hidden_state": max_abs(h, c["last_hidden_state"])}
            if st is not None:
                feats = {"input_ids": ids, "attention_mask": mask, **kwargs}
                for module in st:
                    feats = module(feats)
                    key = keys.get(type(module).__name__)
                    if key and c.get(key) is not None:
                        diffs[key] = max_abs(feats["sentence_embedding"], c[key])
                diffs["st_vs_automodel_hidden"] = float((feats["token_embeddings"] - h).abs().max())
        cases.append({"case": c["name"], **diffs})
    worst = {k: max((r[k] for r in cases if k in r), default=None) for k in OUTPUTS}
    return {
        "model": model_dir.name,
        "expected_reference": expected.get("reference"),
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "sentence_transformers": st_name,
        "device": device,
        "tokenizer": tokenizer_check(model_dir, expected["cases"]),
        "max_abs": worst,
        "cases": cases,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fixtures", type=Path, default=ROOT / "test" / "fixtures" / "parity")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    try:
        import transformers  # noqa: F401
    except ImportError:
        log("transformers is not installed: nothing to compare (pip install transformers sentence-transformers)")
        sys.exit(2)
    results = []
    for name in MODELS:
        r = run_model(args.fixtures / name, args.device)
        print(json.dumps(r), flush=True)
        results.append(r)
    worst = max(v for r in results for v in r["max_abs"].values() if v is not None)
    ok = worst <= args.tolerance
    summary = {"bench": "parity-transformers", "ok": ok, "worst_max_abs": worst, "tolerance": args.tolerance, "models": results}
    print(json.dumps({k: v for k, v in summary.items() if k != "models"}))
    for r in results:
        log(f"{r['model']}: max abs diff vs expected.json " + ", ".join(f"{k} {v:.2e}" for k, v in r["max_abs"].items() if v is not None)
            + f"; tokenizer ids match: {r['tokenizer'].get('ok')}")
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2) + "\n")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
