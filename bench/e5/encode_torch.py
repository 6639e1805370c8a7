#!/usr/bin/env python3
"""Encodes a benchmark's texts (written by dist/bench/e5/dataset-texts.js) with
sentence-transformers on PyTorch (CPU, float32) into the LAReQA embeddings directory that
`hybrid-ir evaluate --embeddings DIR` scores, with the e5-small preset's settings: prefixes
"query: " / "passage: ", questions truncated to 64 tokens, candidates to 256.

  PY=$(scripts/python-env.sh parity)
  $PY bench/e5/encode_torch.py --texts TEXTS_DIR --model MODEL_DIR --out EMB_DIR [--threads N]

Prints one JSON line: texts, seconds, sentences/s, peak RSS, versions.
"""
import argparse, json, os, resource, shutil, sys, time

import numpy as np
import torch
from sentence_transformers import SentenceTransformer


def read_texts(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--query-prefix", default="query: ")
    ap.add_argument("--passage-prefix", default="passage: ")
    ap.add_argument("--max-query-length", type=int, default=64)
    ap.add_argument("--max-passage-length", type=int, default=256)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    model = SentenceTransformer(a.model, device="cpu")
    sides = [
        ("question", read_texts(os.path.join(a.texts, "questions.txt")), a.query_prefix, a.max_query_length),
        ("candidate", read_texts(os.path.join(a.texts, "candidates.txt")), a.passage_prefix, a.max_passage_length),
    ]
    os.makedirs(a.out, exist_ok=True)
    t0 = time.perf_counter()
    total = 0
    for side, texts, prefix, max_len in sides:
        model.max_seq_length = max_len
        emb = model.encode([prefix + t for t in texts], batch_size=a.batch_size, convert_to_numpy=True,
                           normalize_embeddings=False, show_progress_bar=sys.stderr.isatty())
        tmp = os.path.join(a.out, f".{side}_encodings.npy")
        np.save(tmp, emb.astype(np.float32))
        os.replace(tmp, os.path.join(a.out, f"{side}_encodings.npy"))
        shutil.copyfile(os.path.join(a.texts, f"{side}_uids.txt"), os.path.join(a.out, f"{side}_uids.txt"))
        total += len(texts)
    seconds = time.perf_counter() - t0
    print(json.dumps({
        "bench": "e5-small", "impl": "sentence-transformers",
        "engine": "sentence-transformers on PyTorch (CPU, float32)",
        "texts": total, "seconds": round(seconds, 1), "sentences_per_s": round(total / seconds, 2),
        "throughput": round(total / seconds, 2), "unit": "sentences/s",
        "threads": torch.get_num_threads(), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "torch": torch.__version__, "sentence_transformers": __import__("sentence_transformers").__version__,
    }))


if __name__ == "__main__":
    main()
