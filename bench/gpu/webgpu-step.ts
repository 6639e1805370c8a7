/**
 * Throughput of an XLM-R-base-sized encoder with random weights on a tfjs backend (webgpu by
 * default), measured exactly as bench/gpu/torch_step.py measures PyTorch, so the two print side
 * by side (bench/gpu/run.sh runs both):
 *
 * - train: one step = 100 queries (32 tokens) and 100 passages (128 tokens) through the shared
 *   encoder (dropout 0.1), mean pooling, L2 normalisation, InfoNCE (scale 20) over the in-batch
 *   similarities, gradients of every weight, AdamW (lr 2e-5, weight decay 0.01); timed until the
 *   updated weights are readable, after warm-up steps;
 * - embed: forward only, 100 × 128 tokens, mean pooled and normalised; sentences/s.
 * Inputs are random ids without padding, as in the PyTorch script.
 *
 *   node dist/bench/gpu/webgpu-step.js [--backend webgpu] [--config base|mini] [--batch 100]
 *     [--query-tokens 32] [--passage-tokens 128] [--embed-batch 100] [--embed-tokens 128]
 *     [--steps 3] [--warmup 1] [--embed-reps 5] [--seed 1] [--out FILE.json]
 *
 * `--config mini --backend wasm --batch 4 --steps 1` is a smoke test that runs on any machine.
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { Encoder } from "../../src/model/encoder.js";
import { randomWeights } from "../../src/model/mini.js";
import { l2Normalize, meanPool } from "../../src/model/pooling.js";
import { MINI_CONFIG } from "../../src/model/presets.js";
import type { EncoderConfig } from "../../src/model/types.js";
import { InfoNceLoss } from "../../src/train/loss.js";
import { AdamW } from "../../src/train/optimizer.js";
import { mulberry32 } from "../../src/util/random.js";
import { deviceInfo, finish, fullBatch, intOption, median, report, startBackend } from "./common.js";

/** xlm-roberta-base's architecture (278M parameters, 192M of them the word embeddings). */
const XLMR_BASE: EncoderConfig = { ...MINI_CONFIG, hiddenSize: 768, numLayers: 12, numHeads: 12, intermediateSize: 3072 };
const CONFIGS: Readonly<Record<string, EncoderConfig>> = { base: XLMR_BASE, mini: { ...MINI_CONFIG, vocabSize: 32000 } };
const LEARNING_RATE = 2e-5;
const USAGE = `usage: node dist/bench/gpu/webgpu-step.js [--backend webgpu] [--config base|mini] [--batch 100]
  [--query-tokens 32] [--passage-tokens 128] [--embed-batch 100] [--embed-tokens 128]
  [--steps 3] [--warmup 1] [--embed-reps 5] [--seed 1] [--out FILE.json]
One AdamW training step and forward throughput of an XLM-R-base-sized random encoder (bench/gpu/torch_step.py measures PyTorch alike).`;

type Batch = ReturnType<typeof fullBatch>;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backend: { type: "string", default: "webgpu" },
      config: { type: "string", default: "base" },
      batch: { type: "string" },
      "query-tokens": { type: "string" },
      "passage-tokens": { type: "string" },
      "embed-batch": { type: "string" },
      "embed-tokens": { type: "string" },
      steps: { type: "string" },
      warmup: { type: "string" },
      "embed-reps": { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const config = CONFIGS[values.config!];
  if (config === undefined) throw new Error(`--config: '${values.config}' is not one of ${Object.keys(CONFIGS).join(", ")}`);
  const batch = intOption("batch", values.batch, 100);
  const queryTokens = intOption("query-tokens", values["query-tokens"], 32, 3);
  const passageTokens = intOption("passage-tokens", values["passage-tokens"], 128, 3);
  const embedBatch = intOption("embed-batch", values["embed-batch"], 100);
  const embedTokens = intOption("embed-tokens", values["embed-tokens"], 128, 3);
  const steps = intOption("steps", values.steps, 3);
  const warmup = intOption("warmup", values.warmup, 1, 0);
  const embedReps = intOption("embed-reps", values["embed-reps"], 5);
  const seed = intOption("seed", values.seed, 1, 0);

  const backend = await startBackend(values.backend!);
  let t0 = performance.now();
  const encoder = Encoder.fromWeights(config, randomWeights(config, seed), { dropout: 0.1, scope: "bench" });
  const buildSeconds = (performance.now() - t0) / 1000;
  const vars = encoder.variables();
  const params = vars.reduce((n, v) => n + v.size, 0);
  console.error(`${values.config}: ${(params / 1e6).toFixed(1)}M parameters on ${backend}, built in ${buildSeconds.toFixed(1)} s`);

  const rand = mulberry32(seed + 1);
  const embed = (b: Batch, training: boolean): tf.Tensor2D => l2Normalize(meanPool(encoder.forward(b, { training }), b.attentionMask));

  // Training steps: the wait on the last variable covers the optimiser's updates too.
  const optimizer = new AdamW(vars, { weightDecay: 0.01 });
  const loss = new InfoNceLoss({ scale: 20 });
  const queries = fullBatch(rand, batch, queryTokens, config.vocabSize);
  const passages = fullBatch(rand, batch, passageTokens, config.vocabSize);
  const stepMs: number[] = [];
  const losses: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => loss.compute(embed(queries, true), embed(passages, true)), vars);
    optimizer.step(grads, LEARNING_RATE);
    tf.dispose(grads);
    const l = (await value.data())[0];
    value.dispose();
    await vars[vars.length - 1].data();
    const ms = performance.now() - t0;
    losses.push(l);
    if (i >= warmup) stepMs.push(ms);
    console.error(`train step ${i}${i < warmup ? " (warm-up)" : ""}: ${ms.toFixed(0)} ms, loss ${l.toFixed(4)}`);
  }
  tf.dispose([queries, passages]);

  // Forward only.
  const inputs = fullBatch(rand, embedBatch, embedTokens, config.vocabSize);
  const embedMs: number[] = [];
  for (let i = 0; i < 1 + embedReps; i++) {
    t0 = performance.now();
    const out = tf.tidy(() => embed(inputs, false));
    await out.data();
    out.dispose();
    if (i >= 1) embedMs.push(performance.now() - t0);
  }
  tf.dispose(inputs);
  const sentencesPerSec = (embedBatch * embedMs.length * 1000) / embedMs.reduce((s, x) => s + x, 0);
  console.error(`embed ${embedBatch} × ${embedTokens}: median ${median(embedMs).toFixed(1)} ms, ${sentencesPerSec.toFixed(1)} sentences/s`);

  await report(
    {
      bench: "webgpu-step",
      impl: `hybrid-ir tfjs ${tf.version_core}`,
      ...deviceInfo(),
      config: values.config,
      params,
      buildSeconds,
      train: { batch, queryTokens, passageTokens, optimizer: "AdamW lr 2e-5 wd 0.01", dropout: 0.1, warmup, stepMs, medianStepMs: median(stepMs), losses },
      embed: { batch: embedBatch, tokens: embedTokens, ms: embedMs, medianMs: median(embedMs), sentencesPerSec },
      memory: tf.memory(),
    },
    values.out,
  );
  encoder.dispose();
}

try {
  await main();
} catch (err) {
  console.error(`webgpu-step: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
}
finish();
