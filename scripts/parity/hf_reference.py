#!/usr/bin/env python3
"""Reference outputs from transformers and sentence-transformers themselves, for the parity tests
(test/model/parity.test.ts, test/model/e5-small.test.ts). Reads one JSON request on stdin, writes
one JSON answer on stdout; float32 on CPU, eager attention.

  {"mode": "features", "model_dir": DIR, "cases": [{"input_ids", "attention_mask", "token_type_ids"}]}
      AutoModel.from_pretrained(DIR) on the given ids → last_hidden_state; then the folder's
      sentence-transformers modules (Pooling, Dense, Normalize, loaded from their folders by
      sentence-transformers' own classes) → pooled (Pooling's output), dense (Dense's, null
      without one) and embedding. The tokenizer is not loaded, so a
      tokenizer.json the Rust library refuses does not matter.
  {"mode": "texts", "model_dir": DIR, "texts": [...], "max_length": N}
      SentenceTransformer(DIR) end to end: its tokenizer's input_ids and its encode() embeddings.

Answer: {"reference": "transformers 4.44.2 + sentence-transformers 3.0.1 (torch 1.13.0a0)", ...}.
Exit status 3 with a message when transformers or sentence-transformers does not import.
"""
import json
import os
import sys

try:
    import torch
    import transformers
    import sentence_transformers
    from sentence_transformers import SentenceTransformer
    from sentence_transformers import models as st_models
    from transformers import AutoModel
except Exception as err:  # noqa: BLE001 - any import failure means "no reference here"
    print(f"hf_reference.py: transformers / sentence-transformers unavailable: {err}", file=sys.stderr)
    sys.exit(3)

transformers.logging.set_verbosity_error()
torch.set_grad_enabled(False)

MODULE_CLASSES = {
    "sentence_transformers.models.Pooling": st_models.Pooling,
    "sentence_transformers.models.Dense": st_models.Dense,
    "sentence_transformers.models.Normalize": st_models.Normalize,
}


def reference_name():
    return f"transformers {transformers.__version__} + sentence-transformers {sentence_transformers.__version__} (torch {torch.__version__})"


def st_tail(model_dir):
    """The modules after the Transformer, as sentence-transformers loads them from modules.json."""
    with open(os.path.join(model_dir, "modules.json"), encoding="utf-8") as f:
        modules = json.load(f)
    tail = []
    for m in modules:
        if m["type"].endswith(".Transformer"):
            continue
        cls = MODULE_CLASSES[m["type"]]
        path = os.path.join(model_dir, m["path"])
        tail.append(cls() if cls is st_models.Normalize else cls.load(path))
    return tail


def features(req):
    model_dir = req["model_dir"]
    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    tail = st_tail(model_dir)
    out = []
    for case in req["cases"]:
        ids = torch.tensor(case["input_ids"], dtype=torch.long)
        mask = torch.tensor(case["attention_mask"], dtype=torch.long)
        types = torch.tensor(case["token_type_ids"], dtype=torch.long)
        hidden = model(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
        feats = {"token_embeddings": hidden, "attention_mask": mask, "input_ids": ids}
        answer = {"last_hidden_state": hidden.tolist(), "dense": None}
        for module in tail:
            feats = module(feats)
            if isinstance(module, st_models.Pooling):
                answer["pooled"] = feats["sentence_embedding"].tolist()
            elif isinstance(module, st_models.Dense):
                answer["dense"] = feats["sentence_embedding"].tolist()
        answer["embedding"] = feats["sentence_embedding"].tolist()
        out.append(answer)
    return {"reference": reference_name(), "cases": out}


def texts(req):
    model = SentenceTransformer(req["model_dir"], device="cpu")
    model.max_seq_length = req["max_length"]
    enc = model.tokenize(req["texts"])
    ids = [row[: int(m.sum())].tolist() for row, m in zip(enc["input_ids"], enc["attention_mask"])]
    emb = model.encode(req["texts"], batch_size=32, convert_to_numpy=True)
    return {"reference": reference_name(), "input_ids": ids, "embedding": emb.tolist()}


def main():
    req = json.load(sys.stdin)
    answer = {"features": features, "texts": texts}[req["mode"]](req)
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
