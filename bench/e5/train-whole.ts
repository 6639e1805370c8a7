/**
 * Whole e5-small training on wasm (every layer and the embeddings, the paper's set-up) through the
 * trainer itself: the pretrained preset's run (configs/pretrained-e5.json) without `trainLayers`
 * or `forwardChunk`, at the shape (batch 32, queries ≤ 32 tokens, passages ≤ 128) in
 * grad-cache chunks of 8. The run stops after `--steps` optimiser steps (default 3; no
 * validation, one checkpoint at the stop) and prints one JSON line: the word-embedding rows the run trains,
 * s/step, peak RSS and peak wasm heap.
 *
 *   node dist/bench/e5/train-whole.js [--steps 3] [--whole-vocabulary] [--out DIR]
 *
 * `--whole-vocabulary` trains the whole 250k-row table instead of the rows the run's texts use
 * (model/training-vocabulary.ts); that aborted past wasm's 4 GiB when measured, reported as a line
 * with "error" (exit status 1). Run it as its own process: an aborted wasm module is unusable.
 * Needs the model in the cache (`hybrid-ir fetch e5-small`); prints {"skipped": …} otherwise.
 */
import { readFile, rm } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { describeMatMul } from "../../src/compute/blas.js";
import { resolveRunConfig } from "../../src/train/config.js";
import { train } from "../../src/train/trainer.js";
import { recordingLogger } from "../../src/util/logger.js";

const { values } = parseArgs({
  options: { steps: { type: "string", default: "3" }, "whole-vocabulary": { type: "boolean", default: false }, out: { type: "string" } },
});
const steps = Number(values.steps);
const root = join(import.meta.dirname, "../../..");
const preset = JSON.parse(await readFile(join(root, "configs/pretrained-e5.json"), "utf8")) as Record<string, unknown> & { model: Record<string, unknown> };
const { trainLayers: _frozen, ...model } = preset.model;
const outputDir = values.out ?? join(os.tmpdir(), `hybrid-ir-e5-whole-${process.pid}`);
const config = resolveRunConfig(
  {
    ...preset,
    comment: "bench/e5/train-whole.ts",
    model,
    forwardChunk: null,
    gradCache: { chunkSize: 8 },
    maxQueryLength: 32,
    maxPassageLength: 128,
    steps: 300,
    validateEvery: 0,
    earlyStopping: { patience: 0 },
    checkpointEvery: 0,
    outputDir,
  },
  join(root, "configs/pretrained-e5.json"),
);

let peakHeap = 0;
const heapMb = () => {
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  return wasm?.HEAPU8 ? Math.round(wasm.HEAPU8.byteLength / 2 ** 20) : 0;
};
const logger = recordingLogger("info");
const controller = new AbortController();
const times: number[] = [];
let last = performance.now();
try {
  const started = performance.now();
  const result = await train(config, {
    logger,
    progress: false,
    signal: controller.signal,
    vocabularyCut: values["whole-vocabulary"] ? "never" : "auto",
    onStep: ({ step }) => {
      const now = performance.now();
      times.push((now - last) / 1000);
      last = now;
      peakHeap = Math.max(peakHeap, heapMb());
      if (step >= steps) controller.abort();
    },
  });
  const messages = logger.records.map((r) => r.message);
  const rows = /^vocabulary: training the (\d+) of (\d+)/.exec(messages.find((m) => m.startsWith("vocabulary: ")) ?? "");
  console.log(
    JSON.stringify({
      bench: "e5-small whole training",
      matmul: describeMatMul(),
      status: result.status,
      steps: result.step,
      batch: config.sampler.batchSize,
      gradCacheChunk: 8,
      maxQueryLength: 32,
      maxPassageLength: 128,
      rowsTrained: rows === null ? null : Number(rows[1]),
      vocabulary: rows === null ? null : Number(rows[2]),
      // The first step's time includes its checkpoint's and the setup's last parts; later ones are steady.
      secondsPerStep: times.map((t) => Math.round(t * 10) / 10),
      wallSeconds: Math.round((performance.now() - started) / 100) / 10,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      peakWasmHeapMb: peakHeap,
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    }),
  );
} catch (err) {
  const message = (err as Error).message;
  if (/e5-small|HubError|fetch/.test(message) && /cache|offline|hub/i.test(message)) {
    console.log(JSON.stringify({ skipped: message.split("\n")[0] }));
  } else {
    // wasm past 4 GiB ("memory access out of bounds"), among others: a result line, not a stack.
    console.log(JSON.stringify({ bench: "e5-small whole training", error: `${(err as Error).name}: ${message}`, stepsDone: times.length, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
    process.exitCode = 1;
  }
} finally {
  if (values.out === undefined) await rm(outputDir, { recursive: true, force: true });
}
