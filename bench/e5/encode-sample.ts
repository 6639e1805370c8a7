/**
 * e5-small encoding speed on real XQuAD-R texts: every k-th question and candidate (`--sample N`
 * texts in all, default 256, so lengths and languages are as in the full set), with the preset's
 * prefixes and limits (64 / 256 tokens), through `loadModel("e5-small")` on wasm. One JSON line:
 * sentences/s, the projected time for all 26,104 texts, peak RSS. `--write-texts DIR` also writes
 * the same sample in bench/e5/dataset-texts.ts's layout, for bench/e5/encode_torch.py. Batch 8 by
 * default, as in the first measurements (bench/results/2026-12-04-e5-small-zero-shot.md); batch 32
 * works since the encoder frees each layer's intermediates (it aborted the wasm backend before).
 * Needs the model in the cache (`hybrid-ir fetch e5-small`); prints {"skipped": …} otherwise.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { initBackend } from "../../src/compute/backend.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { loadModel } from "../../src/model/load.js";
import { silentLogger } from "../../src/util/logger.js";

const { values } = parseArgs({ options: { sample: { type: "string", default: "256" }, "write-texts": { type: "string" }, "batch-size": { type: "string", default: "8" } } });
const n = Number(values.sample);
const ds = await loadDataset("xquad-r");
const total = ds.questions.length + ds.candidates.length;
const every = <T>(xs: readonly T[], k: number) => xs.filter((_, i) => i % Math.max(1, Math.floor(xs.length / k)) === 0).slice(0, k);
const nq = Math.round((n * ds.questions.length) / total);
const questions = every(ds.questions, nq);
const candidates = every(ds.candidates, n - nq);

if (values["write-texts"]) {
  const dir = values["write-texts"];
  await mkdir(dir, { recursive: true });
  const lines = (xs: readonly string[]) => xs.join("\n") + "\n";
  await writeFile(join(dir, "questions.txt"), lines(questions.map((q) => JSON.stringify(q.text))));
  await writeFile(join(dir, "candidates.txt"), lines(candidates.map((c) => JSON.stringify(c.text))));
  await writeFile(join(dir, "question_uids.txt"), lines(questions.map((q) => q.uid)));
  await writeFile(join(dir, "candidate_uids.txt"), lines(candidates.map((c) => c.uid)));
}

const backend = await initBackend("wasm", silentLogger);
let loaded;
try {
  loaded = await loadModel("e5-small", { hub: { offline: true } });
} catch (err) {
  console.log(JSON.stringify({ bench: "e5-small", impl: "tfjs-wasm", skipped: `e5-small is not in the cache: run \`npx hybrid-ir fetch e5-small\` (${(err as Error).message.split("\n")[0]})` }));
  process.exit(0);
}
const { model, queryPrefix, passagePrefix } = loaded;
const batchSize = Number(values["batch-size"]);
const t0 = performance.now();
await model.embed(questions.map((q) => ({ text: q.text })), { batchSize, maxLength: 64, prefix: queryPrefix });
await model.embed(candidates.map((c) => ({ text: c.text })), { batchSize, maxLength: 256, prefix: passagePrefix });
const seconds = (performance.now() - t0) / 1000;
const rate = (questions.length + candidates.length) / seconds;
console.log(
  JSON.stringify({
    bench: "e5-small",
    impl: "tfjs-wasm",
    backend,
    texts: questions.length + candidates.length,
    seconds: Number(seconds.toFixed(1)),
    throughput: Number(rate.toFixed(2)),
    unit: "sentences/s",
    projected_full_xquad_r_min: Number((total / rate / 60).toFixed(1)),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
model.dispose();
