/**
 * Gradient caching on wasm: peak memory and pairs/s of the real training step (src/train/grad-cache.ts:
 * queries of 32 tokens and passages of 128, full length, mean pooling + L2 normalisation, InfoNCE
 * scale 20, dropout 0.1, clipByGlobalNorm(1.0), AdamW) at several batch sizes, plain and grad-cached,
 * for two random-weight models:
 *   - mini: 4 layers × 256, 4 heads, FFN 1024, 32000-token vocabulary (11.5M parameters);
 *   - e5-small: multilingual-e5-small's shape, 12 layers × 384, 12 heads, FFN 1536, with the
 *     vocabulary trimmed to 32000 tokens as `mini`'s is (33M parameters).
 *
 *   node --expose-gc dist/bench/grad-cache.js                       every row below, one child each, then a table
 *   node --expose-gc dist/bench/grad-cache.js --config mini --batch 100 --chunk 16 [--reps N --warmup N]
 *                                                                    one measurement (--chunk 0: plain), one JSON line
 *   options of the table: --configs mini,e5-small --batches 32,100,256 --chunk N (default 16 for
 *   mini, 8 for e5-small) --reps 1 --warmup 0 --out FILE.md
 *
 * wasm32 has 4 GiB of linear memory; a step that outgrows it aborts the wasm module. The table
 * first runs a plain step at batch 8, then each larger batch plain only when the plain step of
 * the largest smaller batch measured predicts that it fits
 * (activation memory grows linearly with the batch), so it reports "does not fit" instead of
 * spending a minute on a certain abort; a step that aborts anyway is caught and reported the same
 * way. Each measurement runs in its own process, so each peak (RSS, wasm heap) is its own.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/compute/backend.js";
import { Encoder, type ForwardOptions } from "../src/model/encoder.js";
import type { EncodedBatch } from "../src/model/inputs.js";
import { randomWeights } from "../src/model/mini.js";
import { l2Normalize, meanPool } from "../src/model/pooling.js";
import { MINI_CONFIG } from "../src/model/presets.js";
import type { EncoderConfig } from "../src/model/types.js";
import { stepGradients, type EmbeddingModel } from "../src/train/grad-cache.js";
import { infoNceLoss } from "../src/train/loss.js";
import { AdamW, clipByGlobalNorm } from "../src/train/optimizer.js";
import { mulberry32, randomInt } from "../src/util/random.js";
import { stderrLogger } from "../src/util/logger.js";

const CONFIGS: Readonly<Record<string, EncoderConfig>> = {
  mini: { ...MINI_CONFIG, vocabSize: 32000 },
  "e5-small": { ...MINI_CONFIG, vocabSize: 32000, hiddenSize: 384, numLayers: 12, numHeads: 12, intermediateSize: 1536 },
};
const QUERY_TOKENS = 32;
const PASSAGE_TOKENS = 128;
const SCALE = 20;
const DROPOUT = 0.1;
const LR = 2e-5;
const WASM_LIMIT_MIB = 4096;
const MiB = 2 ** 20;

function wasmHeapMb(): number | null {
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  return wasm?.HEAPU8 ? Math.round(wasm.HEAPU8.byteLength / MiB) : null;
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const loadAvg = () => Math.round(os.loadavg()[0] * 100) / 100;
const round = (x: number) => Math.round(x * 1000) / 1000;

/** `batch` full-length rows of random ids (no padding, as bench/encoder.ts). */
function randomBatch(config: EncoderConfig, seed: number, batch: number, len: number): EncodedBatch {
  const rand = mulberry32(seed);
  const inputIds = Int32Array.from({ length: batch * len }, () => 3 + randomInt(rand, config.vocabSize - 3));
  return { batch, seqLen: len, inputIds, attentionMask: new Int32Array(batch * len).fill(1), tokenTypeIds: new Int32Array(batch * len) };
}

/** The encoder with mean pooling and L2 normalisation, as `mini`'s sentence-transformers stack. */
function embeddingModel(encoder: Encoder): EmbeddingModel {
  return {
    variables: () => encoder.variables(),
    forward: (batch: EncodedBatch, opts: ForwardOptions) =>
      tf.tidy(() => {
        const shape: [number, number] = [batch.batch, batch.seqLen];
        const mask = tf.tensor2d(batch.attentionMask, shape, "int32");
        const hidden = encoder.forward({ inputIds: tf.tensor2d(batch.inputIds, shape, "int32"), attentionMask: mask }, opts);
        return l2Normalize(meanPool(hidden, mask));
      }),
  };
}

type Json = Record<string, unknown>;

/** One measurement in this process: never throws (a failure is an "error" line). */
async function measure(configName: string, batch: number, chunk: number | null, reps: number, warmup: number): Promise<Json> {
  const config = CONFIGS[configName];
  const head = { bench: "grad-cache", config: configName, batch, chunk, query_tokens: QUERY_TOKENS, passage_tokens: PASSAGE_TOKENS, dropout: DROPOUT };
  const loadBefore = loadAvg();
  let encoder: Encoder | undefined;
  let optimizer: AdamW | undefined;
  let stage = "building the encoder";
  const times: number[] = [];
  const cpu: number[] = [];
  let setupHeap: number | null = null;
  try {
    encoder = Encoder.fromWeights(config, randomWeights(config, 1), { dropout: DROPOUT, scope: "bench" });
    const model = embeddingModel(encoder);
    optimizer = new AdamW(encoder.variables(), { weightDecay: 0.01 });
    const queries = randomBatch(config, 2, batch, QUERY_TOKENS);
    const passages = randomBatch(config, 3, batch, PASSAGE_TOKENS);
    globalThis.gc?.();
    setupHeap = wasmHeapMb();
    for (let i = 0; i < warmup + reps; i++) {
      stage = `training step ${i}`;
      const t = performance.now();
      const c = process.cpuUsage();
      const { value, grads } = stepGradients({ model, queries, passages, loss: (e) => infoNceLoss(e.queries, e.passages, SCALE), seed: i }, chunk);
      const clipped = clipByGlobalNorm(grads, 1.0);
      tf.dispose([grads]);
      optimizer.step(clipped.grads, LR);
      tf.dispose(clipped.grads);
      value.dataSync();
      value.dispose();
      if (i >= warmup) {
        times.push((performance.now() - t) / 1000);
        const used = process.cpuUsage(c);
        cpu.push((used.user + used.system) / 1e6);
      }
    }
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const perStep = mean(times);
    return {
      ...head,
      s_per_step: round(perStep),
      pairs_per_s: round(batch / perStep),
      // wasm runs on one thread: CPU time is what the step costs on an idle core, whatever the load.
      cpu_s_per_step: round(mean(cpu)),
      pairs_per_cpu_s: round(batch / mean(cpu)),
      reps,
      warmup,
      params: encoder.variables().reduce((n, v) => n + v.size, 0),
      setup_wasm_heap_mb: setupHeap,
      wasm_heap_mb: wasmHeapMb(),
      peak_rss_mb: peakRssMb(),
      load_avg_before: loadBefore,
      load_avg: loadAvg(),
    };
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const heap = wasmHeapMb();
    return {
      ...head,
      error: `${stage}: ${message.split("\n")[0].slice(0, 200)}`,
      out_of_memory: heap !== null && heap >= WASM_LIMIT_MIB - 1,
      setup_wasm_heap_mb: setupHeap,
      wasm_heap_mb: heap,
      peak_rss_mb: peakRssMb(),
      load_avg: loadAvg(),
    };
  } finally {
    try {
      optimizer?.dispose();
      encoder?.dispose();
    } catch {
      // after an abort the backend is unusable; the line is what matters
    }
  }
}

/** Runs one measurement in a child process; a crash (wasm abort) becomes an error line. */
function child(args: string[], timeoutS: number): Promise<Json | null> {
  return new Promise((resolve) => {
    const script = fileURLToPath(import.meta.url);
    console.error(`$ node ${["grad-cache.js", ...args].join(" ")}   (load ${loadAvg()})`);
    const p = spawn(process.execPath, ["--expose-gc", script, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => p.kill("SIGKILL"), timeoutS * 1000);
    p.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line !== undefined) resolve(JSON.parse(line) as Json);
      else resolve({ error: signal === "SIGKILL" ? `timed out after ${timeoutS} s` : `exit ${code ?? signal}` });
    });
  });
}

/**
 * The wasm heap a plain step at `batch` would need, from a measured plain step at a smaller batch:
 * the heap after set-up (weights, inputs) plus activations scaled linearly with the batch.
 */
function predictHeapMb(measured: Json, batch: number): number | null {
  const setup = measured.setup_wasm_heap_mb;
  const peak = measured.wasm_heap_mb;
  if (typeof setup !== "number" || typeof peak !== "number" || typeof measured.batch !== "number") return null;
  // Adam's moments (2 × the weights) appear during the first step: count them as fixed.
  return setup + (peak - setup) * (batch / measured.batch);
}

function cell(r: Json): string {
  if (typeof r.skipped === "string") return r.skipped;
  if (typeof r.error === "string") return r.out_of_memory === true ? `does not fit (aborted at ${String(r.wasm_heap_mb)} MiB)` : `error: ${r.error}`;
  return (
    `${(r.pairs_per_cpu_s as number).toFixed(2)} pairs/CPU-s (${(r.cpu_s_per_step as number).toFixed(1)} CPU-s/step); ` +
    `${(r.pairs_per_s as number).toFixed(2)} pairs/s wall (${(r.s_per_step as number).toFixed(1)} s/step), n=${String(r.reps)}`
  );
}

/** Chunk sizes whose grad-cached step stays well inside 4 GiB at any batch (e5-small's activations are ~4.5× mini's per token). */
const DEFAULT_CHUNK: Readonly<Record<string, number>> = { mini: 16, "e5-small": 8 };
/** A plain step this small fits for both models; it calibrates the prediction for the larger ones. */
const CALIBRATION_BATCH = 8;

async function table(configs: string[], batches: number[], chunkFlag: number | null, reps: number, warmup: number, out: string | undefined): Promise<void> {
  const started = new Date();
  const loadStart = loadAvg();
  const rows: { config: string; batch: number; chunk: number; plain: Json; cached: Json }[] = [];
  const timeout = 3600;
  for (const config of configs) {
    const chunk = chunkFlag ?? DEFAULT_CHUNK[config];
    const calibration = (await child(["--config", config, "--batch", String(CALIBRATION_BATCH), "--chunk", "0", "--reps", "1", "--warmup", "0"], timeout)) ?? { error: "no result" };
    console.log(JSON.stringify(calibration));
    rows.push({ config, batch: CALIBRATION_BATCH, chunk, plain: calibration, cached: { skipped: "not run (calibration row)" } });
    let lastPlain: Json | null = typeof calibration.error === "string" ? null : calibration;
    for (const batch of batches) {
      const common = ["--config", config, "--batch", String(batch), "--reps", String(reps), "--warmup", String(warmup)];
      let plain: Json;
      const predicted = lastPlain === null ? null : predictHeapMb(lastPlain, batch);
      if (predicted !== null && predicted > WASM_LIMIT_MIB) {
        plain = { bench: "grad-cache", config, batch, chunk: null, skipped: `does not fit (predicted ${Math.round(predicted)} MiB of wasm heap from batch ${String(lastPlain!.batch)})`, predicted_heap_mb: Math.round(predicted) };
      } else if (lastPlain !== null && typeof lastPlain.error === "string") {
        plain = { bench: "grad-cache", config, batch, chunk: null, skipped: `does not fit (batch ${String(lastPlain.batch)} already did not)` };
      } else {
        plain = (await child([...common, "--chunk", "0"], timeout)) ?? { error: "no result" };
        lastPlain = plain;
      }
      console.log(JSON.stringify(plain));
      const cached = (await child([...common, "--chunk", String(chunk)], timeout)) ?? { error: "no result" };
      console.log(JSON.stringify(cached));
      rows.push({ config, batch, chunk, plain, cached });
    }
  }
  const lines = [
    `## Gradient caching on wasm, ${started.toISOString()}`,
    "",
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; node ${process.version}; load average (1 min) ${loadStart} at start, ${loadAvg()} at end.`,
    `Step: ${QUERY_TOKENS}-token queries and ${PASSAGE_TOKENS}-token passages (full length), mean pooling, InfoNCE scale ${SCALE}, dropout ${DROPOUT}, clip 1.0, AdamW; ${reps} timed step(s) after ${warmup} warm-up per cell.`,
    `CPU-s: user + system CPU time of the step (wasm runs on one thread, so this is the step's cost on an idle core); wall time depends on the load.`,
    "",
    "| model | batch | plain step | peak wasm heap / RSS (plain) | grad cache (chunk) | peak wasm heap / RSS (grad cache) | CPU time grad cache / plain | load avg plain / grad cache |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const { config, batch, chunk, plain, cached } of rows) {
    const mem = (r: Json) => (typeof r.wasm_heap_mb === "number" ? `${String(r.wasm_heap_mb)} MiB / ${String(r.peak_rss_mb)} MB` : "—");
    const ratio = typeof plain.cpu_s_per_step === "number" && typeof cached.cpu_s_per_step === "number" ? `${(cached.cpu_s_per_step / plain.cpu_s_per_step).toFixed(2)}×` : "—";
    const load = (r: Json) => (typeof r.load_avg === "number" ? r.load_avg.toFixed(2) : "—");
    lines.push(`| ${config} | ${batch} | ${cell(plain)} | ${mem(plain)} | ${cell(cached)}${typeof cached.skipped === "string" ? "" : ` (${chunk})`} | ${mem(cached)} | ${ratio} | ${load(plain)} / ${load(cached)} |`);
  }
  const text = lines.join("\n");
  console.log(`\n${text}`);
  if (out !== undefined) writeFileSync(out, `${text}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: "string" },
      batch: { type: "string" },
      chunk: { type: "string" },
      reps: { type: "string", default: "1" },
      warmup: { type: "string", default: "0" },
      configs: { type: "string", default: "mini,e5-small" },
      batches: { type: "string", default: "32,100,256" },
      out: { type: "string" },
    },
  });
  const positive = (name: string, text: string, min = 1): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: '${text}' is not an integer ≥ ${min}`);
    return n;
  };
  const chunk = values.chunk === undefined ? null : positive("chunk", values.chunk, 0);
  if (values.config === undefined) {
    const configs = values.configs.split(",");
    for (const c of configs) if (!(c in CONFIGS)) throw new Error(`--configs: '${c}' is not one of: ${Object.keys(CONFIGS).join(", ")}`);
    const batches = values.batches.split(",").map((b) => positive("batches", b));
    await table(configs, batches, chunk === 0 ? null : chunk, positive("reps", values.reps), positive("warmup", values.warmup, 0), values.out);
    return;
  }
  if (!(values.config in CONFIGS)) throw new Error(`--config: '${values.config}' is not one of: ${Object.keys(CONFIGS).join(", ")}`);
  await initBackend("wasm", stderrLogger());
  const line = await measure(values.config, positive("batch", values.batch ?? ""), chunk === 0 || chunk === null ? null : chunk, positive("reps", values.reps), positive("warmup", values.warmup, 0));
  console.log(JSON.stringify(line));
}

await main();
