/**
 * LAReQA exported to BEIR layout and read back scores identically: same queries, documents and
 * judgements, the same BM25 metrics and byte-identical TREC runs, which also equal the multi
 * setting's run taken from the LAReQA protocol's own pass (what `--run-out` writes).
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { bm25CollectionScorer } from "../../src/baselines/bm25-collection.js";
import { bm25Scorer } from "../../src/baselines/bm25-dataset.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { collectionFromDataset, writeBeirCollection } from "../../src/data/lareqa-collection.js";
import { loadCollection } from "../../src/data/load-collection.js";
import { evaluate } from "../../src/eval/evaluate.js";
import { lareqaSetting } from "../../src/eval/lareqa-runs.js";
import { evaluateCollection, RankedRun } from "../../src/eval/ranked-runs.js";
import { TrecRanker } from "../../src/eval/ranking.js";
import { taskFromDataset } from "../../src/eval/task.js";
import { loadXlmrTokenizer } from "../../src/tokenize/xlmr-tokenizer.js";

test("XQuAD-R (en, es) → BEIR layout → read back: identical collection, metrics and runs", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "lareqa-beir-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ds = await loadDataset("xquad-r", { languages: ["en", "es"] });
  const original = collectionFromDataset(ds);
  await writeBeirCollection(dir, original);
  const back = await loadCollection(dir);
  assert.equal(back.layout, "beir");
  assert.deepEqual(back.queries, original.queries);
  assert.deepEqual(back.docIds, original.docIds);
  assert.deepEqual(back.judged, original.judged);
  assert.equal(back.queries.length, 2 * 1190);

  const tokenizer = await loadXlmrTokenizer();
  const a = await evaluateCollection(original, await bm25CollectionScorer(original, tokenizer), { runPath: join(dir, "a.run"), keepPerQuery: true });
  const b = await evaluateCollection(back, await bm25CollectionScorer(back, tokenizer), { runPath: join(dir, "b.run"), keepPerQuery: true });
  assert.deepEqual(b, a);
  assert.ok(a.mean!.ndcg10 > 0.2 && a.numQueries === 2380, `BM25 on XQuAD-R en+es: ${JSON.stringify(a.mean)}`);
  const runA = await readFile(join(dir, "a.run"), "utf8");
  assert.equal(await readFile(join(dir, "b.run"), "utf8"), runA);

  // The multi-setting run of the protocol's pass: same ranking, same file, same numbers.
  const task = taskFromDataset(ds);
  const docIds = ds.candidates.map((c) => c.uid);
  const multi = new RankedRun(lareqaSetting(task, "multi"), new TrecRanker(docIds), docIds, { runPath: join(dir, "multi.run"), keepPerQuery: true });
  await evaluate(task, bm25Scorer(ds, tokenizer), { onScores: (q, block, offset) => multi.add(q, block, offset) });
  assert.deepEqual(multi.finish(), a);
  assert.equal(await readFile(join(dir, "multi.run"), "utf8"), runA);
});
