/**
 * A short training run per batching strategy (x-x, x-y, hybrid) on one backend: the `mini`
 * encoder, the paper's loss (InfoNCE, scale 20) and AdamW with linear warm-up and decay, batches
 * from the samplers over a vendored benchmark's records. It checks that training runs on the
 * backend (losses finite and falling) and what a step costs there; it is not an experiment
 * (XQuAD-R is an evaluation set) and stands in until the suite has its own training command.
 *
 *   node dist/bench/gpu/train-strategies.js [--backend webgpu] [--dataset xquad-r|mlqa-r]
 *     [--samplers x-x,x-y,hybrid] [--steps 30] [--batch-size 32] [--lr 1e-4] [--seed 42] [--out FILE.json]
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { isDatasetName, loadDataset } from "../../src/data/lareqa.js";
import { loadModel } from "../../src/model/load.js";
import { MODEL_PRESETS } from "../../src/model/presets.js";
import { buildPools, type TrainingPools } from "../../src/sampling/pools.js";
import { createSampler, isSamplerName, type Batch } from "../../src/sampling/sampler.js";
import { fromRetrievalDataset } from "../../src/train-data/from-squad.js";
import { InfoNceLoss } from "../../src/train/loss.js";
import { AdamW } from "../../src/train/optimizer.js";
import { learningRate, type ScheduleOptions } from "../../src/train/schedule.js";
import { deviceInfo, finish, intOption, median, report, startBackend } from "./common.js";

const LOG_EVERY = 5;
const USAGE = `usage: node dist/bench/gpu/train-strategies.js [--backend webgpu] [--dataset xquad-r|mlqa-r]
  [--samplers x-x,x-y,hybrid] [--steps 30] [--batch-size 32] [--lr 1e-4] [--seed 42] [--out FILE.json]
A short training run of the mini encoder per batching strategy: losses and ms/step.`;

interface RunOptions {
  readonly steps: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly seed: number;
}

/** Mean of the first and of the last `n` values. */
function ends(xs: readonly number[], n: number): { first: number; last: number } {
  const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  return { first: mean(xs.slice(0, n)), last: mean(xs.slice(-n)) };
}

async function trainOne(sampler: string, pools: TrainingPools, corpus: readonly string[], o: RunOptions): Promise<Record<string, unknown>> {
  if (!isSamplerName(sampler)) throw new Error(`--samplers: '${sampler}' is not x-x, x-y or hybrid`);
  const preset = MODEL_PRESETS.mini;
  // Same seed for every strategy: each starts from the same weights.
  const { model } = await loadModel("mini", { corpus: () => corpus, seed: o.seed, encoder: { dropout: 0.1 } });
  const batches = createSampler(sampler, pools, { batchSize: o.batchSize, seed: o.seed });
  const vars = model.variables();
  const optimizer = new AdamW(vars, { weightDecay: 0.01 });
  const loss = new InfoNceLoss();
  const schedule: ScheduleOptions = { peak: o.lr, warmupSteps: Math.ceil(o.steps / 10), totalSteps: o.steps, schedule: "linear" };
  const losses: number[] = [];
  const stepMs: number[] = [];
  const kinds = { mono: 0, cross: 0 };
  const { records } = pools;
  const step = async (batch: Batch, i: number): Promise<void> => {
    const t0 = performance.now();
    const q = model.encodeInputs(batch.pairs.map((p) => ({ text: records[p.query].query })), { maxLength: preset.maxQueryLength, prefix: preset.queryPrefix });
    const d = model.encodeInputs(batch.pairs.map((p) => ({ text: records[p.passage].positive })), { maxLength: preset.maxPassageLength, prefix: preset.passagePrefix });
    const { value, grads } = tf.variableGrads(() => loss.compute(model.forward(q, { training: true }), model.forward(d, { training: true })), vars);
    optimizer.step(grads, learningRate(i, schedule));
    tf.dispose(grads);
    const l = (await value.data())[0];
    value.dispose();
    await vars[vars.length - 1].data();
    losses.push(l);
    stepMs.push(performance.now() - t0);
    kinds[batch.kind] += 1;
    if ((i + 1) % LOG_EVERY === 0 || i === 0) {
      console.error(`${sampler} step ${i + 1}/${o.steps}: loss ${l.toFixed(4)}, ${stepMs[stepMs.length - 1].toFixed(0)} ms, lr ${learningRate(i, schedule).toExponential(2)}`);
    }
  };
  try {
    let i = 0;
    while (i < o.steps) {
      for (const batch of batches) {
        await step(batch, i++);
        if (i === o.steps) break;
      }
    }
  } finally {
    model.dispose();
  }
  const n = Math.max(1, Math.min(5, Math.floor(o.steps / 3)));
  const { first, last } = ends(losses, n);
  return {
    sampler,
    steps: o.steps,
    batchSize: o.batchSize,
    batchesPerEpoch: batches.length,
    kinds,
    losses,
    stepMs,
    // The first step includes compiling the backend's kernels.
    medianStepMs: median(stepMs.slice(1)),
    firstLoss: first,
    lastLoss: last,
    finite: losses.every(Number.isFinite),
    lossFell: last < first,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backend: { type: "string", default: "webgpu" },
      dataset: { type: "string", default: "xquad-r" },
      samplers: { type: "string", default: "x-x,x-y,hybrid" },
      steps: { type: "string" },
      "batch-size": { type: "string" },
      lr: { type: "string", default: "1e-4" },
      seed: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const dataset = values.dataset!;
  if (!isDatasetName(dataset)) throw new Error(`--dataset: '${dataset}' is not xquad-r or mlqa-r`);
  const lr = Number(values.lr);
  if (!(lr > 0 && Number.isFinite(lr))) throw new Error(`--lr: '${values.lr}' is not a positive number`);
  const options: RunOptions = {
    steps: intOption("steps", values.steps, 30),
    batchSize: intOption("batch-size", values["batch-size"], 32, 2),
    lr,
    seed: intOption("seed", values.seed, 42, 0),
  };
  const backend = await startBackend(values.backend!);
  const records = fromRetrievalDataset(await loadDataset(dataset));
  const pools = buildPools(records);
  const corpus = records.flatMap((r) => [r.query, r.positive]);
  console.error(`${records.length} ${dataset} records in ${pools.groups.length} groups; backend ${backend}`);

  const runs: Record<string, unknown>[] = [];
  for (const sampler of values.samplers!.split(",").filter((s) => s !== "")) runs.push(await trainOne(sampler, pools, corpus, options));
  const ok = runs.every((r) => r.finite === true);
  await report({ bench: "train-strategies", ...deviceInfo(), dataset, model: "mini", lr, ok, runs }, values.out);
  if (!ok) process.exitCode = 1;
}

try {
  await main();
} catch (err) {
  console.error(`train-strategies: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
}
finish();
