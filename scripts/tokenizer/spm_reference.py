#!/usr/bin/env python3
"""The Python side of the XLM-R tokenizer checks: sentencepiece's nmt_nfkc charsmap, and ids
from the real libraries for texts the TypeScript tests send.

  PY=$(scripts/python-env.sh tokenizer)
  $PY scripts/tokenizer/spm_reference.py charsmap > charsmap.b64
      The precompiled_charsmap that sentencepiece compiles from its built-in nmt_nfkc rules (the
      rules XLM-R's sentencepiece model was trained with), base64, as tokenizer.json stores it.
      sentencepiece exposes the compiled rules only inside a trained model, so a tiny model is
      trained in memory on a fixed text; the charsmap does not depend on the text.
  $PY scripts/tokenizer/spm_reference.py encode TOKENIZER_JSON[.gz] [--tokenizers] [--no-sentencepiece] < req.json > res.json
      req.json {"texts": [...]} -> res.json {"versions": {...}, "sentencepiece": [[id, ...], ...],
      "tokenizers": [[id, ...], ...]}, ids without special tokens, in the tokenizer.json's id space.
      "sentencepiece": a SentencePieceProcessor over a ModelProto built from the tokenizer.json's
      own pieces, scores and charsmap, in sentencepiece's id order: XLM-R's fairseq layout has
      <s> <pad> </s> <unk> first and <mask> last, sentencepiece <unk> <s> </s> and then the same
      pieces, so an id k >= 3 is k + 1 here.
      "tokenizers" (with --tokenizers): the Rust library loading the same file. --no-sentencepiece
      leaves out "sentencepiece", for vocabularies not in the fairseq layout (trimmed ones).
"""
from __future__ import annotations

import base64
import gzip
import io
import json
import sys

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as pb

FAIRSEQ_HEAD = ["<s>", "<pad>", "</s>", "<unk>"]


def nmt_nfkc_charsmap() -> bytes:
    text = "\n".join(f"the quick brown fox {i} jumps over the lazy dog" for i in range(100))
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(text.split("\n")),
        model_writer=model,
        vocab_size=40,
        normalization_rule_name="nmt_nfkc",
        minloglevel=2,
    )
    proto = pb.ModelProto()
    proto.ParseFromString(model.getvalue())
    assert proto.normalizer_spec.name == "nmt_nfkc", proto.normalizer_spec.name
    return proto.normalizer_spec.precompiled_charsmap


def read_tokenizer_json(path: str) -> str:
    raw = open(path, "rb").read()
    return (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")


def find_charsmap(node) -> bytes:
    if isinstance(node, dict):
        if node.get("type") == "Precompiled" and node.get("precompiled_charsmap"):
            return base64.b64decode(node["precompiled_charsmap"])
        for child in node.get("normalizers", []):
            found = find_charsmap(child)
            if found:
                return found
    return b""


def sentencepiece_processor(tok: dict) -> tuple[spm.SentencePieceProcessor, list[int]]:
    """The processor, and for each sentencepiece id the tokenizer.json id."""
    model = tok["model"]
    if model.get("type") != "Unigram":
        raise SystemExit(f"expected a Unigram model, got {model.get('type')}")
    vocab = model["vocab"]
    if [p for p, _ in vocab[:4]] != FAIRSEQ_HEAD or vocab[-1][0] != "<mask>":
        raise SystemExit("expected XLM-R's fairseq layout: <s> <pad> </s> <unk> first, <mask> last")
    charsmap = find_charsmap(tok.get("normalizer"))
    if not charsmap:
        raise SystemExit("the tokenizer.json has no Precompiled charsmap")

    proto = pb.ModelProto()
    specials = [("<unk>", pb.ModelProto.SentencePiece.UNKNOWN, 3), ("<s>", pb.ModelProto.SentencePiece.CONTROL, 0),
                ("</s>", pb.ModelProto.SentencePiece.CONTROL, 2)]
    hf_ids = []
    for piece, kind, hf_id in specials:
        proto.pieces.add(piece=piece, score=0.0, type=kind)
        hf_ids.append(hf_id)
    for hf_id in range(4, len(vocab) - 1):
        piece, score = vocab[hf_id]
        proto.pieces.add(piece=piece, score=score, type=pb.ModelProto.SentencePiece.NORMAL)
        hf_ids.append(hf_id)
    proto.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
    proto.trainer_spec.vocab_size = len(proto.pieces)
    proto.trainer_spec.unk_id, proto.trainer_spec.bos_id, proto.trainer_spec.eos_id, proto.trainer_spec.pad_id = 0, 1, 2, -1
    spec = proto.normalizer_spec
    spec.name = "nmt_nfkc"
    spec.precompiled_charsmap = charsmap
    spec.add_dummy_prefix = True
    spec.remove_extra_whitespaces = True
    spec.escape_whitespaces = True
    return spm.SentencePieceProcessor(model_proto=proto.SerializeToString()), hf_ids


def encode(path: str, with_tokenizers: bool, with_sentencepiece: bool) -> None:
    text = read_tokenizer_json(path)
    texts = json.load(sys.stdin)["texts"]
    out = {"versions": {"sentencepiece": spm.__version__}}
    if with_sentencepiece:
        sp, hf_ids = sentencepiece_processor(json.loads(text))
        out["sentencepiece"] = [[hf_ids[i] for i in ids] for ids in sp.encode(texts)]
    if with_tokenizers:
        import tokenizers

        rust = tokenizers.Tokenizer.from_str(text)
        out["versions"]["tokenizers"] = tokenizers.__version__
        out["tokenizers"] = [e.ids for e in rust.encode_batch(texts, add_special_tokens=False)]
    json.dump(out, sys.stdout)


def main() -> None:
    args = sys.argv[1:]
    if args == ["charsmap"]:
        sys.stdout.write(base64.b64encode(nmt_nfkc_charsmap()).decode("ascii") + "\n")
    elif len(args) >= 2 and args[0] == "encode" and set(args[2:]) <= {"--tokenizers", "--no-sentencepiece"}:
        encode(args[1], "--tokenizers" in args[2:], "--no-sentencepiece" not in args[2:])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
