/**
 * Encoder benchmark on the wasm backend, with tfjs's own kernels and with this project's
 * overrides (src/compute/wasm-kernels.ts), for a `mini`-like encoder (4 layers, 256 wide,
 * 4 heads, FFN 1024, 32000-token vocabulary, random weights):
 *
 * - forward throughput: sentences/s for batches of 32 × 64 tokens, no gradient;
 * - one training step: 32 queries (32 tokens) and 32 passages (128 tokens) through the encoder,
 *   mean pooling, L2 normalisation, InfoNCE over the in-batch similarity matrix, gradients of all
 *   variables, plain SGD update;
 * - tf.profile of one step: the kernels that take the most time.
 *
 *   node dist/bench/encoder.js                 both variants
 *   options: --only overrides|stock, --steps N (timed training steps, default 3), --seed N
 *
 * Prints one block per variant, then one JSON line with every number.
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/compute/backend.js";
import { installWasmKernels, uninstallWasmKernels } from "../src/compute/wasm-kernels.js";
import { Encoder } from "../src/model/encoder.js";
import { l2Normalize, meanPool } from "../src/model/pooling.js";
import type { EncoderConfig, NamedTensor } from "../src/model/types.js";
import { encoderWeightSpec } from "../src/model/weight-spec.js";
import { mulberry32, randomInt, randomNormal, type Random } from "../src/util/random.js";

const CONFIG: EncoderConfig = {
  modelType: "xlm-roberta",
  family: "xlm-roberta",
  vocabSize: 32000,
  hiddenSize: 256,
  numLayers: 4,
  numHeads: 4,
  intermediateSize: 1024,
  maxPositionEmbeddings: 514,
  typeVocabSize: 1,
  layerNormEps: 1e-5,
  padTokenId: 1,
  hiddenAct: "gelu",
};
const BATCH = 32;
const FORWARD_TOKENS = 64;
const QUERY_TOKENS = 32;
const PASSAGE_TOKENS = 128;
/** InfoNCE scale (1 / temperature), as sentence-transformers' MultipleNegativesRankingLoss. */
const SCALE = 20;
const LEARNING_RATE = 1e-3;

/** BERT's initialisation: N(0, 0.02) matrices, LayerNorm weight 1 and bias 0. */
function randomWeights(config: EncoderConfig, rand: Random): Map<string, NamedTensor> {
  const weights = new Map<string, NamedTensor>();
  for (const { name, shape } of encoderWeightSpec(config)) {
    const data = new Float32Array(shape.reduce((p, d) => p * d, 1));
    if (name.includes("LayerNorm")) data.fill(name.endsWith(".weight") ? 1 : 0);
    else if (shape.length === 2) for (let i = 0; i < data.length; i++) data[i] = 0.02 * randomNormal(rand);
    weights.set(name, { shape, data });
  }
  return weights;
}

/** A padded batch: rows of random length in [len/2, len], ids in [3, vocab), padding id 1. */
function randomBatch(rand: Random, batch: number, len: number): { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D } {
  const ids = new Int32Array(batch * len).fill(CONFIG.padTokenId);
  const mask = new Int32Array(batch * len);
  for (let r = 0; r < batch; r++) {
    const real = Math.ceil(len / 2) + randomInt(rand, Math.floor(len / 2) + 1);
    for (let t = 0; t < real; t++) {
      ids[r * len + t] = 3 + randomInt(rand, CONFIG.vocabSize - 3);
      mask[r * len + t] = 1;
    }
  }
  return { inputIds: tf.tensor2d(ids, [batch, len], "int32"), attentionMask: tf.tensor2d(mask, [batch, len], "int32") };
}

type Batch = ReturnType<typeof randomBatch>;

/** Mean-pooled, normalised embeddings: [batch, hidden]. */
function embed(encoder: Encoder, batch: Batch, training: boolean): tf.Tensor2D {
  return l2Normalize(meanPool(encoder.forward(batch, { training }), batch.attentionMask));
}

/** InfoNCE with in-batch negatives: cross-entropy of SCALE·cos(q_i, p_j) rows against j = i. */
function infoNce(q: tf.Tensor2D, p: tf.Tensor2D): tf.Scalar {
  // [batch, batch]
  const logits = tf.mul(tf.matMul(q, p, false, true), SCALE) as tf.Tensor2D;
  const targets = tf.oneHot(tf.range(0, q.shape[0], 1, "int32"), q.shape[0]);
  return tf.losses.softmaxCrossEntropy(targets, logits) as tf.Scalar;
}

function trainStep(encoder: Encoder, queries: Batch, passages: Batch): number {
  const vars = encoder.variables();
  const { value, grads } = tf.variableGrads(() => infoNce(embed(encoder, queries, true), embed(encoder, passages, true)), vars);
  tf.tidy(() => {
    for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], LEARNING_RATE)));
  });
  const loss = value.dataSync()[0];
  tf.dispose([value, grads]);
  return loss;
}

interface VariantResult {
  readonly variant: string;
  readonly forwardSentencesPerSec: number;
  readonly forwardMsPerBatch: number;
  readonly trainStepMs: number[];
  readonly topKernels: { name: string; ms: number; calls: number }[];
}

async function runVariant(variant: "stock" | "overrides", steps: number, seed: number): Promise<VariantResult> {
  if (variant === "overrides") installWasmKernels();
  // UnsortedSegmentSum stays: without it the backward pass does not run at all on wasm.
  else uninstallWasmKernels("overrides");
  const rand = mulberry32(seed);
  const encoder = Encoder.fromWeights(CONFIG, randomWeights(CONFIG, rand), { dropout: 0.1, scope: `bench_${variant}` });
  try {
    const forwardBatch = randomBatch(rand, BATCH, FORWARD_TOKENS);
    const forward = (): void => {
      const out = encoder.forward(forwardBatch);
      out.dataSync();
      out.dispose();
    };
    forward(); // first call creates (and on wasm caches) XNNPACK operators
    const forwardReps = variant === "stock" ? 2 : 5;
    let t0 = performance.now();
    for (let i = 0; i < forwardReps; i++) forward();
    const forwardMs = (performance.now() - t0) / forwardReps;
    tf.dispose(forwardBatch);

    const queries = randomBatch(rand, BATCH, QUERY_TOKENS);
    const passages = randomBatch(rand, BATCH, PASSAGE_TOKENS);
    trainStep(encoder, queries, passages); // warm-up
    const trainStepMs: number[] = [];
    for (let i = 0; i < steps; i++) {
      t0 = performance.now();
      trainStep(encoder, queries, passages);
      trainStepMs.push(performance.now() - t0);
    }
    const profile = await tf.profile(() => {
      trainStep(encoder, queries, passages);
    });
    const byName = new Map<string, { ms: number; calls: number }>();
    // Custom-gradient ops (tf.fused.matMul, the encoder's LayerNorm and GELU) appear as scopes
    // whose time includes their kernels': count kernels only.
    for (const k of profile.kernels.filter((k) => tf.getKernel(k.name, "wasm") !== undefined)) {
      const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
      entry.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
      entry.calls++;
      byName.set(k.name, entry);
    }
    const topKernels = [...byName]
      .map(([name, e]) => ({ name, ms: Math.round(e.ms), calls: e.calls }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 12);
    tf.dispose([queries, passages]);
    return { variant, forwardSentencesPerSec: (BATCH * 1000) / forwardMs, forwardMsPerBatch: forwardMs, trainStepMs, topKernels };
  } finally {
    encoder.dispose();
  }
}

function print(r: VariantResult): void {
  const mean = r.trainStepMs.reduce((s, x) => s + x, 0) / r.trainStepMs.length;
  console.log(`\n== wasm, ${r.variant === "stock" ? "tfjs's own kernels" : "with overrides"}`);
  console.log(`forward ${BATCH}×${FORWARD_TOKENS}: ${r.forwardMsPerBatch.toFixed(0)} ms/batch, ${r.forwardSentencesPerSec.toFixed(1)} sentences/s`);
  console.log(`train step (${BATCH} × (${QUERY_TOKENS} + ${PASSAGE_TOKENS}) tokens): ${r.trainStepMs.map((x) => x.toFixed(0)).join(", ")} ms (mean ${mean.toFixed(0)})`);
  console.log("top kernels in one profiled step (ms, calls):");
  const total = r.topKernels.reduce((s, k) => s + k.ms, 0);
  for (const k of r.topKernels) console.log(`  ${k.name.padEnd(20)} ${String(k.ms).padStart(7)}  ${String(k.calls).padStart(5)}  ${((100 * k.ms) / total).toFixed(0)}%`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      steps: { type: "string", default: "3" },
      seed: { type: "string", default: "1" },
    },
  });
  const steps = Number(values.steps);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps: '${values.steps}' is not a positive integer`);
  const variants = values.only === undefined ? (["stock", "overrides"] as const) : [values.only];
  for (const v of variants) {
    if (v !== "stock" && v !== "overrides") throw new Error(`--only: '${v}' is not one of: stock, overrides`);
  }
  const backend = await initBackend("wasm", (m) => console.log(m));
  console.log(`backend ${backend}; config ${JSON.stringify(CONFIG)}`);
  const results: VariantResult[] = [];
  for (const v of variants as readonly ("stock" | "overrides")[]) {
    // The stock step takes half a minute or more: fewer repetitions there.
    const r = await runVariant(v, v === "stock" ? 1 : steps, Number(values.seed));
    print(r);
    results.push(r);
  }
  installWasmKernels();
  console.log(JSON.stringify({ bench: "encoder", backend, batch: BATCH, results }));
}

await main();
