/**
 * Writes a benchmark's questions and candidates, in dataset order, with their uids, so that a
 * Python encoder (bench/e5/encode_torch.py) can fill the LAReQA embeddings directory that
 * `hybrid-ir evaluate --embeddings DIR` scores:
 *
 *   node dist/bench/e5/dataset-texts.js xquad-r OUT_DIR
 *   → OUT_DIR/{questions,candidates}.txt (one JSON string per line), {question,candidate}_uids.txt
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isDatasetName, loadDataset } from "../../src/data/lareqa.js";

const [name, out] = process.argv.slice(2);
if (!name || !out || !isDatasetName(name)) {
  console.error("usage: node dist/bench/e5/dataset-texts.js <xquad-r|mlqa-r> OUT_DIR");
  process.exit(2);
}
const ds = await loadDataset(name);
await mkdir(out, { recursive: true });
const lines = (xs: readonly string[]) => xs.join("\n") + "\n";
await writeFile(join(out, "questions.txt"), lines(ds.questions.map((q) => JSON.stringify(q.text))));
await writeFile(join(out, "candidates.txt"), lines(ds.candidates.map((c) => JSON.stringify(c.text))));
await writeFile(join(out, "question_uids.txt"), lines(ds.questions.map((q) => q.uid)));
await writeFile(join(out, "candidate_uids.txt"), lines(ds.candidates.map((c) => c.uid)));
console.log(`${out}: ${ds.questions.length} questions, ${ds.candidates.length} candidates`);
