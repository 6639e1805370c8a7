/**
 * Ranked evaluation over a scorer (`ranked-runs.ts`): the run written and the metrics returned
 * come from one ranking; settings that rank a subset, several ranked queries per score row and
 * queries with nothing relevant; score rows read block by block; failures leave no run behind.
 * On the graded BEIR fixture with scorers whose rankings can be written down by hand.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import type { Collection } from "../../src/data/collection.js";
import { loadCollection } from "../../src/data/load-collection.js";
import { collectionSetting, evaluateCollection, RankedRun, type RankedSetting } from "../../src/eval/ranked-runs.js";
import { TrecRanker } from "../../src/eval/ranking.js";
import type { Scorer } from "../../src/eval/types.js";

const BEIR_TINY = fileURLToPath(new URL("../../../test/fixtures/collections/beir-tiny", import.meta.url));

let dir = "";
let beir: Collection;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "hybrid-ir-ranked-runs-"));
  beir = await loadCollection(BEIR_TINY);
});
after(() => rm(dir, { recursive: true, force: true }));

/** Scores each document by its judged grade for the query, -1 when unjudged: a ranking by grade, ties by id. */
function gradeScorer(c: Collection): Scorer {
  const n = c.docIds.length;
  return {
    numQueries: c.queries.length,
    numCandidates: n,
    scoreBlock(start, count, out) {
      for (let i = 0; i < count; i++) for (let d = 0; d < n; d++) out[i * n + d] = c.judged[start + i].get(d) ?? -1;
    },
  };
}

const runLines = async (path: string): Promise<string[]> => (await readFile(path, "utf8")).trim().split("\n");

describe("evaluateCollection", () => {
  test("the run file and the metrics come from the same depth-3 ranking (graded BEIR fixture)", async () => {
    const runPath = join(dir, "grades.run");
    const result = await evaluateCollection(beir, gradeScorer(beir), { depth: 3, runPath, tag: "grades", keepPerQuery: true });
    assert.deepEqual(await runLines(runPath), [
      // q1: d05 and d02 tie at grade 2: the greater id first.
      "q1 Q0 d05 1 2 grades",
      "q1 Q0 d02 2 2 grades",
      "q1 Q0 d01 3 1 grades",
      // q2: d04 (grade 1) loses the three-way tie and falls outside the depth.
      "q2 Q0 d03 1 2 grades",
      "q2 Q0 d11 2 1 grades",
      "q2 Q0 d09 3 1 grades",
      "q3 Q0 d07 1 2 grades",
      "q3 Q0 d06 2 1 grades",
      "q3 Q0 d08 3 0 grades",
      // q4: two judged documents, then the greatest unjudged id.
      "q4 Q0 d09 1 2 grades",
      "q4 Q0 d10 2 1 grades",
      "q4 Q0 d12 3 -1 grades",
      "q5 Q0 d01 1 2 grades",
      "q5 Q0 d12 2 1 grades",
      "q5 Q0 d02 3 0 grades",
    ]);
    assert.equal(result.depth, 3);
    assert.deepEqual(result.recallKs, [1], "the default recall ks cut at the depth");
    assert.deepEqual([result.numDocuments, result.numQueries, result.skippedQueries], [12, 5, 0]);
    const q2 = result.perQuery!.find((q) => q.queryId === "q2")!;
    // Four relevant, three retrieved at ranks 1-3, d04 missed.
    assert.equal(q2.numRelevant, 4);
    assert.equal(q2.map, 3 / 4);
    assert.equal(q2.recall["1"], 1 / 4);
    const idcg = 2 + 1 / Math.log2(3) + 1 / Math.log2(4) + 1 / Math.log2(5);
    assert.ok(Math.abs(q2.ndcg10 - (2 + 1 / Math.log2(3) + 1 / Math.log2(4)) / idcg) < 1e-12);
    for (const q of result.perQuery!.filter((x) => x.queryId !== "q2")) assert.equal(q.map, 1, q.queryId);
    assert.ok(Math.abs(result.mean!.map - (4 + 3 / 4) / 5) < 1e-12);
    assert.equal(result.mean!.mrr, 1);
    assert.ok(Math.abs(result.mean!.recall["1"] - (1 / 3 + 1 / 4 + 1 / 2 + 1 / 2 + 1 / 2) / 5) < 1e-12);
  });

  test("without a run path nothing is written and the default depth is 1000", async () => {
    const result = await evaluateCollection(beir, gradeScorer(beir));
    assert.equal(result.depth, 1000);
    assert.deepEqual(result.recallKs, [1, 5, 10, 100]);
    assert.equal(result.perQuery, undefined);
    // Every relevant document is retrieved at full depth, in grade order.
    assert.deepEqual({ map: result.mean!.map, ndcg10: result.mean!.ndcg10, recall100: result.mean!.recall["100"] }, { map: 1, ndcg10: 1, recall100: 1 });
  });

  test("reads score rows block by block, each row at its own offset", async () => {
    // 1500 queries over three documents: blocks of 1024 and 476 rows; query q's one relevant document is q mod 3.
    const numQueries = 1500;
    const c: Collection = {
      name: "blocks",
      layout: "beir",
      split: "test",
      queries: Array.from({ length: numQueries }, (_, q) => ({ id: `q${q}`, text: "" })),
      judged: Array.from({ length: numQueries }, (_, q) => new Map([[q % 3, 1]])),
      docIds: ["a", "b", "c"],
      corpusChecksum: "",
      documents: async function* () {},
    };
    const blocks: [number, number][] = [];
    const scorer: Scorer = {
      numQueries,
      numCandidates: 3,
      async scoreBlock(start, count, out) {
        blocks.push([start, count]);
        for (let i = 0; i < count; i++) for (let d = 0; d < 3; d++) out[i * 3 + d] = d === (start + i) % 3 ? 1 : 0;
      },
    };
    const progress: [number, number][] = [];
    const result = await evaluateCollection(c, scorer, { depth: 1, onProgress: (done, total) => progress.push([done, total]) });
    assert.deepEqual(blocks, [[0, 1024], [1024, 476]]);
    assert.deepEqual(progress, [[1024, 1500], [1500, 1500]]);
    assert.equal(result.numQueries, 1500);
    assert.equal(result.mean!.mrr, 1, "every row ranked its own relevant document first");
  });

  test("a scorer of the wrong shape is refused, naming both shapes", async () => {
    const scorer = { ...gradeScorer(beir), numCandidates: 11 };
    await assert.rejects(evaluateCollection(beir, scorer), { message: "scorer is 5 × 11 but beir-tiny has 5 queries × 12 documents" });
  });

  test("a scorer that fails part way leaves no run file", async () => {
    const runPath = join(dir, "failed.run");
    const scorer: Scorer = {
      numQueries: beir.queries.length,
      numCandidates: beir.docIds.length,
      scoreBlock: () => {
        throw new Error("the backend went away");
      },
    };
    await assert.rejects(evaluateCollection(beir, scorer, { runPath }), /the backend went away/);
    assert.equal(existsSync(runPath), false);
    assert.equal(existsSync(`${runPath}.${process.pid}.tmp`), false);
  });
});

describe("collectionSetting", () => {
  test("one ranked query per collection query, over the whole corpus, with its judgements", () => {
    const setting = collectionSetting(beir);
    assert.equal(setting.name, "beir-tiny");
    const [q3, ...rest] = setting.queriesOf(2);
    assert.equal(rest.length, 0);
    assert.equal(q3.id, "q3");
    assert.equal(q3.subset, undefined);
    assert.equal(q3.judged, beir.judged[2]);
  });
});

describe("RankedRun", () => {
  // Score row 0 yields two ranked queries over disjoint subsets and one with nothing relevant.
  const docIds = ["a", "b", "c", "d"];
  const setting: RankedSetting = {
    name: "split",
    queriesOf: (q) => [
      { id: `r${q}>left`, subset: Int32Array.from([0, 1]), judged: new Map([[1, 1]]) },
      { id: `r${q}>right`, subset: Int32Array.from([2, 3]), judged: new Map([[2, 1], [3, 1]]) },
      { id: `r${q}>none`, subset: Int32Array.from([0]), judged: new Map([[0, 0]]) },
    ],
  };

  test("ranks each ranked query within its subset, skips (and does not write) one with nothing relevant", async () => {
    const runPath = join(dir, "split.run");
    const run = new RankedRun(setting, new TrecRanker(docIds), docIds, { depth: 1, runPath, keepPerQuery: true });
    // Two rows in one block; row 1 sits at offset 4.
    const block = Float32Array.from([4, 3, 2, 1, 1, 2, 3, 4]);
    run.add(0, block, 0);
    run.add(1, block, 4);
    const result = run.finish();
    assert.deepEqual(await runLines(runPath), [
      "r0>left Q0 a 1 4 hybrid-ir",
      "r0>right Q0 c 1 2 hybrid-ir",
      "r1>left Q0 b 1 2 hybrid-ir",
      "r1>right Q0 d 1 4 hybrid-ir",
    ]);
    assert.deepEqual([result.numQueries, result.skippedQueries, result.numDocuments], [4, 2, 4]);
    assert.deepEqual(
      result.perQuery!.map((q) => [q.queryId, q.map]),
      [
        ["r0>left", 0],
        ["r0>right", 1 / 2],
        ["r1>left", 1],
        ["r1>right", 1 / 2],
      ],
    );
  });

  test("recall ks are deduplicated and sorted, and must lie within the depth", () => {
    const ranker = new TrecRanker(docIds);
    assert.deepEqual(new RankedRun(setting, ranker, docIds, { depth: 10, recallKs: [10, 1, 10] }).finish().recallKs, [1, 10]);
    assert.deepEqual(new RankedRun(setting, ranker, docIds, { depth: 7 }).finish().recallKs, [1, 5]);
    assert.throws(() => new RankedRun(setting, ranker, docIds, { depth: 5, recallKs: [10] }), /recall@10 needs a whole k in \[1, depth 5\]/);
  });

  test("abort drops the half-written run", () => {
    const runPath = join(dir, "aborted.run");
    const run = new RankedRun(setting, new TrecRanker(docIds), docIds, { runPath });
    run.add(0, [1, 2, 3, 4], 0);
    run.abort();
    assert.equal(existsSync(runPath), false);
    assert.equal(existsSync(`${runPath}.${process.pid}.tmp`), false);
  });
});
