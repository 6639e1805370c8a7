/**
 * The `mini` preset: a small XLM-R-architecture encoder, randomly initialised as transformers
 * initialises BERT (normal(0, 0.02) weights, zero biases, unit LayerNorm, zero padding row), over
 * the vendored XLM-R tokenizer trimmed to the pieces its corpus uses.
 *
 * A word-embedding row is drawn from a generator seeded by (seed, original XLM-R id), so the
 * same token gets the same initial vector whatever corpus the vocabulary was trimmed to.
 */
import { basename, dirname } from "node:path";
import { readVerified } from "../data/manifest.js";
import { decodeTokenizerJson, tokenizerFromJson } from "../tokenize/hf-tokenizer.js";
import { trimTokenizerJson } from "../tokenize/trim-vocab.js";
import type { TokenizerJson } from "../tokenize/types.js";
import { defaultXlmrTokenizerPath } from "../tokenize/xlmr-tokenizer.js";
import { mulberry32, randomNormal, type Random } from "../util/random.js";
import type { EncoderOptions } from "./encoder.js";
import { MINI_CONFIG } from "./presets.js";
import { SentenceEncoder } from "./sentence-encoder.js";
import { usedTokenIds, WORD_EMBEDDINGS } from "./trim.js";
import type { EncoderConfig, NamedTensor } from "./types.js";
import { encoderWeightSpec } from "./weight-spec.js";

const INIT_STD = 0.02;

function normalTensor(shape: readonly number[], rand: Random, std = INIT_STD): NamedTensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = std * randomNormal(rand);
  return { shape, data };
}

/** Random weights for `config`; `rowSeed(i)` seeds word-embedding row i. */
export function randomWeights(config: EncoderConfig, seed: number, rowSeed: (row: number) => number = (row) => row): Map<string, NamedTensor> {
  const rand = mulberry32(seed);
  const weights = new Map<string, NamedTensor>();
  for (const { name, shape } of encoderWeightSpec(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (name === WORD_EMBEDDINGS) {
      const [rows, hidden] = shape;
      const data = new Float32Array(size);
      for (let r = 0; r < rows; r++) {
        if (r === config.padTokenId) continue; // nn.Embedding(padding_idx) starts at zero
        const rowRand = mulberry32(((seed * 0x9e3779b1) ^ rowSeed(r)) >>> 0);
        for (let j = 0; j < hidden; j++) data[r * hidden + j] = INIT_STD * randomNormal(rowRand);
      }
      weights.set(name, { shape, data });
    } else if (name.endsWith("LayerNorm.weight")) {
      weights.set(name, { shape, data: new Float32Array(size).fill(1) });
    } else if (name.endsWith(".bias")) {
      weights.set(name, { shape, data: new Float32Array(size) });
    } else {
      weights.set(name, normalTensor(shape, rand));
    }
  }
  return weights;
}

/** Sizes that override `MINI_CONFIG` (e.g. 2 layers × 128 for runs that must fit minutes). */
export interface MiniArchitecture {
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly intermediate: number;
}

export interface MiniOptions {
  /** Texts whose pieces the vocabulary keeps (training and evaluation text). */
  readonly corpus: Iterable<string>;
  readonly seed?: number;
  readonly encoder?: EncoderOptions;
  readonly architecture?: MiniArchitecture;
}

async function vendoredTokenizerJson(): Promise<TokenizerJson> {
  const path = defaultXlmrTokenizerPath();
  const bytes = (await readVerified(dirname(path), [basename(path)])).get(basename(path))!;
  return decodeTokenizerJson(bytes, path);
}

/** Builds `mini` with mean pooling and L2-normalised embeddings (scores are cosines). */
export async function createMiniEncoder(options: MiniOptions): Promise<SentenceEncoder> {
  const full = await vendoredTokenizerJson();
  const used = usedTokenIds(tokenizerFromJson(full, defaultXlmrTokenizerPath()), options.corpus);
  const trimmed = trimTokenizerJson(full, used);
  const arch = options.architecture;
  const config: EncoderConfig = {
    ...MINI_CONFIG,
    ...(arch ? { numLayers: arch.layers, hiddenSize: arch.hidden, numHeads: arch.heads, intermediateSize: arch.intermediate } : {}),
    vocabSize: trimmed.oldIds.length,
    padTokenId: trimmed.newIdOf[MINI_CONFIG.padTokenId],
  };
  const weights = randomWeights(config, options.seed ?? 0, (row) => trimmed.oldIds[row]);
  return new SentenceEncoder({
    config,
    weights,
    tokenizerJson: trimmed.json,
    spec: { transformerPath: "", maxSeqLength: 128, pooling: { mode: "mean", dim: config.hiddenSize }, normalize: true },
    encoderOptions: options.encoder,
  });
}
