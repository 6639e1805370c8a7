"""A small, self-contained PyTorch implementation of the BERT-family encoders hybrid-ir runs in
tfjs: BERT / mBERT / LaBSE (`family="bert"`) and XLM-R / RoBERTa (`family="xlm-roberta"`).

It follows Hugging Face transformers' BertModel / XLMRobertaModel (eager attention) operation
for operation, and its parameters carry the same state-dict names (without the `bert.` /
`roberta.` prefix), so a checkpoint loads into either:

  * embeddings: word + position + token type, then LayerNorm. BERT positions run 0..s-1;
    XLM-R positions are cumsum(mask)·mask + padding_idx with mask = (input_ids != pad), so
    they start at padding_idx + 1 and padding tokens sit on position padding_idx.
  * post-LN encoder layers: LN(x + Attn(x)), LN(h + W2·gelu(W1·h)), exact erf GELU.
  * attention mask: additive, (1 − mask) · torch.finfo(float32).min on the key axis.

Used by scripts/parity/make_fixtures.py (fallback reference when transformers is absent) and
bench/torch_bench.py (fallback model when transformers is absent). Needs torch only.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

FAMILIES = ("bert", "xlm-roberta")
_XLMR_MODEL_TYPES = ("xlm-roberta", "roberta", "camembert")


@dataclass(frozen=True)
class EncoderConfig:
    family: str
    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float
    pad_token_id: int

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, got {self.family!r}")
        if self.hidden_size % self.num_heads != 0:
            raise ValueError(f"hidden_size {self.hidden_size} is not a multiple of num_heads {self.num_heads}")

    @property
    def model_type(self) -> str:
        return "xlm-roberta" if self.family == "xlm-roberta" else "bert"

    @staticmethod
    def from_hf(cfg: dict) -> "EncoderConfig":
        """From a Hugging Face config.json dict."""
        mt = cfg["model_type"]
        if mt in _XLMR_MODEL_TYPES:
            family = "xlm-roberta"
        elif mt == "bert":
            family = "bert"
        else:
            raise ValueError(f"unsupported model_type {mt!r}")
        if cfg.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"only exact GELU is implemented, config has hidden_act={cfg['hidden_act']!r}")
        if cfg.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("only absolute position embeddings are implemented")
        return EncoderConfig(
            family=family,
            vocab_size=cfg["vocab_size"],
            hidden_size=cfg["hidden_size"],
            num_layers=cfg["num_hidden_layers"],
            num_heads=cfg["num_attention_heads"],
            intermediate_size=cfg["intermediate_size"],
            max_position_embeddings=cfg["max_position_embeddings"],
            type_vocab_size=cfg["type_vocab_size"],
            layer_norm_eps=cfg["layer_norm_eps"],
            pad_token_id=cfg.get("pad_token_id", 1 if family == "xlm-roberta" else 0),
        )

    def to_hf(self, initializer_range: float = 0.02) -> dict:
        """config.json as transformers (4.x) writes it for BertModel / XLMRobertaModel, keys sorted."""
        cfg = {
            "architectures": ["XLMRobertaModel" if self.family == "xlm-roberta" else "BertModel"],
            "attention_probs_dropout_prob": 0.1,
            "classifier_dropout": None,
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "hidden_size": self.hidden_size,
            "initializer_range": initializer_range,
            "intermediate_size": self.intermediate_size,
            "layer_norm_eps": self.layer_norm_eps,
            "max_position_embeddings": self.max_position_embeddings,
            "model_type": self.model_type,
            "num_attention_heads": self.num_heads,
            "num_hidden_layers": self.num_layers,
            "pad_token_id": self.pad_token_id,
            "position_embedding_type": "absolute",
            "torch_dtype": "float32",
            "type_vocab_size": self.type_vocab_size,
            "use_cache": True,
            "vocab_size": self.vocab_size,
        }
        if self.family == "xlm-roberta":
            cfg["bos_token_id"] = 0
            cfg["eos_token_id"] = 2
        return dict(sorted(cfg.items()))

    def as_dict(self) -> dict:
        return asdict(self)


class _Embeddings(nn.Module):
    def __init__(self, c: EncoderConfig, dropout: float):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(dropout)


class _SelfAttention(nn.Module):
    def __init__(self, c: EncoderConfig, dropout: float):
        super().__init__()
        self.num_heads = c.num_heads
        self.head_size = c.hidden_size // c.num_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, additive_mask: torch.Tensor) -> torch.Tensor:
        b, s, h = x.shape

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, s, self.num_heads, self.head_size).transpose(1, 2)

        q, k, v = heads(self.query(x)), heads(self.key(x)), heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size)
        scores = scores + additive_mask
        probs = self.dropout(torch.softmax(scores, dim=-1))
        return torch.matmul(probs, v).transpose(1, 2).reshape(b, s, h)


class _DenseLayerNorm(nn.Module):
    """HF's BertSelfOutput / BertOutput: LayerNorm(dropout(dense(x)) + residual)."""

    def __init__(self, c: EncoderConfig, d_in: int, dropout: float):
        super().__init__()
        self.dense = nn.Linear(d_in, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class _Attention(nn.Module):
    def __init__(self, c: EncoderConfig, dropout: float):
        super().__init__()
        self.self = _SelfAttention(c, dropout)
        self.output = _DenseLayerNorm(c, c.hidden_size, dropout)

    def forward(self, x: torch.Tensor, additive_mask: torch.Tensor) -> torch.Tensor:
        return self.output(self.self(x, additive_mask), x)


class _Intermediate(nn.Module):
    def __init__(self, c: EncoderConfig):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.dense(x))  # exact (erf) GELU, transformers' "gelu"


class _Layer(nn.Module):
    def __init__(self, c: EncoderConfig, dropout: float):
        super().__init__()
        self.attention = _Attention(c, dropout)
        self.intermediate = _Intermediate(c)
        self.output = _DenseLayerNorm(c, c.intermediate_size, dropout)

    def forward(self, x: torch.Tensor, additive_mask: torch.Tensor) -> torch.Tensor:
        a = self.attention(x, additive_mask)
        return self.output(self.intermediate(a), a)


class _Encoder(nn.Module):
    def __init__(self, c: EncoderConfig, dropout: float):
        super().__init__()
        self.layer = nn.ModuleList([_Layer(c, dropout) for _ in range(c.num_layers)])


class _Pooler(nn.Module):
    """BERT's pooler (tanh(W·h[CLS])). Kept so checkpoints with `pooler.*` load strictly; the
    sentence-transformers pipelines here never use it."""

    def __init__(self, c: EncoderConfig):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)


class TorchEncoder(nn.Module):
    """BertModel / XLMRobertaModel without the task heads; forward returns last_hidden_state."""

    def __init__(self, config: EncoderConfig, dropout: float = 0.0, add_pooling_layer: bool = False):
        super().__init__()
        self.config = config
        self.embeddings = _Embeddings(config, dropout)
        self.encoder = _Encoder(config, dropout)
        self.pooler = _Pooler(config) if add_pooling_layer else None

    def position_ids(self, input_ids: torch.Tensor) -> torch.Tensor:
        c = self.config
        b, s = input_ids.shape
        if c.family == "bert":
            pos = torch.arange(s, device=input_ids.device).unsqueeze(0).expand(b, s)
        else:
            # transformers' create_position_ids_from_input_ids (past_key_values_length 0).
            mask = input_ids.ne(c.pad_token_id).int()
            pos = (torch.cumsum(mask, dim=1).type_as(mask) * mask).long() + c.pad_token_id
        if int(pos.max()) >= c.max_position_embeddings:
            raise ValueError(
                f"sequence of {s} tokens needs position {int(pos.max())}, "
                f"but max_position_embeddings is {c.max_position_embeddings}"
            )
        return pos

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: Optional[torch.Tensor] = None,
        token_type_ids: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        e = self.embeddings
        x = e.word_embeddings(input_ids) + e.token_type_embeddings(token_type_ids)
        x = x + e.position_embeddings(self.position_ids(input_ids))
        x = e.dropout(e.LayerNorm(x))
        additive = extended_attention_mask(attention_mask, x.dtype)
        for layer in self.encoder.layer:
            x = layer(x, additive)
        return x


def extended_attention_mask(attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """[b, s] 1/0 → [b, 1, 1, s] additive mask: 0 on real keys, finfo(float32).min on padding
    (transformers uses finfo(dtype).min; float32's is what the float32 models see)."""
    m = attention_mask[:, None, None, :].to(dtype)
    return (1.0 - m) * torch.finfo(torch.float32).min


# ---- sentence-transformers modules -------------------------------------------------------------

def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """sentence-transformers Pooling(mean): masked sum / clamp(count, 1e-9)."""
    m = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / torch.clamp(m.sum(1), min=1e-9)


def cls_pool(hidden: torch.Tensor, attention_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """sentence-transformers Pooling(cls): the first token's hidden state."""
    return hidden[:, 0]


def dense_tanh(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor]) -> torch.Tensor:
    """sentence-transformers Dense with Tanh activation: tanh(x·Wᵀ + b)."""
    return torch.tanh(F.linear(x, weight, bias))


def l2_normalize(x: torch.Tensor) -> torch.Tensor:
    """sentence-transformers Normalize: F.normalize(p=2, dim=1), eps 1e-12."""
    return F.normalize(x, p=2, dim=1)


# ---- construction helpers ----------------------------------------------------------------------

def random_init_(model: nn.Module, std: float = 0.02, generator: Optional[torch.Generator] = None) -> nn.Module:
    """transformers-style init in place: Linear/Embedding weights N(0, std), biases 0, LayerNorm 1/0."""
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, (nn.Linear, nn.Embedding)):
                mod.weight.normal_(0.0, std, generator=generator)
                if isinstance(mod, nn.Linear) and mod.bias is not None:
                    mod.bias.zero_()
            elif isinstance(mod, nn.LayerNorm):
                mod.weight.fill_(1.0)
                mod.bias.zero_()
    return model


def transformers_version() -> Optional[str]:
    """transformers' version when it can be imported, else None."""
    try:
        import transformers  # noqa: F401
    except Exception:
        return None
    return transformers.__version__


def build_hf_model(config: EncoderConfig, dropout: float = 0.0, attn_implementation: Optional[str] = None):
    """A randomly initialised transformers BertModel / XLMRobertaModel (no pooler) for `config`;
    raises ImportError when transformers is absent."""
    import transformers

    kwargs = dict(
        vocab_size=config.vocab_size,
        hidden_size=config.hidden_size,
        num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads,
        intermediate_size=config.intermediate_size,
        max_position_embeddings=config.max_position_embeddings,
        type_vocab_size=config.type_vocab_size,
        layer_norm_eps=config.layer_norm_eps,
        pad_token_id=config.pad_token_id,
        hidden_act="gelu",
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )
    if config.family == "xlm-roberta":
        cfg = transformers.XLMRobertaConfig(bos_token_id=0, eos_token_id=2, **kwargs)
        cls = transformers.XLMRobertaModel
    else:
        cfg = transformers.BertConfig(**kwargs)
        cls = transformers.BertModel
    if attn_implementation is not None:
        try:
            cfg._attn_implementation = attn_implementation
        except Exception:
            pass
    return cls(cfg, add_pooling_layer=False)


# ---- random XLM-R-shaped encoders for the benchmarks (bench/torch_bench.py, bench/gpu/torch_step.py)

XLMR_SHAPES = {
    "base": dict(num_layers=12, hidden_size=768, num_heads=12, intermediate_size=3072, vocab_size=250002),
    "mini": dict(num_layers=4, hidden_size=256, num_heads=4, intermediate_size=1024, vocab_size=32000),
    # multilingual-e5-small's shape with its whole vocabulary (PyTorch trains the whole table).
    "e5-small": dict(num_layers=12, hidden_size=384, num_heads=12, intermediate_size=1536, vocab_size=250037),
}


def build_random_xlmr(shape: str, dropout: float, seed: int, attn: str = "eager", force_own: bool = False):
    """(config, model, forward(ids, mask) -> last hidden state, impl) for a random XLM-R-shaped
    encoder: transformers' XLMRobertaModel when it imports (and not force_own), else TorchEncoder."""
    cfg = EncoderConfig(family="xlm-roberta", max_position_embeddings=514, type_vocab_size=1,
                        layer_norm_eps=1e-5, pad_token_id=1, **XLMR_SHAPES[shape])
    torch.manual_seed(seed)
    version = None if force_own else transformers_version()
    if version is not None:
        model = build_hf_model(cfg, dropout=dropout, attn_implementation=attn)
        impl = f"transformers {version} XLMRobertaModel ({getattr(model.config, '_attn_implementation', attn)} attention)"

        def forward(ids, mask):
            return model(input_ids=ids, attention_mask=mask).last_hidden_state
    else:
        model = random_init_(TorchEncoder(cfg, dropout=dropout), std=0.02)
        impl = "own-torch-reimplementation (scripts/parity/torch_encoder.py)"

        def forward(ids, mask):
            return model(ids, mask)
    return cfg, model, forward, impl


def random_ids(cfg, batch: int, tokens: int, gen):
    """Unpadded random rows framed by <s> ... </s>, and their all-ones attention mask."""
    ids = torch.randint(5, cfg.vocab_size, (batch, tokens), generator=gen)
    ids[:, 0] = 0  # <s>
    ids[:, -1] = 2  # </s>
    return ids, torch.ones_like(ids)
