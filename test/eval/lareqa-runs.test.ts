/**
 * The LAReQA settings as ranked queries and qrels (`lareqa-runs.ts`): which queries each
 * setting ranks, over which candidates, against which judgements; the per-setting file names;
 * the qrels file. On a hand-made three-language task with exact expectations, and on XQuAD-R.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { loadDataset } from "../../src/data/lareqa.js";
import { isLareqaSettingName, LAREQA_SETTINGS, lareqaSetting, settingPath, writeSettingQrels } from "../../src/eval/lareqa-runs.js";
import type { RankedQuery } from "../../src/eval/ranked-runs.js";
import { taskFromDataset } from "../../src/eval/task.js";
import type { EvalTask } from "../../src/eval/types.js";

/**
 * Candidates: 0 de, 1 en, 2 zh, 3 de, 4 en. Questions: u0 (de) answered by 0 and 1; u1 (en) by 4;
 * u2 (zh) by 2, 3 and 4; u3 (de) only by 1, in another language.
 */
const TASK: EvalTask = {
  languages: ["de", "en", "zh"],
  candidateLang: Int32Array.from([0, 1, 2, 0, 1]),
  queryLang: Int32Array.from([0, 1, 2, 0]),
  relevant: [Int32Array.from([0, 1]), Int32Array.from([4]), Int32Array.from([2, 3, 4]), Int32Array.from([1])],
  queryIds: ["u0", "u1", "u2", "u3"],
};
const DOC_IDS = ["de-a", "en-a", "zh-a", "de-b", "en-b"];

/** A ranked query as plain values, for deepEqual. */
const plain = (rq: RankedQuery) => ({ id: rq.id, subset: rq.subset && Array.from(rq.subset), judged: [...rq.judged].sort((a, b) => a[0] - b[0]) });
const queriesOf = (name: "mono" | "cross" | "multi", q: number) => [...lareqaSetting(TASK, name).queriesOf(q)].map(plain);

describe("lareqaSetting", () => {
  test("mono: the question's own language's candidates, judged by its answer there", () => {
    assert.equal(lareqaSetting(TASK, "mono").name, "mono");
    assert.deepEqual(queriesOf("mono", 0), [{ id: "u0", subset: [0, 3], judged: [[0, 1]] }]);
    assert.deepEqual(queriesOf("mono", 2), [{ id: "u2", subset: [2], judged: [[2, 1]] }]);
    // No answer in its own language: still one ranked query, with nothing relevant (the ranked run skips it).
    assert.deepEqual(queriesOf("mono", 3), [{ id: "u3", subset: [0, 3], judged: [] }]);
  });

  test("cross: one ranked query per other language holding an answer, id `<uid>><lang>`", () => {
    assert.deepEqual(queriesOf("cross", 0), [{ id: "u0>en", subset: [1, 4], judged: [[1, 1]] }]);
    assert.deepEqual(queriesOf("cross", 1), [], "u1's only answer is in its own language");
    assert.deepEqual(queriesOf("cross", 2), [
      { id: "u2>de", subset: [0, 3], judged: [[3, 1]] },
      { id: "u2>en", subset: [1, 4], judged: [[4, 1]] },
    ]);
    assert.deepEqual(queriesOf("cross", 3), [{ id: "u3>en", subset: [1, 4], judged: [[1, 1]] }]);
  });

  test("multi: the whole pool, every answer relevant with grade 1", () => {
    assert.deepEqual(queriesOf("multi", 2), [{ id: "u2", subset: undefined, judged: [[2, 1], [3, 1], [4, 1]] }]);
    assert.deepEqual(queriesOf("multi", 3), [{ id: "u3", subset: undefined, judged: [[1, 1]] }]);
  });

  test("a task without query ids has nothing to name its ranked queries by", () => {
    const { queryIds: _ids, ...anonymous } = TASK;
    assert.throws(() => lareqaSetting(anonymous, "mono"), { message: "lareqaSetting: the task carries no query ids" });
  });

  test("on XQuAD-R (de, en, zh): every question is ranked once in mono and multi and once per other language in cross", async () => {
    const ds = await loadDataset("xquad-r", { languages: ["de", "en", "zh"], maxQuestionIds: 30 });
    const task = taskFromDataset(ds);
    const numQueries = task.queryLang.length;
    assert.equal(numQueries, 3 * 30);
    const counts: Record<string, number> = {};
    for (const name of LAREQA_SETTINGS) {
      const setting = lareqaSetting(task, name);
      counts[name] = 0;
      for (let q = 0; q < numQueries; q++) {
        for (const rq of setting.queriesOf(q)) {
          counts[name]++;
          const judged = [...rq.judged.keys()];
          assert.ok(judged.length > 0, `${name} ${rq.id}: nothing relevant`);
          assert.ok([...rq.judged.values()].every((g) => g === 1));
          assert.ok(judged.every((c) => task.relevant[q].includes(c)), `${name} ${rq.id}: judges a candidate not relevant to it`);
          if (name === "multi") {
            assert.equal(rq.subset, undefined);
            assert.equal(judged.length, task.relevant[q].length);
            continue;
          }
          // The subset is exactly one language's candidates: the query's own (mono) or the one its id names (cross).
          const lang = name === "mono" ? task.queryLang[q] : task.languages.indexOf(rq.id.split(">")[1]);
          assert.ok(name === "mono" ? rq.id === task.queryIds![q] : rq.id.startsWith(`${task.queryIds![q]}>`) && lang !== task.queryLang[q]);
          assert.deepEqual(Array.from(rq.subset!), Array.from(task.candidateLang.keys()).filter((c) => task.candidateLang[c] === lang));
          assert.ok(judged.every((c) => task.candidateLang[c] === lang));
        }
      }
    }
    assert.deepEqual(counts, { mono: 90, cross: 90 * 2, multi: 90 });
  });
});

describe("setting names and paths", () => {
  test("isLareqaSettingName accepts exactly the three settings", () => {
    assert.deepEqual(["mono", "cross", "multi", "Mono", "monolingual", ""].map(isLareqaSettingName), [true, true, true, false, false, false]);
  });

  test("settingPath inserts the setting before the extension, or appends it", () => {
    assert.equal(settingPath("runs/bm25.trec", "mono"), join("runs", "bm25.mono.trec"));
    assert.equal(settingPath("runs/bm25", "cross"), join("runs", "bm25.cross"));
    assert.equal(settingPath("runs.d/x.tar.gz", "multi"), join("runs.d", "x.tar.multi.gz"));
    assert.equal(settingPath("/abs/a.qrels", "multi"), "/abs/a.multi.qrels");
  });
});

describe("writeSettingQrels", () => {
  test("every ranked query of every score row with its judged documents, by document index", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hybrid-ir-lareqa-runs-"));
    try {
      const cross = join(dir, "x.cross.qrels");
      writeSettingQrels(cross, lareqaSetting(TASK, "cross"), 4, DOC_IDS);
      assert.equal(await readFile(cross, "utf8"), ["u0>en 0 en-a 1", "u2>de 0 de-b 1", "u2>en 0 en-b 1", "u3>en 0 en-a 1", ""].join("\n"));
      const multi = join(dir, "x.multi.qrels");
      // Judgements given out of document order come out sorted; only the first numQueries rows are read.
      const setting = { name: "custom", queriesOf: (q: number) => [{ id: `q${q}`, judged: new Map([[4, 2], [0, 1]]) }] };
      writeSettingQrels(multi, setting, 2, DOC_IDS);
      assert.equal(await readFile(multi, "utf8"), ["q0 0 de-a 1", "q0 0 en-b 2", "q1 0 de-a 1", "q1 0 en-b 2", ""].join("\n"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
