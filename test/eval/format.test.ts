import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluate } from "../../src/eval/evaluate.js";
import { formatCrossMatrix, formatSettingTable, formatSummaryTable } from "../../src/eval/format.js";
import type { EvalTask } from "../../src/eval/types.js";

// Two languages; q0 (a) → {c0 (a), c1 (b)}; q1 (b) → {c1} only, so b→a has no query.
const task: EvalTask = {
  languages: ["a", "b"],
  queryLang: Int32Array.from([0, 1]),
  candidateLang: Int32Array.from([0, 1, 1]),
  relevant: [Int32Array.from([0, 1]), Int32Array.from([1])],
};
const scores = Float32Array.from([0.9, 0.5, 0.7, 0.1, 0.8, 0.2]);
const scorer = {
  numQueries: 2,
  numCandidates: 3,
  scoreBlock: (start: number, count: number, out: Float32Array) => out.set(scores.subarray(start * 3, (start + count) * 3)),
};

test("summary, setting and matrix tables", async () => {
  const r = await evaluate(task, scorer, { recallKs: [1, 10] });
  assert.equal(
    formatSummaryTable(r),
    [
      "lang  mono mAP  mono R@1  cross mAP  cross R@1  multi mAP  multi R@10  rank dist",
      "a        1.000     1.000      0.500      0.000      0.833       1.000        2.0",
      "b        1.000     1.000          -          -      1.000       1.000          -",
      "mean     1.000     1.000      0.500      0.000      0.917       1.000        2.0",
    ].join("\n"),
  );
  assert.equal(
    formatSettingTable(r.cross, r.recallKs, { digits: 2 }),
    ["lang  queries   mAP   MRR   R@1  R@10", "a           1  0.50  0.50  0.00  1.00", "b           0     -     -     -     -", "mean        1  0.50  0.50  0.00  1.00"].join("\n"),
  );
  assert.equal(
    formatCrossMatrix(r),
    ["mAP q\\t        a        b   mean", "a        (1.000)    0.500  0.500", "b              -  (1.000)      -", "mean           -    0.500"].join("\n"),
  );
});
