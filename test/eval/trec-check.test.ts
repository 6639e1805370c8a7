/**
 * Our TREC runs and our metrics against pytrec_eval (trec_eval's C code, PyPI
 * pytrec-eval-terrier pinned in python/requirements/trec.txt): MAP, recip_rank, recall@k and
 * ndcg_cut_10 computed by pytrec_eval from the run file we wrote must equal the numbers we
 * computed ourselves, per query and on average, to 1e-6; MRR@10 is compared with recip_rank
 * cut at 10 (pytrec_eval has no cut for it). Cases: the graded BEIR fixture and the MIRACL
 * fixture (grade-0 judgements, a sharded corpus), each with BM25 and with a scorer made of ties,
 * and real XQuAD-R runs (BM25 on three languages in all three settings, the untrained `mini` on
 * two). The Python side comes from scripts/python-env.sh trec; where it
 * cannot be had the test skips, except under CI=true, where that is a failure.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { bm25Scorer } from "../../src/baselines/bm25-dataset.js";
import { bm25CollectionScorer } from "../../src/baselines/bm25-collection.js";
import { initBackend } from "../../src/compute/backend.js";
import type { Collection } from "../../src/data/collection.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { loadCollection } from "../../src/data/load-collection.js";
import { DenseScorer } from "../../src/eval/dense-scorer.js";
import { evaluate } from "../../src/eval/evaluate.js";
import { lareqaSetting, type LareqaSettingName, settingPath, writeSettingQrels } from "../../src/eval/lareqa-runs.js";
import { LareqaRuns } from "../../src/cli/ranked-output.js";
import type { RankedResult } from "../../src/eval/ranked.js";
import { collectionSetting, evaluateCollection } from "../../src/eval/ranked-runs.js";
import { taskFromDataset } from "../../src/eval/task.js";
import type { Scorer } from "../../src/eval/types.js";
import { datasetTexts, encodeDataset } from "../../src/model/encode-dataset.js";
import { loadModel } from "../../src/model/load.js";
import type { RetrievalDataset } from "../../src/data/types.js";
import { loadXlmrTokenizer } from "../../src/tokenize/xlmr-tokenizer.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const FIXTURES = join(ROOT, "test/fixtures/collections");
const NO_PYTREC =
  "pytrec_eval is not available: scripts/python-env.sh trec installs pytrec-eval-terrier (python/requirements/trec.txt) from PyPI into .venv/";

type PyResult = Record<string, Record<string, number>>;

let python: string | null = null;
let work = "";

before(async () => {
  work = await mkdtemp(join(tmpdir(), "trec-check-"));
  try {
    const { stdout } = await promisify(execFile)(join(ROOT, "scripts/python-env.sh"), ["trec"], { cwd: ROOT });
    python = stdout.trim();
    await promisify(execFile)(python, ["-c", "import pytrec_eval"]);
  } catch (err) {
    python = null;
    if (process.env.CI === "true") throw new Error(`${NO_PYTREC}\n${(err as Error).message}`);
  }
});
after(() => rm(work, { recursive: true, force: true }));

async function pytrec(run: string, qrels: string, recallKs: readonly number[]): Promise<PyResult> {
  const script = join(ROOT, "scripts/trec/pytrec_eval_run.py");
  const { stdout } = await promisify(execFile)(python!, [script, run, qrels, recallKs.join(",")], { maxBuffer: 1 << 30 });
  return JSON.parse(stdout) as PyResult;
}

/** Per query and on average, every metric within 1e-6 of pytrec_eval's. */
function assertAgrees(ours: RankedResult, theirs: PyResult, label: string): void {
  const perQuery = ours.perQuery!;
  assert.ok(perQuery.length > 0, `${label}: no query scored`);
  assert.deepEqual(perQuery.map((q) => q.queryId).sort(), Object.keys(theirs).sort(), `${label}: the queries scored differ`);
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-6, `${label}: ${what}: ours ${a}, pytrec_eval ${b}`);
  const sums = { map: 0, rr: 0, rr10: 0, ndcg: 0, recall: ours.recallKs.map(() => 0) };
  for (const q of perQuery) {
    const t = theirs[q.queryId];
    const rr10 = t.recip_rank >= 0.1 - 1e-12 ? t.recip_rank : 0;
    close(q.map, t.map, `${q.queryId} map`);
    close(q.mrr, t.recip_rank, `${q.queryId} recip_rank`);
    close(q.mrr10, rr10, `${q.queryId} recip_rank@10`);
    close(q.ndcg10, t.ndcg_cut_10, `${q.queryId} ndcg_cut_10`);
    ours.recallKs.forEach((k, i) => {
      close(q.recall[String(k)], t[`recall_${k}`], `${q.queryId} recall_${k}`);
      sums.recall[i] += t[`recall_${k}`];
    });
    sums.map += t.map;
    sums.rr += t.recip_rank;
    sums.rr10 += rr10;
    sums.ndcg += t.ndcg_cut_10;
  }
  const n = perQuery.length;
  close(ours.mean!.map, sums.map / n, "MAP");
  close(ours.mean!.mrr, sums.rr / n, "MRR");
  close(ours.mean!.mrr10, sums.rr10 / n, "MRR@10");
  close(ours.mean!.ndcg10, sums.ndcg / n, "nDCG@10");
  ours.recallKs.forEach((k, i) => close(ours.mean!.recall[String(k)], sums.recall[i] / n, `recall@${k}`));
}

async function checkCollection(c: Collection, scorer: Scorer, name: string, depth: number): Promise<RankedResult> {
  const runPath = join(work, `${name}.run`);
  const qrelsPath = join(work, `${name}.qrels`);
  const ours = await evaluateCollection(c, scorer, { depth, runPath, keepPerQuery: true, tag: name });
  writeSettingQrels(qrelsPath, collectionSetting(c), c.queries.length, c.docIds);
  assertAgrees(ours, await pytrec(runPath, qrelsPath, ours.recallKs), name);
  return ours;
}

/** Scores every document of the fixture with one of three values, so most ranks are decided by the tie rule. */
function tieScorer(numQueries: number, numDocs: number): Scorer {
  return {
    numQueries,
    numCandidates: numDocs,
    scoreBlock(start, count, out) {
      for (let i = 0; i < count; i++) for (let d = 0; d < numDocs; d++) out[i * numDocs + d] = ((start + i) * 5 + d * 7) % 3;
    },
  };
}

/** The LAReQA settings' runs from one evaluation pass, as `--run-out` writes them, each checked against pytrec_eval. */
async function checkLareqa(ds: RetrievalDataset, scorer: Scorer, settings: readonly LareqaSettingName[], name: string, depth: number): Promise<void> {
  const task = taskFromDataset(ds);
  const docIds = ds.candidates.map((c) => c.uid);
  const base = join(work, `${name}.trec`);
  const runs = new LareqaRuns(task, docIds, base, settings, depth, name, true);
  await evaluate(task, scorer, { onScores: runs.onScores });
  for (const [setting, ours] of Object.entries(runs.finish())) {
    const qrels = settingPath(join(work, `${name}.qrels`), setting);
    writeSettingQrels(qrels, lareqaSetting(task, setting as LareqaSettingName), task.queryLang.length, docIds);
    assertAgrees(ours, await pytrec(settingPath(base, setting), qrels, ours.recallKs), `${name} ${setting}`);
  }
}

describe("TREC runs scored by pytrec_eval agree with our metrics (1e-6)", () => {
  test("BEIR fixture, graded qrels: BM25, and a scorer of ties", async (t) => {
    if (python === null) return t.skip(NO_PYTREC);
    const c = await loadCollection(join(FIXTURES, "beir-tiny"));
    const tokenizer = await loadXlmrTokenizer();
    const bm25 = await checkCollection(c, await bm25CollectionScorer(c, tokenizer), "beir-bm25", 1000);
    assert.equal(bm25.numQueries, 5);
    assert.ok(bm25.mean!.ndcg10 > 0.5, `BM25 should find most answers of the fixture (nDCG@10 ${bm25.mean!.ndcg10})`);
    // Depth 4 of 12 documents: ties decide which documents make the list at all.
    await checkCollection(c, tieScorer(c.queries.length, c.docIds.length), "beir-ties", 4);
    await checkCollection(c, tieScorer(c.queries.length, c.docIds.length), "beir-ties-full", 1000);
  });

  test("MIRACL fixture, qrels with judged non-relevant (grade 0) documents: BM25, and a scorer of ties", async (t) => {
    if (python === null) return t.skip(NO_PYTREC);
    const c = await loadCollection(join(FIXTURES, "miracl-tiny"));
    assert.deepEqual([c.queries.length, c.docIds.length], [3, 7], "the fixture: 3 topics, 7 passages over plain and gzipped shards");
    const bm25 = await checkCollection(c, await bm25CollectionScorer(c, await loadXlmrTokenizer()), "miracl-bm25", 1000);
    assert.equal(bm25.numQueries, 3);
    assert.ok(bm25.mean!.ndcg10 > 0.5, `BM25 should find most answers of the fixture (nDCG@10 ${bm25.mean!.ndcg10})`);
    // Depth 3 of 7 passages: ties decide which passages make the list at all.
    await checkCollection(c, tieScorer(c.queries.length, c.docIds.length), "miracl-ties", 3);
    await checkCollection(c, tieScorer(c.queries.length, c.docIds.length), "miracl-ties-full", 1000);
  });

  test("XQuAD-R, BM25: mono, cross and multi runs over de, en, zh", async (t) => {
    if (python === null) return t.skip(NO_PYTREC);
    const ds = await loadDataset("xquad-r", { languages: ["de", "en", "zh"] });
    await checkLareqa(ds, bm25Scorer(ds, await loadXlmrTokenizer()), ["mono", "cross", "multi"], "xquad-bm25", 100);
  });

  test("XQuAD-R, the untrained mini encoder: mono and multi runs over en, es (first 150 questions)", async (t) => {
    if (python === null) return t.skip(NO_PYTREC);
    const ds = await loadDataset("xquad-r", { languages: ["en", "es"], maxQuestionIds: 150 });
    await initBackend("auto");
    const { model, queryPrefix, passagePrefix } = await loadModel("mini", {
      corpus: () => datasetTexts(ds),
      seed: 0,
      miniArchitecture: { layers: 2, hidden: 128, heads: 2, intermediate: 256 },
    });
    try {
      const emb = await encodeDataset(model, ds, { queryPrefix, passagePrefix, batchSize: 64 });
      const scorer = new DenseScorer(emb.questions.data, emb.candidates.data, model.dim);
      try {
        await checkLareqa(ds, scorer, ["mono", "multi"], "xquad-mini", 100);
      } finally {
        scorer.dispose();
      }
    } finally {
      model.dispose();
    }
  });
});

test("our run file lists each query's documents in trec_eval's order: score descending, then id descending", async () => {
  const c = await loadCollection(join(FIXTURES, "beir-tiny"));
  const runPath = join(work, "order.run");
  await evaluateCollection(c, tieScorer(c.queries.length, c.docIds.length), { runPath, depth: 1000 });
  const lines = (await readFile(runPath, "utf8")).trim().split("\n").map((l) => l.split(" "));
  assert.equal(lines.length, 5 * 12);
  let ties = 0;
  for (let i = 1; i < lines.length; i++) {
    const [pq, , pd, pr, ps] = lines[i - 1];
    const [q, q0, d, r, s, tag] = lines[i];
    assert.equal(q0, "Q0");
    assert.equal(tag, "hybrid-ir");
    if (q !== pq) {
      assert.equal(r, "1");
      continue;
    }
    assert.equal(Number(r), Number(pr) + 1);
    assert.ok(Number(s) <= Number(ps));
    if (Number(s) === Number(ps)) {
      ties++;
      assert.ok(d < pd, `${q}: tied ${pd} then ${d}`);
    }
  }
  assert.ok(ties > 20);
});
