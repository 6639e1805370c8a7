/**
 * Embedding throughput of `SentenceEncoder.embed` on 1 thread and on N worker threads
 * (`src/model/embed-pool.ts`): batches of 32 real XQuAD-R paragraphs cut to 64 tokens (so every
 * row is full length, as in bench/encoder.ts and torch_bench.py), for `--model mini` (the preset,
 * vocabulary trimmed to these texts) or `--model e5-small` (from the cache; a "skipped" line when
 * `hybrid-ir fetch e5-small` has not run). One JSON line per thread count: sentences/s over the
 * timed call, the pool's start-up apart (`start_s`), the CPU time it took (`cpu_s`, all threads;
 * `cores_busy` = CPU time / wall time), and whether the embeddings equal the one-thread ones bit
 * for bit.
 *
 *   node dist/bench/embed-threads.js --model mini --threads 1,2 --batches 12
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { initBackend } from "../src/compute/backend.js";
import { loadDataset } from "../src/data/lareqa.js";
import { withEmbedPool } from "../src/model/embed-pool.js";
import type { TextInput } from "../src/model/inputs.js";
import { loadModel } from "../src/model/load.js";
import { silentLogger } from "../src/util/logger.js";

const BATCH = 32;
const TOKENS = 64;

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "mini" },
    threads: { type: "string", default: "1,2" },
    batches: { type: "string", default: "12" },
  },
});
const modelName = values.model;
if (modelName !== "mini" && modelName !== "e5-small") throw new Error(`--model: '${modelName}' is not mini or e5-small`);
const threadCounts = values.threads.split(",").map(Number);
if (threadCounts.some((t) => !Number.isInteger(t) || t < 1)) throw new Error(`--threads: '${values.threads}' is not a list of positive integers`);
const batches = Number(values.batches);

const loadAvg = (): number => Math.round(os.loadavg()[0] * 100) / 100;
const head = { bench: "embed-threads", impl: "tfjs-wasm", model: modelName, batch: BATCH, tokens: TOKENS };

const ds = await loadDataset("xquad-r");
const paragraphs = [...new Set(ds.candidates.map((c) => c.context))];
// Every k-th paragraph, so languages mix as in the whole set.
const step = Math.max(1, Math.floor(paragraphs.length / (batches * BATCH)));
const texts: TextInput[] = paragraphs.filter((_, i) => i % step === 0).slice(0, batches * BATCH).map((text) => ({ text }));
const backend = await initBackend("wasm", silentLogger);
let loaded;
try {
  loaded = await loadModel(modelName, { corpus: () => texts.map((t) => t.text), seed: 0, hub: { offline: true } });
} catch (err) {
  console.log(JSON.stringify({ ...head, skipped: `${modelName} is not in the cache: run \`npx hybrid-ir fetch ${modelName}\` (${(err as Error).message.split("\n")[0]})` }));
  process.exit(0);
}
const { model } = loaded;
const options = { batchSize: BATCH, maxLength: TOKENS };
let reference: Float32Array | undefined;
for (const threads of threadCounts) {
  const loadBefore = loadAvg();
  const t0 = performance.now();
  const { data, seconds, cpuS, startS } = await withEmbedPool(model, threads, async (pool) => {
    const startS = (performance.now() - t0) / 1000;
    const embed = (inputs: TextInput[]) => (pool ? pool.embed(inputs, options) : model.embed(inputs, { ...options, threads: 1 }));
    // Two untimed batches per worker (the pool sends each two ahead), so every worker has run
    // its kernels once before the clock starts.
    await embed(texts.slice(0, 2 * threads * BATCH));
    const t = performance.now();
    const cpu = process.cpuUsage(); // the whole process: the workers' threads included
    const data = await embed(texts);
    const used = process.cpuUsage(cpu);
    return { data, seconds: (performance.now() - t) / 1000, cpuS: (used.user + used.system) / 1e6, startS };
  });
  reference ??= data;
  const a = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const b = new Uint32Array(reference.buffer, reference.byteOffset, reference.length);
  console.log(
    JSON.stringify({
      ...head,
      backend,
      threads,
      texts: texts.length,
      reps: texts.length / BATCH,
      seconds: Number(seconds.toFixed(2)),
      per_batch_s: Number(((seconds * BATCH) / texts.length).toFixed(3)),
      throughput: Number((texts.length / seconds).toFixed(2)),
      unit: "sentences/s",
      start_s: Number(startS.toFixed(2)),
      // CPU-seconds over wall seconds: about the thread count when the workers really run side by
      // side, whatever else loads the machine.
      cpu_s: Number(cpuS.toFixed(2)),
      cores_busy: Number((cpuS / seconds).toFixed(2)),
      identical_to_first: a.every((x, i) => x === b[i]),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      load_avg: [loadBefore, loadAvg()],
    }),
  );
}
model.dispose();
