/**
 * Encoder benchmark on the wasm backend, with tfjs's own kernels and with this project's
 * overrides (src/compute/wasm-kernels.ts), for a `mini`-like encoder (4 layers, 256 wide,
 * 4 heads, FFN 1024, 32000-token vocabulary, random weights):
 *
 * - forward throughput: sentences/s for batches of 32 × 64 tokens, no gradient;
 * - one training step: 32 queries (32 tokens) and 32 passages (128 tokens) through the encoder,
 *   mean pooling, L2 normalisation, InfoNCE over the in-batch similarity matrix, gradients of all
 *   variables, plain SGD update;
 * - tf.profile of one step: the kernels that take the most time;
 * - before it all, each overridden kernel alone on the shapes this step gives it.
 *
 *   node dist/bench/encoder.js                 kernels, then both variants
 *   options: --only kernels|overrides|stock, --steps N (timed training steps, default 3), --seed N,
 *            --config mini|base|e5-small (default mini), --batch N (rows per batch, default 32)
 *
 * With --mode embed|train|both it measures instead what `npm run bench` (bench/all.ts) prints
 * beside PyTorch (bench/torch_bench.py), on wasm with the project's kernels, one JSON line each:
 * - embed: sentences/s, batch 32 × 64 tokens, forward + mean pooling + L2 normalisation, no
 *   gradient (dropout off);
 * - train: pairs/s of the real training step: 32 queries (32 tokens) and 32 passages (128 tokens),
 *   mean pooling, InfoNCE scale 20 (src/train/loss.ts), gradients of all variables,
 *   clipByGlobalNorm(1.0) and AdamW (lr 2e-5, weight decay 0.01; src/train/optimizer.ts),
 *   dropout 0.1.
 * Rows are full length (no padding), as torch_bench.py's. Each line has the peak RSS of this
 * process and the wasm heap size; an error (base training outgrows wasm's 4 GiB) is a line with
 * "error" rather than a crash. Options: --reps N (timed repetitions; default mini 5, base 2 embed /
 * 1 train), --warmup N (default 1).
 *
 * Timings on a shared 2-core machine move by ±10% with what else runs: compare numbers from one
 * run. Prints one block per part, then one JSON line with every number.
 */
import os from "node:os";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/compute/backend.js";
import { describeMatMul } from "../src/compute/blas.js";
import { installWasmKernels, uninstallWasmKernels } from "../src/compute/wasm-kernels.js";
import { Encoder } from "../src/model/encoder.js";
import { MINI_CONFIG } from "../src/model/presets.js";
import { l2Normalize, meanPool } from "../src/model/pooling.js";
import { infoNceLoss } from "../src/train/loss.js";
import { AdamW, clipByGlobalNorm } from "../src/train/optimizer.js";
import type { EncoderConfig, NamedTensor } from "../src/model/types.js";
import { encoderWeightSpec } from "../src/model/weight-spec.js";
import { mulberry32, randomInt, randomNormal, type Random } from "../src/util/random.js";
import { consoleLogger, stderrLogger } from "../src/util/logger.js";

const MINI: EncoderConfig = { ...MINI_CONFIG, vocabSize: 32000 };
/** xlm-roberta-base's shape (random weights): 278M parameters, 192M of them the embedding table. */
const BASE: EncoderConfig = { ...MINI, vocabSize: 250002, hiddenSize: 768, numLayers: 12, numHeads: 12, intermediateSize: 3072 };
/** multilingual-e5-small's shape (random weights), its vocabulary trimmed to 32000 tokens as `mini`'s. */
const E5_SMALL: EncoderConfig = { ...MINI, hiddenSize: 384, numLayers: 12, numHeads: 12, intermediateSize: 1536 };
const CONFIGS = { mini: MINI, base: BASE, "e5-small": E5_SMALL } as const;
type ConfigName = keyof typeof CONFIGS;
/** The config every part uses (--config; default mini). */
let CONFIG: EncoderConfig = MINI;
/** Rows per batch (--batch; default 32). An e5-small-shaped plain training step fits wasm's 4 GiB only up to about 8. */
let BATCH = 32;
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

/**
 * A padded batch: rows of random length in [len/2, len] (every row `len` long with `full`, as
 * torch_bench.py's inputs), ids in [3, vocab), padding id 1.
 */
function randomBatch(rand: Random, batch: number, len: number, full = false): { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D } {
  const ids = new Int32Array(batch * len).fill(CONFIG.padTokenId);
  const mask = new Int32Array(batch * len);
  for (let r = 0; r < batch; r++) {
    const real = full ? len : Math.ceil(len / 2) + randomInt(rand, Math.floor(len / 2) + 1);
    for (let t = 0; t < real; t++) {
      ids[r * len + t] = 3 + randomInt(rand, CONFIG.vocabSize - 3);
      mask[r * len + t] = 1;
    }
  }
  return { inputIds: tf.tensor2d(ids, [batch, len], "int32"), attentionMask: tf.tensor2d(mask, [batch, len], "int32") };
}

type Batch = ReturnType<typeof randomBatch>;

/** Mean-pooled, normalised embeddings in training mode: [batch, hidden]. */
function embed(encoder: Encoder, batch: Batch, seed: number): tf.Tensor2D {
  return l2Normalize(meanPool(encoder.forward(batch, { training: true, seed }), batch.attentionMask));
}

/** InfoNCE with in-batch negatives: cross-entropy of SCALE·cos(q_i, p_j) rows against j = i. */
function infoNce(q: tf.Tensor2D, p: tf.Tensor2D): tf.Scalar {
  // [batch, batch]
  const logits = tf.mul(tf.matMul(q, p, false, true), SCALE) as tf.Tensor2D;
  const targets = tf.oneHot(tf.range(0, q.shape[0], 1, "int32"), q.shape[0]);
  return tf.losses.softmaxCrossEntropy(targets, logits) as tf.Scalar;
}

function trainStep(encoder: Encoder, queries: Batch, passages: Batch, step: number): number {
  const vars = encoder.variables();
  // Dropout seeds per step and tower (the encoder adds one per dropout site, 13 for 4 layers).
  const objective = () => infoNce(embed(encoder, queries, 1000 * step), embed(encoder, passages, 1000 * step + 500));
  const { value, grads } = tf.variableGrads(objective, vars);
  tf.tidy(() => {
    for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], LEARNING_RATE)));
  });
  const loss = value.dataSync()[0];
  tf.dispose([value, grads]);
  return loss;
}

interface KernelResult {
  readonly kernel: string;
  readonly stockMs: number;
  readonly overrideMs: number;
}

/**
 * Mean wall time of `f` after one untimed call. wasm kernels run synchronously, so no read-back
 * is needed (and reading a large result back would cost more than some of the kernels).
 */
function timeMs(f: () => tf.Tensor, reps: number): number {
  tf.tidy(f).dispose();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) tf.tidy(f).dispose();
  return (performance.now() - t0) / reps;
}

/**
 * Each overridden kernel on the shapes the passage tower's step gives it (5120 = 32 × 160
 * tokens across both towers), with tfjs's kernel and with ours.
 */
function benchKernels(rand: Random): KernelResult[] {
  const tokens = BATCH * (QUERY_TOKENS + PASSAGE_TOKENS);
  const h = CONFIG.hiddenSize;
  const ffn = CONFIG.intermediateSize;
  const bh = BATCH * CONFIG.numHeads;
  const d = h / CONFIG.numHeads;
  const normal = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((p, x) => p * x, 1) }, () => randomNormal(rand)), shape);
  const x = normal([tokens, h]);
  const y = normal([tokens, ffn]);
  const w = normal([h, ffn]);
  const q = normal([bh, PASSAGE_TOKENS, d]);
  const k = normal([bh, PASSAGE_TOKENS, d]);
  const p = normal([bh, PASSAGE_TOKENS, PASSAGE_TOKENS]);
  const table = normal([CONFIG.vocabSize, h]);
  const ids = tf.tensor1d(Int32Array.from({ length: tokens }, () => randomInt(rand, CONFIG.vocabSize)), "int32");
  const cases: [string, () => tf.Tensor][] = [
    [`matMul x·W [${tokens},${h}]·[${h},${ffn}] (forward, unchanged path)`, () => tf.matMul(x, w)],
    [`matMul dy·Wᵀ [${tokens},${ffn}]·[${h},${ffn}]ᵀ (input gradient)`, () => tf.matMul(y, w, false, true)],
    [`matMul xᵀ·dy [${tokens},${h}]ᵀ·[${tokens},${ffn}] (weight gradient)`, () => tf.matMul(x, y, true, false)],
    [`batched q·kᵀ [${bh},${PASSAGE_TOKENS},${d}]·[…]ᵀ (attention scores)`, () => tf.matMul(q, k, false, true)],
    [`batched p·v [${bh},${PASSAGE_TOKENS},${PASSAGE_TOKENS}]·[${bh},${PASSAGE_TOKENS},${d}]`, () => tf.matMul(p, k)],
    [`sum over rows [${tokens},${ffn}] → [${ffn}] (bias gradient)`, () => tf.sum(y, 0)],
    [`gather [${CONFIG.vocabSize},${h}] × ${tokens} ids (embedding lookup)`, () => tf.gather(table, ids)],
    [`clone [${tokens},${ffn}] (every tensor a gradient saves)`, () => y.clone()],
  ];
  const results: KernelResult[] = [];
  for (const [kernel, f] of cases) {
    uninstallWasmKernels("overrides");
    const stockMs = timeMs(f, 2);
    installWasmKernels();
    const overrideMs = timeMs(f, 5);
    results.push({ kernel, stockMs, overrideMs });
  }
  tf.dispose([x, y, w, q, k, p, table, ids]);
  return results;
}

interface VariantResult {
  readonly variant: string;
  readonly forwardSentencesPerSec: number;
  readonly forwardMsPerBatch: number;
  readonly trainStepMs: number[];
  readonly profiledStepMs: number;
  readonly kernelMs: number;
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
    trainStep(encoder, queries, passages, 0); // warm-up
    const trainStepMs: number[] = [];
    for (let i = 1; i <= steps; i++) {
      t0 = performance.now();
      trainStep(encoder, queries, passages, i);
      trainStepMs.push(performance.now() - t0);
    }
    t0 = performance.now();
    const profile = await tf.profile(() => {
      trainStep(encoder, queries, passages, steps + 1);
    });
    const profiledStepMs = performance.now() - t0;
    const byName = new Map<string, { ms: number; calls: number }>();
    // Custom-gradient ops (tf.fused.matMul, the encoder's LayerNorm and GELU) appear as scopes
    // whose time includes their kernels': count kernels only.
    for (const k of profile.kernels.filter((k) => tf.getKernel(k.name, "wasm") !== undefined)) {
      const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
      entry.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
      entry.calls++;
      byName.set(k.name, entry);
    }
    const all = [...byName].map(([name, e]) => ({ name, ms: Math.round(e.ms), calls: e.calls })).sort((a, b) => b.ms - a.ms);
    const kernelMs = all.reduce((sum, k) => sum + k.ms, 0);
    tf.dispose([queries, passages]);
    return {
      variant,
      forwardSentencesPerSec: (BATCH * 1000) / forwardMs,
      forwardMsPerBatch: forwardMs,
      trainStepMs,
      profiledStepMs,
      kernelMs,
      topKernels: all.slice(0, 12),
    };
  } finally {
    encoder.dispose();
  }
}

function print(r: VariantResult): void {
  const mean = r.trainStepMs.reduce((s, x) => s + x, 0) / r.trainStepMs.length;
  console.log(`\n== wasm, ${r.variant === "stock" ? "tfjs's own kernels" : "with overrides"}`);
  console.log(`forward ${BATCH}×${FORWARD_TOKENS}: ${r.forwardMsPerBatch.toFixed(0)} ms/batch, ${r.forwardSentencesPerSec.toFixed(1)} sentences/s`);
  console.log(`train step (${BATCH} × (${QUERY_TOKENS} + ${PASSAGE_TOKENS}) tokens): ${r.trainStepMs.map((x) => x.toFixed(0)).join(", ")} ms (mean ${mean.toFixed(0)})`);
  console.log(`top kernels in one profiled step (${r.profiledStepMs.toFixed(0)} ms, ${r.kernelMs} ms in kernels): ms, calls, share`);
  for (const k of r.topKernels) {
    console.log(`  ${k.name.padEnd(20)} ${String(k.ms).padStart(7)}  ${String(k.calls).padStart(5)}  ${((100 * k.ms) / r.kernelMs).toFixed(0)}%`);
  }
}

function printKernels(results: readonly KernelResult[]): void {
  console.log("\n== kernels alone on wasm: tfjs's → ours (ms)");
  for (const r of results) {
    const speedup = r.stockMs / r.overrideMs;
    console.log(`  ${r.kernel.padEnd(64)} ${r.stockMs.toFixed(1).padStart(8)} → ${r.overrideMs.toFixed(1).padStart(6)}  ×${speedup.toFixed(1)}`);
  }
}

const MiB = 2 ** 20;

function loadAvg(): number {
  return Math.round(os.loadavg()[0] * 100) / 100;
}

/** Current size of the wasm backend's linear memory in MiB (it only grows), or null off wasm. */
function wasmHeapMb(): number | null {
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  return wasm?.HEAPU8 ? Math.round(wasm.HEAPU8.byteLength / MiB) : null;
}

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024); // KiB on Linux
}

const TRAIN_LR = 2e-5;
const WEIGHT_DECAY = 0.01;
const MAX_GRAD_NORM = 1.0;
const DROPOUT = 0.1;

/**
 * One `--mode` measurement: a fresh encoder with random weights, `warmup` untimed then `reps`
 * timed batches (embed) or training steps (train). Never throws: a failure is an "error" line.
 */
async function measure(configName: ConfigName, mode: "embed" | "train", reps: number, warmup: number, seed: number): Promise<Record<string, unknown>> {
  const head = { bench: "encoder", impl: "tfjs-wasm", config: configName, mode, matmul: describeMatMul() };
  const loadBefore = loadAvg();
  const rand = mulberry32(seed);
  let encoder: Encoder | undefined;
  let optimizer: AdamW | undefined;
  const tensors: tf.Tensor[] = [];
  let stage = "building the encoder";
  const times: number[] = [];
  const losses: number[] = [];
  try {
    const t0 = performance.now();
    encoder = Encoder.fromWeights(CONFIG, randomWeights(CONFIG, rand), { dropout: mode === "train" ? DROPOUT : 0, scope: `bench_${configName}_${mode}` });
    const buildS = (performance.now() - t0) / 1000;
    globalThis.gc?.();
    const params = encoder.variables().reduce((n, v) => n + v.size, 0);
    if (mode === "embed") {
      const batch = randomBatch(rand, BATCH, FORWARD_TOKENS, true);
      tensors.push(batch.inputIds, batch.attentionMask);
      const enc = encoder;
      for (let i = 0; i < warmup + reps; i++) {
        stage = `embed batch ${i}`;
        const t = performance.now();
        const out = tf.tidy(() => l2Normalize(meanPool(enc.forward(batch), batch.attentionMask)));
        out.dataSync();
        out.dispose();
        if (i >= warmup) times.push((performance.now() - t) / 1000);
      }
    } else {
      const queries = randomBatch(rand, BATCH, QUERY_TOKENS, true);
      const passages = randomBatch(rand, BATCH, PASSAGE_TOKENS, true);
      tensors.push(queries.inputIds, queries.attentionMask, passages.inputIds, passages.attentionMask);
      const vars = encoder.variables();
      optimizer = new AdamW(vars, { weightDecay: WEIGHT_DECAY });
      const enc = encoder;
      for (let i = 0; i < warmup + reps; i++) {
        stage = `training step ${i}`;
        const t = performance.now();
        const objective = (): tf.Scalar =>
          infoNceLoss(
            meanPool(enc.forward(queries, { training: true, seed: seed + 1000 * i }), queries.attentionMask),
            meanPool(enc.forward(passages, { training: true, seed: seed + 1000 * i + 500 }), passages.attentionMask),
            SCALE,
          );
        const { value, grads } = tf.variableGrads(objective, vars);
        const clipped = clipByGlobalNorm(grads, MAX_GRAD_NORM);
        tf.dispose(grads);
        optimizer.step(clipped.grads, TRAIN_LR);
        tf.dispose(clipped.grads);
        losses.push(Math.round(value.dataSync()[0] * 1e5) / 1e5);
        value.dispose();
        if (i >= warmup) times.push((performance.now() - t) / 1000);
      }
    }
    const perBatch = times.reduce((s, x) => s + x, 0) / times.length;
    const sorted = [...times].sort((a, b) => a - b);
    return {
      ...head,
      per_batch_s: round(perBatch),
      per_batch_median_s: round(sorted[Math.floor(sorted.length / 2)]),
      throughput: round(BATCH / perBatch),
      unit: mode === "embed" ? "sentences/s" : "pairs/s",
      reps: times.length,
      warmup,
      batch: BATCH,
      ...(mode === "embed" ? { tokens: FORWARD_TOKENS } : { query_tokens: QUERY_TOKENS, passage_tokens: PASSAGE_TOKENS, scale: SCALE, optimizer: "AdamW", lr: TRAIN_LR, clip: MAX_GRAD_NORM, dropout: DROPOUT, losses }),
      params,
      build_s: round(buildS),
      peak_rss_mb: peakRssMb(),
      wasm_heap_mb: wasmHeapMb(),
      load_avg: loadAvg(),
      load_avg_before: loadBefore,
    };
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const heap = wasmHeapMb();
    const hint = heap !== null && heap >= 4095 ? ` (wasm heap at ${heap} MiB: out of wasm32's 4 GiB address space)` : "";
    return {
      ...head,
      error: `${stage}: ${message.split("\n")[0].slice(0, 300)}${hint}`,
      timed_reps: times.length,
      peak_rss_mb: peakRssMb(),
      wasm_heap_mb: wasmHeapMb(),
      load_avg: loadAvg(),
    };
  } finally {
    try {
      optimizer?.dispose();
      encoder?.dispose();
      tf.dispose(tensors);
    } catch {
      // after a failed allocation the backend may be unusable: the line above is what matters
    }
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      steps: { type: "string", default: "3" },
      seed: { type: "string", default: "1" },
      config: { type: "string", default: "mini" },
      mode: { type: "string" },
      reps: { type: "string" },
      warmup: { type: "string", default: "1" },
      batch: { type: "string", default: "32" },
    },
  });
  BATCH = Number(values.batch);
  if (!Number.isInteger(BATCH) || BATCH < 1) throw new Error(`--batch: '${values.batch}' is not an integer >= 1`);
  const configName = values.config as ConfigName;
  if (!(configName in CONFIGS)) throw new Error(`--config: '${values.config}' is not one of: ${Object.keys(CONFIGS).join(", ")}`);
  CONFIG = CONFIGS[configName];
  if (values.mode !== undefined) {
    const mode = values.mode;
    const modes: readonly ("embed" | "train")[] | undefined =
      mode === "both" ? ["embed", "train"] : mode === "embed" || mode === "train" ? [mode] : undefined;
    if (modes === undefined) throw new Error(`--mode: '${values.mode}' is not one of: embed, train, both`);
    const warmup = Number(values.warmup);
    if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`--warmup: '${values.warmup}' is not an integer >= 0`);
    const backend = await initBackend("wasm", stderrLogger());
    for (const mode of modes) {
      const reps = values.reps !== undefined ? Number(values.reps) : configName === "base" ? (mode === "embed" ? 2 : 1) : 5;
      if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps: '${values.reps}' is not a positive integer`);
      console.error(`encoder ${configName}/${mode} on ${backend}: ${warmup} warm-up, ${reps} timed`);
      console.log(JSON.stringify(await measure(configName, mode, reps, warmup, Number(values.seed))));
    }
    return;
  }
  const steps = Number(values.steps);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps: '${values.steps}' is not a positive integer`);
  const parts = ["kernels", "stock", "overrides"] as const;
  type Part = (typeof parts)[number];
  const only = values.only;
  if (only !== undefined && !parts.includes(only as Part)) throw new Error(`--only: '${only}' is not one of: ${parts.join(", ")}`);
  const run = (part: Part) => only === undefined || only === part;
  const seed = Number(values.seed);
  const backend = await initBackend("wasm", consoleLogger());
  console.log(`backend ${backend}; config ${JSON.stringify(CONFIG)}`);
  const kernels = run("kernels") ? benchKernels(mulberry32(seed)) : [];
  if (kernels.length > 0) printKernels(kernels);
  const results: VariantResult[] = [];
  for (const v of ["stock", "overrides"] as const) {
    if (!run(v)) continue;
    // The stock step takes a minute: one timed repetition there.
    const r = await runVariant(v, v === "stock" ? 1 : steps, seed);
    print(r);
    results.push(r);
  }
  installWasmKernels();
  console.log(JSON.stringify({ bench: "encoder", backend, batch: BATCH, kernels, results }));
}

await main();
