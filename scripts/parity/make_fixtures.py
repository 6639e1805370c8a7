#!/usr/bin/env python3
"""Builds the model-parity fixtures under test/fixtures/parity/: two tiny random checkpoints in
Hugging Face / sentence-transformers layout and the outputs a Python reference computes for them.

  tiny-xlmr/  XLM-R architecture (Unigram tokenizer cut from XLM-R's vocabulary), ST pipeline
              Transformer -> Pooling(mean) -> Normalize
  tiny-bert/  LaBSE-like BERT (WordPiece tokenizer cut from mBERT's cased vocabulary), ST pipeline
              Transformer -> Pooling(cls) -> Dense(32->16, tanh) -> Normalize

Each holds config.json, model.safetensors, tokenizer.json (+ tokenizer_config.json,
special_tokens_map.json), the sentence-transformers files and expected.json (inputs and reference
outputs; see test/fixtures/parity/README.md for its fields).

Usage (from the repository root):
  /usr/bin/python3 scripts/parity/make_fixtures.py                   # build everything
  /usr/bin/python3 scripts/parity/make_fixtures.py --reference-only  # keep weights, tokenizers
      and input ids; recompute the reference outputs (e.g. on a machine with transformers)

Reference: when `transformers` imports, AutoModel.from_pretrained(dir) (eager attention, float32)
and, when `sentence_transformers` imports too, SentenceTransformer(dir) for pooling / dense /
normalize; otherwise scripts/parity/torch_encoder.py in float64. expected.json's "reference"
says which. Token ids come from scripts/parity/tokenize.mjs (@huggingface/tokenizers, the library
the TypeScript side uses) when node can run it, else from the Rust `tokenizers` package.

Needs numpy and torch; transformers / sentence-transformers / safetensors / tokenizers are used
when present and never required (safetensors files are written by this script itself).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
from torch_encoder import (  # noqa: E402
    EncoderConfig,
    TorchEncoder,
    cls_pool,
    dense_tanh,
    l2_normalize,
    mean_pool,
)

OUT_DIR = ROOT / "test" / "fixtures" / "parity"
XLMR_SOURCE = ROOT / "data" / "tokenizers" / "xlm-roberta-base" / "tokenizer.json.gz"
MBERT_VOCAB_CANDIDATES = [
    ROOT / "shared" / "data" / "tokenizers" / "bert-base-multilingual-cased-vocab" / "vocab.txt",
    ROOT.parent / "shared" / "data" / "tokenizers" / "bert-base-multilingual-cased-vocab" / "vocab.txt",
]
XQUAD_DIR = ROOT / "data" / "lareqa" / "xquad-r"
LANGUAGES = ["en", "de", "zh", "ar", "hi", "th"]

SEED = 20240817
MAX_SEQ_LENGTH = 32
PAIR_MAX_LENGTH = 32
TRUNCATE_LENGTH = 16
WEIGHT_STD = 0.2      # Linear / Embedding weights ~ N(0, 0.2): 10x BERT's init, so errors show
NOISE_STD = 0.1       # biases ~ N(0, 0.1); LayerNorm weights 1 + N(0, 0.1), biases N(0, 0.1)
FORMAT = "hybrid-ir parity fixture v1"

ST_TRANSFORMER = "sentence_transformers.models.Transformer"
ST_POOLING = "sentence_transformers.models.Pooling"
ST_DENSE = "sentence_transformers.models.Dense"
ST_NORMALIZE = "sentence_transformers.models.Normalize"
TANH = "torch.nn.modules.activation.Tanh"

MODELS: dict[str, dict[str, Any]] = {
    "tiny-xlmr": dict(
        seed=SEED,
        config=dict(family="xlm-roberta", hidden_size=32, num_layers=2, num_heads=4, intermediate_size=64,
                    max_position_embeddings=40, type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1),
        pooling="mean",
        dense=None,
    ),
    "tiny-bert": dict(
        seed=SEED + 1,
        config=dict(family="bert", hidden_size=32, num_layers=2, num_heads=4, intermediate_size=64,
                    max_position_embeddings=40, type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0),
        pooling="cls",
        dense=dict(in_features=32, out_features=16),
    ),
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---- safetensors ------------------------------------------------------------------------------

def write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    """The safetensors format, written directly: u64-LE header length, JSON header (keys sorted,
    {"dtype": "F32", "shape", "data_offsets"} plus "__metadata__": {"format": "pt"}), padded with
    spaces to a multiple of 8, then the raw little-endian data in header order."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name], dtype="<f4")
        data = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * (-len(hbytes) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for b in blobs:
            f.write(b)


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {info['dtype']}, only F32 is read here")
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(raw[base + a:base + b], dtype="<f4").reshape(info["shape"]).copy()
    return out


# ---- tokenization -----------------------------------------------------------------------------

class TokenizerBackend:
    """Encodes requests {text, pair?, max_length?} to {ids, tokens, token_type_ids, truncated}
    with one tokenizer.json, special tokens laid out by its TemplateProcessing."""

    name = "?"

    def run(self, tokenizer_path: Path, requests: list[dict]) -> list[dict]:
        raise NotImplementedError


class NodeBackend(TokenizerBackend):
    def __init__(self) -> None:
        self.node = shutil.which("node")
        self.script = HERE / "tokenize.mjs"
        self.name = "@huggingface/tokenizers (node)"

    def available(self) -> bool:
        """Whether node can run tokenize.mjs (node on PATH, @huggingface/tokenizers installed)."""
        if not self.node:
            return False
        with tempfile.TemporaryDirectory() as tmp:
            probe = Path(tmp) / "probe-tokenizer.json"
            probe.write_text(json.dumps(bert_tokenizer_json(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a"])))
            try:
                self.run(probe, [{"text": "a"}])
            except Exception as e:  # noqa: BLE001
                log(f"node tokenizer backend unavailable: {e}")
                return False
        return True

    def run(self, tokenizer_path: Path, requests: list[dict]) -> list[dict]:
        proc = subprocess.run(
            [self.node, str(self.script), str(tokenizer_path)],
            input=json.dumps({"requests": requests}).encode("utf-8"),
            capture_output=True,
            cwd=str(ROOT),
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.decode("utf-8", "replace").strip())
        out = json.loads(proc.stdout)
        self.name = f"{out['library']} (node {subprocess.run([self.node, '--version'], capture_output=True, text=True).stdout.strip()})"
        return out["results"]


class RustBackend(TokenizerBackend):
    """The Rust `tokenizers` package (ships with transformers), with its own truncation
    (longest_first) and post-processor: what sentence-transformers' fast tokenizers do."""

    def __init__(self) -> None:
        import tokenizers

        self.lib = tokenizers
        self.name = f"tokenizers {tokenizers.__version__} (Rust)"

    def run(self, tokenizer_path: Path, requests: list[dict]) -> list[dict]:
        raw = tokenizer_path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        tok = self.lib.Tokenizer.from_str(raw.decode("utf-8"))
        tok.no_padding()
        results = []
        for req in requests:
            pair = req.get("pair") or None
            special = req.get("add_special_tokens", True)
            tok.no_truncation()
            full = tok.encode(req["text"], pair, add_special_tokens=special)
            if req.get("max_length") is not None:
                tok.enable_truncation(req["max_length"], strategy="longest_first")
            enc = tok.encode(req["text"], pair, add_special_tokens=special)
            seq = list(enc.sequence_ids)
            results.append(dict(ids=list(enc.ids), tokens=list(enc.tokens), token_type_ids=list(enc.type_ids),
                                len_a=seq.count(0), len_b=seq.count(1) if pair else None,
                                truncated=len(enc.ids) < len(full.ids)))
        return results


def pick_backends() -> tuple[TokenizerBackend, Optional[TokenizerBackend]]:
    """(primary, cross-check): node first, the Rust package as cross-check or fallback."""
    node = NodeBackend()
    rust: Optional[TokenizerBackend]
    try:
        rust = RustBackend()
    except Exception:
        rust = None
    if node.available():
        return node, rust
    if rust is not None:
        return rust, None
    raise SystemExit("no tokenizer backend: need node with this repository's node_modules (npm install), "
                     "or the Python `tokenizers` package; or use --reference-only")


# ---- fixture texts ----------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.。।!?؟]")


def fixture_texts() -> list[tuple[str, str, str]]:
    """Per language the first XQuAD-R question (parallel across languages) and, as its passage,
    the context up to the end of the sentence holding the answer."""
    out = []
    for lang in LANGUAGES:
        data = json.loads((XQUAD_DIR / f"{lang}.json").read_text(encoding="utf-8"))
        para = data["data"][0]["paragraphs"][0]
        qa = para["qas"][0]
        ctx = para["context"]
        ans = qa["answers"][0]
        end = ans["answer_start"] + len(ans["text"])
        m = _SENTENCE_END.search(ctx, end)
        if m and m.end() - end <= 200:
            cut = m.end()
        else:  # Thai marks no sentence ends: stop at the first space 40 characters on
            sp = ctx.find(" ", end + 40)
            cut = sp if sp > 0 else len(ctx)
        passage = ctx[:cut].strip().lstrip("\ufeff").strip()
        out.append((lang, qa["question"].strip(), passage))
    return out


def case_requests() -> list[dict]:
    """The cases, each a batch: requests plus how rows are padded."""
    items = fixture_texts()
    questions = [q for _, q, _ in items]
    cases = [dict(name="batch", description="the six questions in one batch, padded to the longest row",
                  rows=[dict(text=q, max_length=MAX_SEQ_LENGTH) for q in questions])]
    for lang, q, _ in items:
        cases.append(dict(name=f"single_{lang}", description=f"the {lang} question alone, no padding",
                          rows=[dict(text=q, max_length=MAX_SEQ_LENGTH)]))
    cases.append(dict(name="pairs",
                      description=f"question + passage as second segment, truncated to {PAIR_MAX_LENGTH} tokens "
                                  "by Hugging Face tokenizers' (Rust) longest_first, padded to the longest row",
                      rows=[dict(text=q, pair=p, max_length=PAIR_MAX_LENGTH) for _, q, p in items]))
    cases.append(dict(name="pairs_reversed",
                      description=f"passage first, question second (en, th), truncated to {PAIR_MAX_LENGTH} tokens "
                                  "by Hugging Face tokenizers' (Rust) longest_first: the longer segment comes first",
                      rows=[dict(text=p, pair=q, max_length=PAIR_MAX_LENGTH) for lang, q, p in items if lang in ("en", "th")]))
    cases.append(dict(name="truncated", description=f"the en passage alone, truncated to {TRUNCATE_LENGTH} tokens",
                      rows=[dict(text=items[0][2], max_length=TRUNCATE_LENGTH)]))
    return cases


def all_texts() -> list[str]:
    items = fixture_texts()
    return [q for _, q, _ in items] + [p for _, _, p in items]


# ---- tokenizers -------------------------------------------------------------------------------

def build_xlmr_tokenizer(backend: TokenizerBackend, tmp: Path) -> tuple[dict, list[int]]:
    """The first 250 XLM-R pieces plus those the fixture texts use, renumbered 0..V-1 in the
    original order (so <s>=0 <pad>=1 </s>=2 <unk>=3), <mask> last. Same normalizer,
    pre-tokenizer, post-processor and decoder as the source."""
    src = json.loads(gzip.decompress(XLMR_SOURCE.read_bytes()))
    vocab = src["model"]["vocab"]
    mask_id = next(t["id"] for t in src["added_tokens"] if t["content"] == "<mask>")
    used = backend.run(XLMR_SOURCE, [{"text": t, "add_special_tokens": False} for t in all_texts()])
    needed = {i for r in used for i in r["ids"]}
    keep = sorted((set(range(250)) | needed) - {mask_id}) + [mask_id]
    new_of = {old: new for new, old in enumerate(keep)}
    tiny = dict(src)
    tiny["added_tokens"] = [dict(t, id=new_of[t["id"]]) for t in src["added_tokens"]]
    post = json.loads(json.dumps(src["post_processor"]))
    for st in post["special_tokens"].values():
        st["ids"] = [new_of[i] for i in st["ids"]]
    tiny["post_processor"] = post
    tiny["model"] = dict(src["model"], vocab=[vocab[i] for i in keep], unk_id=new_of[src["model"]["unk_id"]])
    check_trimmed(backend, XLMR_SOURCE, tiny, keep, tmp)
    return tiny, keep


def bert_tokenizer_json(pieces: list[str]) -> dict:
    """tokenizer.json of a cased multilingual BERT / LaBSE (BertTokenizerFast's layout)."""
    ids = {p: i for i, p in enumerate(pieces)}
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [dict(id=ids[s], content=s, single_word=False, lstrip=False, rstrip=False,
                              normalized=False, special=True) for s in sorted(specials, key=ids.get)],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": False},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {s: {"id": s, "ids": [ids[s]], "tokens": [s]} for s in ("[CLS]", "[SEP]")},
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": ids},
    }


def build_bert_tokenizer(backend: TokenizerBackend, tmp: Path, target_size: int = 300) -> tuple[dict, list[str]]:
    """[PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then the mBERT pieces the fixture texts use
    (## continuations included) and filler from the start of the vocabulary, in mBERT's order."""
    vocab_path = next((p for p in MBERT_VOCAB_CANDIDATES if p.exists()), None)
    if vocab_path is None:
        raise SystemExit(f"mBERT vocab.txt not found in {[str(p) for p in MBERT_VOCAB_CANDIDATES]}")
    full = vocab_path.read_text(encoding="utf-8").split("\n")
    if full and full[-1] == "":
        full.pop()
    full_path = tmp / "mbert-full-tokenizer.json"
    full_path.write_text(json.dumps(bert_tokenizer_json(full), ensure_ascii=False), encoding="utf-8")
    used = backend.run(full_path, [{"text": t, "add_special_tokens": False} for t in all_texts()])
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    needed = {i for r in used for i in r["ids"]} - {full.index(s) for s in specials}
    regular = [i for i, p in enumerate(full) if not (p.startswith("[") and p.endswith("]")) and p not in ("<S>", "<T>")]
    chosen = set(needed)
    for i in regular:
        if len(chosen) + len(specials) >= target_size:
            break
        chosen.add(i)
    keep = [full.index(s) for s in specials] + sorted(chosen)
    pieces = [full[i] for i in keep]
    tiny = bert_tokenizer_json(pieces)
    check_trimmed(backend, full_path, tiny, keep, tmp)
    return tiny, pieces


def check_trimmed(backend: TokenizerBackend, full_path: Path, tiny: dict, keep: list[int], tmp: Path) -> None:
    """The trimmed tokenizer must segment every fixture text (and pair) as the full one does."""
    tiny_path = tmp / "tiny-check.json"
    tiny_path.write_text(json.dumps(tiny, ensure_ascii=False), encoding="utf-8")
    reqs = [dict(r) for c in case_requests() for r in c["rows"]]
    a = backend.run(full_path, reqs)
    b = backend.run(tiny_path, reqs)
    for req, x, y in zip(reqs, a, b):
        if x["tokens"] != y["tokens"] or [keep[i] for i in y["ids"]] != x["ids"]:
            raise SystemExit(f"trimmed tokenizer segments {req} differently:\n {x['tokens']}\n {y['tokens']}")


def tokenizer_side_files(family: str, max_len: int) -> dict[str, dict]:
    if family == "xlm-roberta":
        specials = dict(bos_token="<s>", cls_token="<s>", eos_token="</s>", sep_token="</s>", pad_token="<pad>",
                        unk_token="<unk>", mask_token="<mask>")
        cfg = dict(specials, tokenizer_class="XLMRobertaTokenizer", model_max_length=max_len,
                   clean_up_tokenization_spaces=True)
    else:
        specials = dict(cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]", unk_token="[UNK]", mask_token="[MASK]")
        cfg = dict(specials, tokenizer_class="BertTokenizer", do_lower_case=False, tokenize_chinese_chars=True,
                   strip_accents=None, model_max_length=max_len, clean_up_tokenization_spaces=True)
    return {"tokenizer_config.json": dict(sorted(cfg.items())), "special_tokens_map.json": dict(sorted(specials.items()))}


# ---- weights ----------------------------------------------------------------------------------

def random_weights(cfg: EncoderConfig, seed: int, dense: Optional[dict]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Encoder state dict (HF names, with the pooler) and the Dense module's (linear.weight/bias),
    from numpy's PCG64 with `seed`, in a fixed order, so any machine gets the same bytes."""
    rng = np.random.Generator(np.random.PCG64(seed))
    names = list(TorchEncoder(cfg, add_pooling_layer=True).state_dict().items())
    enc: dict[str, np.ndarray] = {}
    for name, t in names:
        shape = tuple(t.shape)
        if ".LayerNorm.weight" in name:
            a = 1.0 + rng.normal(0.0, NOISE_STD, shape)
        elif name.endswith(".bias"):
            a = rng.normal(0.0, NOISE_STD, shape)
        else:
            a = rng.normal(0.0, WEIGHT_STD, shape)
        enc[name] = a.astype(np.float32)
    dense_w: dict[str, np.ndarray] = {}
    if dense:
        dense_w["linear.weight"] = rng.normal(0.0, WEIGHT_STD, (dense["out_features"], dense["in_features"])).astype(np.float32)
        dense_w["linear.bias"] = rng.normal(0.0, NOISE_STD, (dense["out_features"],)).astype(np.float32)
    return enc, dense_w


# ---- writing a model directory ----------------------------------------------------------------

def write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_model_dir(name: str, spec: dict, tok_json: dict, bert_pieces: Optional[list[str]], vocab_size: int) -> EncoderConfig:
    d = OUT_DIR / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    cfg = EncoderConfig(vocab_size=vocab_size, **spec["config"])
    enc_w, dense_w = random_weights(cfg, spec["seed"], spec["dense"])
    write_json(d / "config.json", cfg.to_hf(initializer_range=WEIGHT_STD))
    write_safetensors(d / "model.safetensors", enc_w)
    (d / "tokenizer.json").write_text(json.dumps(tok_json, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for fname, obj in tokenizer_side_files(cfg.family, MAX_SEQ_LENGTH).items():
        write_json(d / fname, obj)
    if bert_pieces is not None:
        (d / "vocab.txt").write_text("\n".join(bert_pieces) + "\n", encoding="utf-8")
    write_json(d / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
    modules = [dict(idx=0, name="0", path="", type=ST_TRANSFORMER),
               dict(idx=1, name="1", path="1_Pooling", type=ST_POOLING)]
    pooling = {
        "word_embedding_dimension": cfg.hidden_size,
        "pooling_mode_cls_token": spec["pooling"] == "cls",
        "pooling_mode_mean_tokens": spec["pooling"] == "mean",
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False,
        "include_prompt": True,
    }
    (d / "1_Pooling").mkdir()
    write_json(d / "1_Pooling" / "config.json", pooling)
    if spec["dense"]:
        (d / "2_Dense").mkdir()
        write_json(d / "2_Dense" / "config.json", dict(spec["dense"], bias=True, activation_function=TANH))
        write_safetensors(d / "2_Dense" / "model.safetensors", dense_w)
        modules.append(dict(idx=2, name="2", path="2_Dense", type=ST_DENSE))
    norm_dir = f"{len(modules)}_Normalize"
    (d / norm_dir).mkdir()
    modules.append(dict(idx=len(modules), name=str(len(modules)), path=norm_dir, type=ST_NORMALIZE))
    write_json(d / "modules.json", modules)
    # Round trip: what was written reads back bit for bit.
    back = read_safetensors(d / "model.safetensors")
    assert back.keys() == enc_w.keys() and all(np.array_equal(back[k], enc_w[k]) for k in back)
    try:
        from safetensors.numpy import load_file  # optional: the real reader agrees
        real = load_file(str(d / "model.safetensors"))
        assert all(np.array_equal(real[k], enc_w[k]) for k in enc_w)
    except ImportError:
        pass
    return cfg


# ---- reference pipelines ----------------------------------------------------------------------

class OwnPipeline:
    """torch_encoder.TorchEncoder + the sentence-transformers modules read from modules.json."""

    def __init__(self, model_dir: Path, dtype: torch.dtype):
        self.dtype = dtype
        self.cfg = EncoderConfig.from_hf(json.loads((model_dir / "config.json").read_text()))
        state = {k: torch.from_numpy(v) for k, v in read_safetensors(model_dir / "model.safetensors").items()}
        self.model = TorchEncoder(self.cfg, add_pooling_layer=any(k.startswith("pooler.") for k in state))
        self.model.load_state_dict(state, strict=True)
        self.model.to(dtype).eval()
        self.steps = []
        for m in json.loads((model_dir / "modules.json").read_text()):
            p = model_dir / m["path"]
            if m["type"] == ST_TRANSFORMER:
                continue
            if m["type"] == ST_POOLING:
                pc = json.loads((p / "config.json").read_text())
                modes = [k for k, v in pc.items() if k.startswith("pooling_mode_") and v]
                if modes == ["pooling_mode_mean_tokens"]:
                    self.steps.append(("pooled", mean_pool))
                elif modes == ["pooling_mode_cls_token"]:
                    self.steps.append(("pooled", cls_pool))
                else:
                    raise ValueError(f"unsupported pooling {modes}")
            elif m["type"] == ST_DENSE:
                dc = json.loads((p / "config.json").read_text())
                if dc["activation_function"] != TANH:
                    raise ValueError(f"unsupported Dense activation {dc['activation_function']}")
                w = read_safetensors(p / "model.safetensors")
                W = torch.from_numpy(w["linear.weight"]).to(dtype)
                b = torch.from_numpy(w["linear.bias"]).to(dtype) if "linear.bias" in w else None
                self.steps.append(("dense", lambda x, _m, W=W, b=b: dense_tanh(x, W, b)))
            elif m["type"] == ST_NORMALIZE:
                self.steps.append(("embedding", lambda x, _m: l2_normalize(x)))
            else:
                raise ValueError(f"unsupported module {m['type']}")

    @torch.no_grad()
    def __call__(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.model(ids, mask, types)
        out = {"last_hidden_state": h}
        x = h
        for key, fn in self.steps:
            x = fn(x, mask)
            out[key] = x
        return out


class TransformersPipeline:
    """AutoModel.from_pretrained(dir) and, when importable, SentenceTransformer(dir)."""

    def __init__(self, model_dir: Path):
        import transformers
        from transformers import AutoModel

        try:
            self.model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
        except Exception:  # noqa: BLE001 - transformers older than attn_implementation
            self.model = AutoModel.from_pretrained(str(model_dir))
        self.model.eval()
        self.name = f"transformers {transformers.__version__}"
        self.st = None
        try:
            import sentence_transformers
            from sentence_transformers import SentenceTransformer

            self.st = SentenceTransformer(str(model_dir), device="cpu")
            self.st.eval()
            self.name += f" + sentence-transformers {sentence_transformers.__version__}"
        except Exception as e:  # noqa: BLE001 - absent, or cannot load this folder (e.g. its tokenizer)
            self.st = None
            self.own_tail = OwnPipeline(model_dir, torch.float32)
            why = "not installed" if isinstance(e, ImportError) else f"failed to load: {e}".replace("\n", " ")[:200]
            log(f"  sentence-transformers {why}; pooling/dense/normalize from own implementation")
            self.name += " (pooling/dense/normalize: own-torch-reimplementation)"

    @torch.no_grad()
    def __call__(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.model(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
        out = {"last_hidden_state": h}
        if self.st is None:
            x = h
            for key, fn in self.own_tail.steps:
                x = fn(x, mask)
                out[key] = x
            return out
        feats: dict[str, torch.Tensor] = {"input_ids": ids, "attention_mask": mask}
        if self.model.config.model_type == "bert":
            feats["token_type_ids"] = types
        keys = {"Pooling": "pooled", "Dense": "dense", "Normalize": "embedding"}
        for module in self.st:
            feats = module(feats)
            key = keys.get(type(module).__name__)
            if key:
                out[key] = feats["sentence_embedding"].detach().clone()
        st_h = feats["token_embeddings"]
        out["st_vs_automodel_max_abs"] = torch.tensor(float((st_h - h).abs().max()))
        return out


def reference_pipeline(model_dir: Path):
    try:
        import transformers  # noqa: F401
    except ImportError:
        return None
    return TransformersPipeline(model_dir)


# ---- cases ------------------------------------------------------------------------------------

def pad_rows(rows: list[dict], pad_id: int) -> dict[str, list]:
    s = max(len(r["ids"]) for r in rows)
    ids, mask, types = [], [], []
    for r in rows:
        n = len(r["ids"])
        ids.append(r["ids"] + [pad_id] * (s - n))
        mask.append([1] * n + [0] * (s - n))
        types.append(r["token_type_ids"] + [0] * (s - n))
    return dict(input_ids=ids, attention_mask=mask, token_type_ids=types)


def tokenize_cases(model_dir: Path, cfg: EncoderConfig, backend: TokenizerBackend,
                   cross: Optional[TokenizerBackend]) -> tuple[list[dict], dict]:
    cases = []
    agree: Optional[bool] = None
    cross_error: Optional[str] = None
    for c in case_requests():
        res = backend.run(model_dir / "tokenizer.json", c["rows"])
        if cross is not None and cross_error is None:
            try:
                other = cross.run(model_dir / "tokenizer.json", c["rows"])
            except Exception as e:  # noqa: BLE001 - recorded, not fatal
                cross_error = str(e)[:300]
            else:
                same = [x["ids"] for x in res] == [y["ids"] for y in other]
                agree = same if agree is None else agree and same
                if not same:
                    log(f"WARNING {model_dir.name}/{c['name']}: {cross.name} disagrees with {backend.name}")
        if c["name"] in ("batch",) or c["name"].startswith("single_"):
            assert not any(r["truncated"] for r in res), f"{c['name']}: a row exceeds {MAX_SEQ_LENGTH} tokens"
        if cfg.family == "xlm-roberta":
            assert all(t == 0 for r in res for t in r["token_type_ids"])
        padded = pad_rows(res, cfg.pad_token_id)
        case = dict(
            name=c["name"],
            description=c["description"],
            texts=[r["text"] for r in c["rows"]],
            text_pairs=[r["pair"] for r in c["rows"]] if "pair" in c["rows"][0] else None,
            max_length=c["rows"][0]["max_length"],
            truncated=[r["truncated"] for r in res],
            segment_lengths=[[r["len_a"]] if r["len_b"] is None else [r["len_a"], r["len_b"]] for r in res],
            tokens=[r["tokens"] for r in res],
            **padded,
        )
        cases.append(case)
    crosscheck = None
    if cross is not None:
        crosscheck = {"backend": cross.name, "same_ids": agree} if cross_error is None else {"backend": cross.name, "error": cross_error}
    return cases, {"tokenizer_backend": backend.name, "tokenizer_crosscheck": crosscheck}


def tensors_of(case: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return (torch.tensor(case["input_ids"], dtype=torch.long), torch.tensor(case["attention_mask"], dtype=torch.long),
            torch.tensor(case["token_type_ids"], dtype=torch.long))


def nn_transformer_crosscheck(model_dir: Path, cfg: EncoderConfig, case: dict) -> float:
    """The same checkpoint through numpy embeddings + torch.nn.TransformerEncoderLayer (post-LN,
    gelu), an implementation independent of torch_encoder's; max |diff| on real tokens (float64)."""
    w = {k: torch.from_numpy(v).double() for k, v in read_safetensors(model_dir / "model.safetensors").items()}
    ids, mask, types = tensors_of(case)
    if cfg.family == "bert":
        pos = torch.arange(ids.shape[1]).expand_as(ids)
    else:
        m = (ids != cfg.pad_token_id).long()
        pos = torch.cumsum(m, 1) * m + cfg.pad_token_id
    x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][pos]
         + w["embeddings.token_type_embeddings.weight"][types])
    x = torch.nn.functional.layer_norm(x, (cfg.hidden_size,), w["embeddings.LayerNorm.weight"],
                                       w["embeddings.LayerNorm.bias"], cfg.layer_norm_eps)
    for i in range(cfg.num_layers):
        p = f"encoder.layer.{i}."
        layer = torch.nn.TransformerEncoderLayer(cfg.hidden_size, cfg.num_heads, cfg.intermediate_size, dropout=0.0,
                                                 activation="gelu", layer_norm_eps=cfg.layer_norm_eps,
                                                 batch_first=True, norm_first=False).double().eval()
        sd = {
            "self_attn.in_proj_weight": torch.cat([w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]),
            "self_attn.in_proj_bias": torch.cat([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")]),
            "self_attn.out_proj.weight": w[p + "attention.output.dense.weight"],
            "self_attn.out_proj.bias": w[p + "attention.output.dense.bias"],
            "linear1.weight": w[p + "intermediate.dense.weight"], "linear1.bias": w[p + "intermediate.dense.bias"],
            "linear2.weight": w[p + "output.dense.weight"], "linear2.bias": w[p + "output.dense.bias"],
            "norm1.weight": w[p + "attention.output.LayerNorm.weight"], "norm1.bias": w[p + "attention.output.LayerNorm.bias"],
            "norm2.weight": w[p + "output.LayerNorm.weight"], "norm2.bias": w[p + "output.LayerNorm.bias"],
        }
        layer.load_state_dict(sd, strict=True)
        with torch.no_grad():
            x = layer(x, src_key_padding_mask=mask == 0)
    own = OwnPipeline(model_dir, torch.float64)(ids, mask, types)["last_hidden_state"]
    real = mask.bool()
    return float((own - x)[real].abs().max())


def run_reference(model_dir: Path, cfg: EncoderConfig, cases: list[dict]) -> tuple[str, str, dict]:
    """Fills each case's outputs; returns (reference name, dtype, checks)."""
    own64 = OwnPipeline(model_dir, torch.float64)
    own32 = OwnPipeline(model_dir, torch.float32)
    ref = reference_pipeline(model_dir)
    ref_name = ref.name if ref is not None else "own-torch-reimplementation"
    ref_dtype = "float32" if ref is not None else "float64"
    checks: dict[str, Any] = {}
    diff32 = 0.0
    diff_ref = 0.0
    st_diff = 0.0
    outputs: dict[str, dict[str, torch.Tensor]] = {}
    for case in cases:
        ids, mask, types = tensors_of(case)
        o64 = own64(ids, mask, types)
        o32 = own32(ids, mask, types)
        if ref is not None:
            r = ref(ids, mask, types)
            if "st_vs_automodel_max_abs" in r:
                st_diff = max(st_diff, float(r.pop("st_vs_automodel_max_abs")))
            shapes = {k: tuple(v.shape) for k, v in r.items()}
            if shapes != {k: tuple(v.shape) for k, v in o64.items()}:
                raise SystemExit(f"{model_dir.name}/{case['name']}: {ref.name} gives outputs {shapes}, the "
                                 f"fixture's modules.json implies {({k: tuple(v.shape) for k, v in o64.items()})}")
            diff_ref = max(diff_ref, max(float((o64[k] - r[k].double()).abs().max()) for k in r))
        else:
            r = o64
        diff32 = max(diff32, max(float((o32[k].double() - o64[k]).abs().max()) for k in o64))
        outputs[case["name"]] = {k: v.detach().double() for k, v in r.items()}
        for k in ("last_hidden_state", "pooled", "dense", "embedding"):
            case[k] = to_float32_lists(r[k]) if k in r else None  # "dense": null without a Dense module
    # Padding invariance: each unpadded single equals its row of the padded batch on real tokens.
    checks["padding_invariance_max_abs"] = {
        "own_float64": padding_invariance(cases, own64),
        "own_float32": padding_invariance(cases, own32),
    }
    if ref is not None:
        checks["padding_invariance_max_abs"]["reference"] = padding_invariance(cases, ref)
    checks["own_float32_vs_float64_max_abs"] = diff32
    checks["nn_transformer_encoder_layer_vs_own_max_abs"] = max(nn_transformer_crosscheck(model_dir, cfg, c) for c in cases)
    norms = [float(n) for o in outputs.values() for n in o["embedding"].norm(dim=1)]
    checks["embedding_norm_range"] = [min(norms), max(norms)]
    if ref is not None:
        checks["own_float64_vs_reference_max_abs"] = diff_ref
        if ref.st is not None:
            checks["sentence_transformers_vs_automodel_hidden_max_abs"] = st_diff
    for k, v in checks.items():
        log(f"  {model_dir.name}: {k} = {v}")
    pad = checks["padding_invariance_max_abs"]
    assert pad["own_float64"]["last_hidden_state"] < 1e-6, "padding changes the real tokens' states (float64)"
    assert pad["own_float32"]["last_hidden_state"] < 1e-5, "padding changes the real tokens' states (float32)"
    assert checks["nn_transformer_encoder_layer_vs_own_max_abs"] < 1e-9, "own encoder disagrees with nn.TransformerEncoderLayer"
    if ref is not None and diff_ref > 1e-4:
        log(f"  WARNING {model_dir.name}: own implementation differs from {ref_name} by {diff_ref:g}")
    return ref_name, ref_dtype, checks


def padding_invariance(cases: list[dict], pipeline) -> dict[str, float]:
    """Max |diff| between each single_* case and its row of the padded batch (real tokens for
    hidden states; the sentence embeddings)."""
    batch = next(c for c in cases if c["name"] == "batch")
    b = pipeline(*tensors_of(batch))
    worst = {"last_hidden_state": 0.0, "embedding": 0.0}
    for i, lang in enumerate(LANGUAGES):
        single = next(c for c in cases if c["name"] == f"single_{lang}")
        s = pipeline(*tensors_of(single))
        n = len(single["input_ids"][0])
        worst["last_hidden_state"] = max(worst["last_hidden_state"], float(
            (b["last_hidden_state"][i, :n].double() - s["last_hidden_state"][0].double()).abs().max()))
        worst["embedding"] = max(worst["embedding"], float((b["embedding"][i].double() - s["embedding"][0].double()).abs().max()))
    return worst


def to_float32_lists(t: torch.Tensor) -> Any:
    """Nested lists of float32 values written in their shortest round-trip form."""
    a = t.detach().to(torch.float32).numpy()
    flat = [float(str(x)) for x in a.reshape(-1)]
    def nest(data: list, shape: tuple) -> Any:
        if len(shape) == 1:
            return data
        step = int(np.prod(shape[1:]))
        return [nest(data[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]
    return nest(flat, a.shape)


# ---- expected.json ----------------------------------------------------------------------------

def dump(obj: Any, indent: int = 0) -> str:
    """JSON with objects (and lists of objects) indented, other lists on one line."""
    pad = "  " * indent
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f'{pad}  {json.dumps(k, ensure_ascii=False)}: {dump(v, indent + 1)}' for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(obj, list) and obj and all(isinstance(x, dict) for x in obj):
        return "[\n" + ",\n".join(f"{pad}  {dump(x, indent + 1)}" for x in obj) + f"\n{pad}]"
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def write_expected(model_dir: Path, name: str, spec: dict, cfg: EncoderConfig, cases: list[dict],
                   tok_info: dict, ref_name: str, ref_dtype: str, checks: dict) -> None:
    doc = {
        "format": FORMAT,
        "model": name,
        "model_type": cfg.model_type,
        "family": cfg.family,
        "generator": "scripts/parity/make_fixtures.py",
        "seed": spec["seed"],
        "weight_init": {"weight_std": WEIGHT_STD, "bias_std": NOISE_STD, "layer_norm_weight": f"1 + N(0, {NOISE_STD})",
                        "rng": "numpy PCG64"},
        "reference": ref_name,
        "reference_dtype": ref_dtype,
        "reference_device": "cpu",
        "torch_version": torch.__version__,
        **tok_info,
        "max_seq_length": MAX_SEQ_LENGTH,
        "pooling": spec["pooling"],
        "dense": None if not spec["dense"] else dict(spec["dense"], bias=True, activation="tanh"),
        "normalize": True,
        "checks": checks,
        "cases": cases,
    }
    (model_dir / "expected.json").write_text(dump(doc) + "\n", encoding="utf-8")


ORDER = ["name", "description", "texts", "text_pairs", "max_length", "truncated", "segment_lengths", "tokens", "input_ids",
         "attention_mask", "token_type_ids", "last_hidden_state", "pooled", "dense", "embedding"]


def main() -> None:
    global OUT_DIR
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference-only", action="store_true",
                    help="keep weights, tokenizers and input ids; recompute reference outputs")
    ap.add_argument("--out", type=Path, default=OUT_DIR, help=f"output folder (default {OUT_DIR})")
    args = ap.parse_args()
    OUT_DIR = args.out.resolve()
    torch.manual_seed(0)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))

    if args.reference_only:
        for name, spec in MODELS.items():
            d = OUT_DIR / name
            old = json.loads((d / "expected.json").read_text(encoding="utf-8"))
            cfg = EncoderConfig.from_hf(json.loads((d / "config.json").read_text()))
            keep = ("name", "description", "texts", "text_pairs", "max_length", "truncated", "segment_lengths", "tokens",
                    "input_ids", "attention_mask", "token_type_ids")
            cases = [{k: c[k] for k in keep} for c in old["cases"]]
            tok_info = {"tokenizer_backend": old["tokenizer_backend"], "tokenizer_crosscheck": old.get("tokenizer_crosscheck")}
            try:
                cross = RustBackend()
            except ImportError:
                cross = None
            if cross is not None:
                try:
                    same = True
                    for c in cases:
                        rows = [dict(text=t, pair=(c["text_pairs"] or [None] * len(c["texts"]))[i], max_length=c["max_length"])
                                for i, t in enumerate(c["texts"])]
                        got = [r["ids"] for r in cross.run(d / "tokenizer.json", rows)]
                        stored = [[i for i, m in zip(row, mk) if m] for row, mk in zip(c["input_ids"], c["attention_mask"])]
                        if got != stored:
                            same = False
                            log(f"WARNING {name}/{c['name']}: {cross.name} gives other ids than expected.json")
                    tok_info["tokenizer_crosscheck"] = {"backend": cross.name, "same_ids": same}
                except Exception as e:  # noqa: BLE001 - recorded, not fatal
                    tok_info["tokenizer_crosscheck"] = {"backend": cross.name, "error": str(e)}
            log(f"{name}: recomputing reference outputs")
            ref_name, ref_dtype, checks = run_reference(d, cfg, cases)
            cases = [{k: c[k] for k in ORDER if k in c} for c in cases]
            write_expected(d, name, spec, cfg, cases, tok_info, ref_name, ref_dtype, checks)
            log(f"{name}: reference = {ref_name}")
        return

    backend, cross = pick_backends()
    log(f"tokenizer backend: {backend.name}" + (f" (cross-check: {cross.name})" if cross else ""))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for name, spec in MODELS.items():
            if spec["config"]["family"] == "xlm-roberta":
                tok_json, keep = build_xlmr_tokenizer(backend, tmp)
                pieces = None
                vocab_size = len(keep)
            else:
                tok_json, pieces = build_bert_tokenizer(backend, tmp)
                vocab_size = len(pieces)
            cfg = write_model_dir(name, spec, tok_json, pieces, vocab_size)
            d = OUT_DIR / name
            cases, tok_info = tokenize_cases(d, cfg, backend, cross)
            log(f"{name}: vocab {vocab_size}, row lengths {[sum(m) for c in cases for m in c['attention_mask']]}")
            ref_name, ref_dtype, checks = run_reference(d, cfg, cases)
            cases = [{k: c[k] for k in ORDER if k in c} for c in cases]
            write_expected(d, name, spec, cfg, cases, tok_info, ref_name, ref_dtype, checks)
            log(f"{name}: reference = {ref_name}")
    total = sum(p.stat().st_size for p in OUT_DIR.rglob("*") if p.is_file())
    log(f"fixtures: {total / 1024:.0f} KiB under {OUT_DIR}")


if __name__ == "__main__":
    main()
