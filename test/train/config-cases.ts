/**
 * Inputs whose resolution must not change when the config resolver is rewritten: every config and
 * grid in configs/, each config under several flag sets, and inline configs that set every option
 * (and bad values, for the messages). `resolveCases` returns what the resolver makes of them, with
 * the repository root written as `<root>` so the result compares across machines;
 * test/fixtures/run-configs/resolved.json holds what the hand-written resolver (before #18) returned.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { readGrid } from "../../src/ablate/grid.js";
import { readRunConfig, resolveRunConfig, type RunFlags } from "../../src/train/config.js";

const FLAG_SETS: readonly RunFlags[] = [
  {},
  { steps: "50", seed: "3", sampler: "x-y" },
  { sampler: "hybrid", alpha: "0.25", batchSize: "16", backend: "wasm", gradCacheChunk: "8", output: "runs/flagged" },
  { gradCacheChunk: "0", backend: "cpu" },
  { sampler: "hybrid", alpha: "by-size" },
  { sampler: "x-x" },
  { alpha: "0.3" },
  { steps: "0" },
  { seed: "-1" },
  { backend: "gpu" },
  { gradCacheChunk: "x" },
  { batchSize: "1" },
];

const MINIMAL = { data: { train: { dataset: "mlqa-r" } } };

const EVERYTHING = {
  comment: "every option set",
  model: { ref: "mini", seed: 3, dropout: 0.1, mini: { layers: 2, hidden: 128, heads: 2, intermediate: 512 } },
  data: { train: "records.jsonl", validationFraction: 0.2, splitSeed: 5, withContext: true, allowContamination: true },
  sampler: { name: "x-x", batchSize: 8, seed: 1 },
  optim: { lr: 1e-3, weightDecay: 0, warmupSteps: 10, schedule: "constant", clipNorm: 2, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 },
  loss: { scale: 10, symmetric: true },
  gradCache: { chunkSize: 4 },
  steps: 200,
  maxQueryLength: 32,
  maxPassageLength: 128,
  prefixes: true,
  backend: "wasm",
  logEvery: 5,
  validateEvery: 50,
  validationBatches: 4,
  validationBatchSize: 8,
  checkpointEvery: 0,
  earlyStopping: { patience: 2 },
  eval: { dataset: "mlqa-r", maxQuestionIds: 10, languages: ["en", "de"], every: "end", batchSize: 16 },
  outputDir: "out/everything",
  provenance: { commit: "abc" },
};

/** Inline configs: [name, json]. */
const INLINE: readonly (readonly [string, unknown])[] = [
  ["minimal", MINIMAL],
  ["everything", EVERYTHING],
  ["adversarial-defaults", { ...MINIMAL, sampler: { name: "x-y" }, adversarial: {} }],
  ["adversarial-set", { ...MINIMAL, sampler: { name: "x-y" }, adversarial: { lambda: 0.5, hidden: 64, lr: 0.01, warmupSteps: 5 } }],
  ["adversarial-null", { ...MINIMAL, adversarial: null }],
  ["prefixes-false", { ...MINIMAL, prefixes: false }],
  ["prefixes-object", { ...MINIMAL, prefixes: { query: "q: " } }],
  ["xlm-r-base", { ...MINIMAL, model: { ref: "xlm-r-base" } }],
  ["e5-small", { ...MINIMAL, model: { ref: "e5-small" } }],
  ["labse", { ...MINIMAL, model: { ref: "labse", seed: 9 } }],
  ["hub-id", { ...MINIMAL, model: { ref: "org/some-model" } }],
  ["mini-partial", { ...MINIMAL, model: { mini: { layers: 1 } } }],
  ["mini-null", { ...MINIMAL, model: { mini: null } }],
  ["eval-null", { ...MINIMAL, eval: null }],
  ["eval-partial", { ...MINIMAL, eval: { languages: ["de"], maxQuestionIds: null } }],
  ["nulls", { ...MINIMAL, gradCache: null, validationBatchSize: null, optim: { warmupRatio: null, warmupSteps: null } }],
  ["warmup-ratio", { ...MINIMAL, optim: { warmupRatio: 0.5 }, steps: 11 }],
  ["warmup-steps-only", { ...MINIMAL, optim: { warmupSteps: 7, warmupRatio: null } }],
  ["sampler-by-size", { ...MINIMAL, sampler: { alpha: "by-size", batchSize: 2, seed: -4 } }],
  ["validation-off", { ...MINIMAL, data: { ...MINIMAL.data, validationFraction: 0 }, validateEvery: 0 }],
  ["data-section-only-train", { data: { train: "sub/dir/records.jsonl" } }],
  // Bad values: the messages must stay.
  ["bad-top", [1]],
  ["bad-model-type", { ...MINIMAL, model: 3 }],
  ["bad-ref-empty", { ...MINIMAL, model: { ref: " " } }],
  ["bad-ref-type", { ...MINIMAL, model: { ref: 3 } }],
  ["bad-seed", { ...MINIMAL, model: { seed: -1 } }],
  ["bad-seed-float", { ...MINIMAL, model: { seed: 1.5 } }],
  ["bad-dropout", { ...MINIMAL, model: { dropout: 1 } }],
  ["bad-mini-ref", { ...MINIMAL, model: { ref: "labse", mini: { layers: 2 } } }],
  ["bad-mini-heads", { ...MINIMAL, model: { mini: { hidden: 100, heads: 3 } } }],
  ["bad-mini-type", { ...MINIMAL, model: { mini: 4 } }],
  ["bad-mini-layers", { ...MINIMAL, model: { mini: { layers: 0 } } }],
  ["bad-no-data", {}],
  ["bad-no-train", { data: {} }],
  ["bad-data-type", { data: "x" }],
  ["bad-train-empty", { data: { train: "" } }],
  ["bad-train-dataset", { data: { train: { dataset: "squad" } } }],
  ["bad-train-array", { data: { train: ["a"] } }],
  ["bad-validation-fraction", { data: { ...MINIMAL.data, validationFraction: 1 } }],
  ["bad-with-context", { data: { ...MINIMAL.data, withContext: "yes" } }],
  ["bad-split-seed", { data: { ...MINIMAL.data, splitSeed: "1" } }],
  ["bad-warmup-both", { ...MINIMAL, optim: { warmupSteps: 1, warmupRatio: 0.1 } }],
  ["bad-schedule", { ...MINIMAL, optim: { schedule: "cosine" } }],
  ["bad-schedule-type", { ...MINIMAL, optim: { schedule: 1 } }],
  ["bad-lr", { ...MINIMAL, optim: { lr: 0 } }],
  ["bad-lr-nan", { ...MINIMAL, optim: { lr: "1e-3" } }],
  ["bad-weight-decay", { ...MINIMAL, optim: { weightDecay: -1 } }],
  ["bad-warmup-ratio", { ...MINIMAL, optim: { warmupRatio: 2 } }],
  ["bad-warmup-steps", { ...MINIMAL, optim: { warmupSteps: -2 } }],
  ["bad-warmup-exceeds", { ...MINIMAL, optim: { warmupSteps: 20 }, steps: 10 }],
  ["bad-beta1", { ...MINIMAL, optim: { beta1: 1 } }],
  ["bad-epsilon", { ...MINIMAL, optim: { epsilon: 0 } }],
  ["bad-clip", { ...MINIMAL, optim: { clipNorm: -1 } }],
  ["bad-scale", { ...MINIMAL, loss: { scale: 0 } }],
  ["bad-symmetric", { ...MINIMAL, loss: { symmetric: 1 } }],
  ["bad-grad-cache-empty", { ...MINIMAL, gradCache: {} }],
  ["bad-grad-cache-zero", { ...MINIMAL, gradCache: { chunkSize: 0 } }],
  ["bad-grad-cache-type", { ...MINIMAL, gradCache: 8 }],
  ["bad-adversarial-sampler", { ...MINIMAL, adversarial: {} }],
  ["bad-adversarial-lambda", { ...MINIMAL, sampler: { name: "x-y" }, adversarial: { lambda: -1 } }],
  ["bad-adversarial-hidden", { ...MINIMAL, sampler: { name: "x-y" }, adversarial: { hidden: 0 } }],
  ["bad-adversarial-type", { ...MINIMAL, sampler: { name: "x-y" }, adversarial: 1 }],
  ["bad-eval-dataset", { ...MINIMAL, eval: { dataset: "squad" } }],
  ["bad-eval-dataset-type", { ...MINIMAL, eval: { dataset: 1 } }],
  ["bad-eval-languages-empty", { ...MINIMAL, eval: { languages: [] } }],
  ["bad-eval-languages-unknown", { ...MINIMAL, eval: { dataset: "mlqa-r", languages: ["en", "el"] } }],
  ["bad-eval-every", { ...MINIMAL, eval: { every: 100 } }],
  ["bad-eval-batch", { ...MINIMAL, eval: { batchSize: 0 } }],
  ["bad-eval-max-ids", { ...MINIMAL, eval: { maxQuestionIds: 0 } }],
  ["bad-eval-type", { ...MINIMAL, eval: "end" }],
  ["bad-steps", { ...MINIMAL, steps: 0 }],
  ["bad-steps-float", { ...MINIMAL, steps: 1.5 }],
  ["bad-log-every", { ...MINIMAL, logEvery: 0 }],
  ["bad-validate-every", { ...MINIMAL, validateEvery: -1 }],
  ["bad-validation-batches", { ...MINIMAL, validationBatches: 0 }],
  ["bad-validation-batch-size", { ...MINIMAL, validationBatchSize: 1 }],
  ["bad-checkpoint-every", { ...MINIMAL, checkpointEvery: "10" }],
  ["bad-max-query", { ...MINIMAL, maxQueryLength: 2 }],
  ["bad-max-passage", { ...MINIMAL, maxPassageLength: 2.5 }],
  ["bad-prefixes", { ...MINIMAL, prefixes: 3 }],
  ["bad-prefixes-query", { ...MINIMAL, prefixes: { query: 1 } }],
  ["bad-backend", { ...MINIMAL, backend: "gpu" }],
  ["bad-backend-type", { ...MINIMAL, backend: 1 }],
  ["bad-output-empty", { ...MINIMAL, outputDir: " " }],
  ["bad-output-type", { ...MINIMAL, outputDir: 1 }],
  ["bad-comment", { ...MINIMAL, comment: 1 }],
  ["bad-early-stopping", { ...MINIMAL, earlyStopping: { patience: 2 }, validateEvery: 0 }],
  ["bad-early-stopping-fraction", { data: { ...MINIMAL.data, validationFraction: 0 }, earlyStopping: { patience: 1 } }],
  ["bad-patience", { ...MINIMAL, earlyStopping: { patience: -1 } }],
  ["bad-early-stopping-type", { ...MINIMAL, earlyStopping: 3 }],
  ["bad-sampler-type", { ...MINIMAL, sampler: 3 }],
  ["bad-sampler-name", { ...MINIMAL, sampler: { name: "mixed" } }],
  ["bad-sampler-alpha-x-x", { ...MINIMAL, sampler: { name: "x-x", alpha: 0.5 } }],
  ["bad-sampler-batch", { ...MINIMAL, sampler: { batchSize: 1 } }],
  ["bad-sampler-alpha", { ...MINIMAL, sampler: { alpha: 1.5 } }],
  ["bad-sampler-seed", { ...MINIMAL, sampler: { seed: 0.5 } }],
];

type Outcome = unknown;

function outcome(run: () => unknown, root: string): Outcome {
  try {
    return JSON.parse(JSON.stringify(run()).replaceAll(root, "<root>"));
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message.replaceAll(root, "<root>")}` };
  }
}

async function outcomeAsync(run: () => Promise<unknown>, root: string): Promise<Outcome> {
  try {
    return JSON.parse(JSON.stringify(await run()).replaceAll(root, "<root>"));
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message.replaceAll(root, "<root>")}` };
  }
}

/** What the resolver makes of every case, keyed by case name; `root` is the repository (its configs/ are read). */
export async function resolveCases(root: string): Promise<Record<string, Outcome>> {
  const out: Record<string, Outcome> = {};
  const file = join(root, "configs", "inline.json");
  for (const [name, json] of INLINE) {
    out[`inline/${name}`] = outcome(() => resolveRunConfig(json, file, {}, root), root);
  }
  for (const [i, flags] of FLAG_SETS.entries()) {
    out[`inline/minimal+flags${i}`] = outcome(() => resolveRunConfig(MINIMAL, file, flags, root), root);
    out[`inline/everything+flags${i}`] = outcome(() => resolveRunConfig(EVERYTHING, file, flags, root), root);
  }
  const configs = (await readdir(join(root, "configs"))).filter((f) => f.endsWith(".json")).sort();
  for (const name of configs) {
    for (const [i, flags] of FLAG_SETS.entries()) {
      out[`configs/${name}+flags${i}`] = await outcomeAsync(() => readRunConfig(join(root, "configs", name), flags, root), root);
    }
  }
  const grids = (await readdir(join(root, "configs", "grids"))).filter((f) => f.endsWith(".json")).sort();
  for (const name of grids) {
    out[`configs/grids/${name}`] = await outcomeAsync(async () => {
      const grid = await readGrid(join(root, "configs", "grids", name), root);
      return { outputRoot: grid.outputRoot, comment: grid.comment, runs: grid.runs };
    }, root);
  }
  return out;
}
