/** `evaluate` and `bm25`'s shared part: the evaluator run with a progress bar, and the result printed or written. */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { formatRanked } from "../../src/cli/ranked-output.js";
import { printResult, runEvaluation } from "../../src/cli/report-result.js";
import { evaluate } from "../../src/eval/evaluate.js";
import { formatCrossMatrix, formatSummaryTable } from "../../src/eval/format.js";
import type { RankedResult } from "../../src/eval/ranked.js";
import type { EvalTask, Scorer } from "../../src/eval/types.js";
import { capture } from "./capture.js";
import { SCORES, TASK } from "./two-language-task.js";

const scorerOf = (scores: Float32Array, numQueries: number): Scorer => ({
  numQueries,
  numCandidates: scores.length / numQueries,
  scoreBlock(start, count, out) {
    const n = scores.length / numQueries;
    out.set(scores.subarray(start * n, (start + count) * n));
  },
});

test("runEvaluation: the protocol's result, every score row passed on, and the bar's last line on stderr", async () => {
  const rows: [number, number[]][] = [];
  const { value: result, stderr } = await capture(() =>
    runEvaluation(TASK, scorerOf(SCORES, 2), "hand", (q, block, offset) => rows.push([q, Array.from(block.subarray(offset, offset + 4))])),
  );
  assert.deepEqual(rows, [
    [0, [1, 0.125, 0.5, 0.75]],
    [1, [0.25, 0.375, 0.5, 0.875]],
  ]);
  assert.match(stderr, /^hand █{24} 2\/2 100% /m);
  // mono: each query's answer in its own language comes first; cross: a's de answer d2 is second
  // among de (b has no en answer); multi: a finds d0 first and d2 third (AP 5/6), b d3 first.
  assert.equal(result.mono.mean.map, 1);
  assert.equal(result.cross.mean.map, 0.5);
  assert.deepEqual(result.cross.matrix.map, [[1, null], [0.5, 1]]);
  assert.ok(Math.abs(result.multi.mean.map! - (1 + 5 / 6) / 2) < 1e-12);
  assert.deepEqual(result, await evaluate(TASK, scorerOf(SCORES, 2)));
});

test("printResult: the headline, the summary and cross tables, and the --run-out metrics; --json and --out the same JSON", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hybrid-ir-report-result-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const result = await evaluate(TASK, scorerOf(SCORES, 2));
  const rankDistance = result.languageBias.mean;
  assert.equal(typeof rankDistance, "number", "query a has two answers, so a rank distance");
  const trec: Record<string, RankedResult> = {
    multi: { depth: 2, recallKs: [1], numDocuments: 4, numQueries: 2, skippedQueries: 0, mean: { ndcg10: 1, mrr10: 1, mrr: 1, map: 0.75, recall: { "1": 0.75 } } },
  };

  const text = await capture(() => printResult(result, { dataset: "hand", json: false, out: undefined, trec }));
  assert.equal(
    text.stdout,
    `hand: mono mAP 1.000, cross mAP 0.500, multi mAP 0.917, rank distance ${rankDistance!.toFixed(1)}\n\n` +
      `${formatSummaryTable(result)}\n` +
      `\ncross-lingual mAP, query language (rows) × target language (columns):\n\n` +
      `${formatCrossMatrix(result)}\n` +
      `\ntrec_eval metrics of the --run-out runs (top 2 per ranked query):\n\n` +
      `${formatRanked(trec)}\n`,
  );
  const plain = await capture(() => printResult(result, { dataset: "hand", json: false, out: undefined }));
  assert.doesNotMatch(plain.stdout, /trec_eval/, "no --run-out, no trec section");

  const out = join(dir, "nested", "result.json");
  const json = await capture(() => printResult(result, { dataset: "hand", json: true, out, trec }));
  assert.deepEqual(JSON.parse(json.stdout), { dataset: "hand", ...JSON.parse(JSON.stringify(result)), trec });
  assert.equal(await readFile(out, "utf8"), json.stdout);
  const quiet = await capture(() => printResult(result, { dataset: "hand", json: false, out: join(dir, "only-file.json") }));
  assert.deepEqual(JSON.parse(await readFile(join(dir, "only-file.json"), "utf8")), { dataset: "hand", ...JSON.parse(JSON.stringify(result)) });
  assert.match(quiet.stdout, /^hand: mono mAP/);
});

test("printResult: a metric that cannot be computed prints '-'", async () => {
  // One language: no cross-lingual pair; one answer per query: no rank distance.
  const task: EvalTask = { languages: ["en"], queryLang: Int32Array.from([0]), candidateLang: Int32Array.from([0, 0]), relevant: [Int32Array.from([1])] };
  const result = await evaluate(task, scorerOf(Float32Array.from([0.5, 0.25]), 1));
  const { stdout } = await capture(() => printResult(result, { dataset: "one", json: false, out: undefined }));
  assert.equal(stdout.split("\n")[0], "one: mono mAP 0.500, cross mAP -, multi mAP 0.500, rank distance -");
});
