/**
 * The ranked-evaluation flags, LAReQA runs fed from score rows (one TREC run per setting), and
 * printing trec_eval's metrics, on a hand-made task small enough to rank by hand.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { UsageError } from "../../src/cli/args.js";
import { depthArg, formatRanked, LareqaRuns, printRanked, settingsArg } from "../../src/cli/ranked-output.js";
import type { RankedResult } from "../../src/eval/ranked.js";
import { capture } from "./capture.js";
import { DOC_IDS, SCORES, TASK } from "./two-language-task.js";


const feed = (runs: LareqaRuns) => {
  runs.onScores(0, SCORES, 0);
  runs.onScores(1, SCORES, 4);
};

describe("depthArg and settingsArg", () => {
  test("--depth: the fallback when absent, else a whole number >= 1", () => {
    assert.equal(depthArg(undefined, 100), 100);
    assert.equal(depthArg("5", 100), 5);
    assert.throws(() => depthArg("0", 100), (e: unknown) => e instanceof UsageError && e.message === "--depth takes a whole number >= 1, got '0'");
    assert.throws(() => depthArg("2.5", 100), (e: unknown) => e instanceof UsageError && e.message === "--depth takes a whole number >= 1, got '2.5'");
  });

  test("--run-settings: all three when absent; a list is trimmed and de-duplicated in its order; an unknown name is a UsageError", () => {
    assert.deepEqual(settingsArg(undefined), ["mono", "cross", "multi"]);
    assert.deepEqual(settingsArg("multi, mono,multi"), ["multi", "mono"]);
    assert.throws(
      () => settingsArg("mono,bogus"),
      (e: unknown) => e instanceof UsageError && e.message === "unknown setting 'bogus' (expected some of: mono, cross, multi)",
    );
  });
});

describe("LareqaRuns", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-ranked-output-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("one run per setting, cut at the depth, and each setting's metrics", async () => {
    const base = join(dir, "all", "run.trec");
    const runs = new LareqaRuns(TASK, DOC_IDS, base, ["mono", "cross", "multi"], 2, "tag");
    feed(runs);
    const results = runs.finish();
    assert.deepEqual(runs.paths(base), ["mono", "cross", "multi"].map((s) => join(dir, "all", `run.${s}.trec`)));
    assert.deepEqual((await readdir(join(dir, "all"))).sort(), ["run.cross.trec", "run.mono.trec", "run.multi.trec"]);

    // mono ranks each query's own language; cross each other language holding an answer (b has
    // none in en, so it is not ranked there); multi the whole pool, here cut at 2 documents.
    const read = async (s: string) => (await readFile(join(dir, "all", `run.${s}.trec`), "utf8")).trimEnd().split("\n");
    assert.deepEqual(await read("mono"), ["a Q0 d0 1 1 tag", "a Q0 d1 2 0.125 tag", "b Q0 d3 1 0.875 tag", "b Q0 d2 2 0.5 tag"]);
    assert.deepEqual(await read("cross"), ["a>de Q0 d3 1 0.75 tag", "a>de Q0 d2 2 0.5 tag"]);
    assert.deepEqual(await read("multi"), ["a Q0 d0 1 1 tag", "a Q0 d3 2 0.75 tag", "b Q0 d3 1 0.875 tag", "b Q0 d2 2 0.5 tag"]);

    assert.deepEqual(Object.keys(results), ["mono", "cross", "multi"]);
    for (const r of Object.values(results)) assert.deepEqual([r.depth, r.recallKs, r.numDocuments, r.skippedQueries], [2, [1], 4, 0]);
    assert.deepEqual([results.mono.numQueries, results.mono.mean?.map, results.mono.mean?.mrr], [2, 1, 1]);
    // a>de: its answer d2 is second.
    assert.deepEqual([results.cross.numQueries, results.cross.mean?.map, results.cross.mean?.mrr10, results.cross.mean?.recall["1"]], [1, 0.5, 0.5, 0]);
    assert.ok(Math.abs(results.cross.mean!.ndcg10 - 1 / Math.log2(3)) < 1e-12);
    // a: d0 first, d2 beyond the depth (AP 1/2); b: d3 first (AP 1).
    assert.deepEqual([results.multi.numQueries, results.multi.mean?.map, results.multi.mean?.recall["1"]], [2, 0.75, 0.75]);
    assert.equal(results.multi.perQuery, undefined, "per-query rows only when asked");
  });

  test("a subset of the settings, per-query rows on request; abort leaves no file", async () => {
    const base = join(dir, "some", "run");
    const runs = new LareqaRuns(TASK, DOC_IDS, base, ["multi"], 100, "t", true);
    feed(runs);
    const results = runs.finish();
    assert.deepEqual(runs.paths(base), [join(dir, "some", "run.multi")]);
    assert.deepEqual(await readdir(join(dir, "some")), ["run.multi"]);
    assert.deepEqual(results.multi.perQuery?.map((q) => [q.queryId, q.numRelevant, q.map]), [
      ["a", 2, (1 + 2 / 3) / 2],
      ["b", 1, 1],
    ]);
    assert.deepEqual(results.multi.recallKs, [1, 5, 10, 100]);

    const aborted = new LareqaRuns(TASK, DOC_IDS, join(dir, "aborted", "run.trec"), ["mono", "multi"], 100, "t");
    aborted.onScores(0, SCORES, 0);
    aborted.abort();
    assert.deepEqual(await readdir(join(dir, "aborted")).catch(() => []), []);
  });
});

describe("formatRanked and printRanked", () => {
  const scored: RankedResult = {
    depth: 10,
    recallKs: [1, 10],
    numDocuments: 4,
    numQueries: 2,
    skippedQueries: 0,
    mean: { ndcg10: 0.5, mrr10: 0.25, mrr: 0.25, map: 0.125, recall: { "1": 0, "10": 1 } },
  };
  const empty: RankedResult = { depth: 10, recallKs: [1, 10], numDocuments: 4, numQueries: 0, skippedQueries: 3, mean: null };

  test("one row per run, four decimals, '-' for a run with no scored query, recall columns from the first run", () => {
    assert.equal(
      formatRanked({ "bm25 x": scored, empty }),
      [
        "run     queries  nDCG@10  MRR@10     MRR     MAP     R@1    R@10",
        "------  -------  -------  ------  ------  ------  ------  ------",
        "bm25 x        2   0.5000  0.2500  0.2500  0.1250  0.0000  1.0000",
        "empty         0        -       -       -       -       -       -",
      ].join("\n"),
    );
  });

  test("--json prints the header and results as JSON and --out writes the same; text gives the depth and the table", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "hybrid-ir-print-ranked-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const out = join(dir, "sub", "result.json");
    const json = await capture(() => printRanked({ collection: "tiny", scorer: "bm25" }, { "bm25 x": scored }, { json: true, out }));
    assert.deepEqual(JSON.parse(json.stdout), { collection: "tiny", scorer: "bm25", trec: { "bm25 x": scored } });
    assert.equal(await readFile(out, "utf8"), json.stdout);

    const text = await capture(() => printRanked({ collection: "tiny" }, { "bm25 x": scored }, { json: false, out: undefined }));
    assert.equal(
      text.stdout,
      `trec_eval metrics over the top 10 per query (ties: score, then document id, descending):\n\n${formatRanked({ "bm25 x": scored })}\n`,
    );
    const none = await capture(() => printRanked({}, {}, { json: false, out: undefined }));
    assert.match(none.stdout, /^trec_eval metrics over the top 1000 per query/, "no run: the default depth");
  });
});
