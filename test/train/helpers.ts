/** Shared fixtures for the tests that train: a tiny run config, its training data, and checkpoint weights. */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { initBackend } from "../../src/compute/backend.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { readSafetensors } from "../../src/model/safetensors.js";
import { resolveRunConfig, type RunConfig } from "../../src/train/config.js";
import { writeTrainingJsonl } from "../../src/train-data/format.js";
import { fromRetrievalDataset } from "../../src/train-data/from-squad.js";
import { silentLogger } from "../../src/util/logger.js";

/**
 * A run small enough for a unit test: `mini` cut to one 64-wide layer, two MLQA-R languages of
 * 80 question ids (160 records, ~60 groups to train on after the validation split), batches of 8.
 * So little data is memorised within an epoch or two; at lr 1e-3 the validation loss still falls
 * steadily over the first 30 steps. `dir` holds train.jsonl ({@link trainingWorkspace}).
 */
export function tinyConfig(dir: string, overrides: Record<string, unknown> = {}): RunConfig {
  return resolveRunConfig(
    {
      model: { ref: "mini", seed: 1, mini: { layers: 1, hidden: 64, heads: 2, intermediate: 128 } },
      data: { train: "train.jsonl", validationFraction: 0.25 },
      sampler: { name: "hybrid", batchSize: 8, seed: 3 },
      optim: { lr: 1e-3, warmupSteps: 2 },
      steps: 30,
      logEvery: 5,
      validateEvery: 10,
      checkpointEvery: 10,
      validationBatches: 4,
      eval: null,
      backend: "wasm",
      outputDir: "run",
      ...overrides,
    },
    join(dir, "config.json"),
    {},
    dir,
  );
}

/** train() options for a test: no log lines, no progress bar. */
export const quiet = { logger: silentLogger, progress: false };

/**
 * Inside a describe(): the wasm backend, and a temporary directory holding train.jsonl (for
 * {@link tinyConfig}), removed afterwards.
 */
export function trainingWorkspace(prefix: string): () => string {
  let dir = "";
  before(async () => {
    await initBackend("wasm");
    dir = await mkdtemp(join(tmpdir(), prefix));
    const ds = await loadDataset("mlqa-r", { languages: ["de", "en"], maxQuestionIds: 80 });
    await writeTrainingJsonl(join(dir, "train.jsonl"), fromRetrievalDataset(ds));
  });
  after(async () => rm(dir, { recursive: true, force: true }));
  return () => dir;
}

/** The encoder weights of a run's checkpoint, by tensor name. */
export async function weightsOf(runDir: string, checkpoint = "last"): Promise<Map<string, Float32Array>> {
  const { tensors } = await readSafetensors(join(runDir, "checkpoints", checkpoint, "model.safetensors"));
  return new Map([...tensors].map(([name, t]) => [name, t.data]));
}

export function maxAbsDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  let max = 0;
  for (const [name, x] of a) {
    const y = b.get(name)!;
    for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  }
  return max;
}
