import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Candidate, Question, RetrievalDataset } from "../../src/data/types.js";
import { taskFromDataset } from "../../src/eval/task.js";

const question = (id: string, lang: string): Question => ({ uid: `${id}_${lang}`, id, lang, text: `${id}?` });
const candidate = (lang: string, paragraph: number, sentence: number): Candidate => ({
  uid: `${lang}_${paragraph}_${sentence}`,
  lang,
  text: "s",
  context: "p",
  paragraph,
  sentence,
  article: "a",
});

/** q1 exists in en and de, q2 only in en (as on MLQA-R). */
function fixture(): RetrievalDataset {
  return {
    name: "mlqa-r",
    languages: ["de", "en"],
    questions: [question("q1", "en"), question("q2", "en"), question("q1", "de")],
    candidates: [candidate("de", 1, 0), candidate("de", 1, 1), candidate("en", 1, 0), candidate("en", 1, 1)],
    relevance: new Map([
      ["q1_en", new Set(["en_1_1", "de_1_0"])],
      ["q2_en", new Set(["en_1_0"])],
      ["q1_de", new Set(["de_1_0", "en_1_1"])],
    ]),
  };
}

describe("taskFromDataset", () => {
  test("indices follow the dataset's order; relevant sets sorted", () => {
    const task = taskFromDataset(fixture());
    assert.deepEqual(task.languages, ["de", "en"]);
    assert.deepEqual([...task.queryLang], [1, 1, 0]);
    assert.deepEqual([...task.candidateLang], [0, 0, 1, 1]);
    assert.deepEqual(task.relevant.map((r) => [...r]), [[0, 3], [2], [0, 3]]);
    assert.deepEqual(task.queryIds, ["q1_en", "q2_en", "q1_de"]);
  });

  test("a subset keeps the dataset's order, whatever the list's", () => {
    const task = taskFromDataset(fixture(), ["q1_de", "q1_en"]);
    assert.deepEqual(task.queryIds, ["q1_en", "q1_de"]);
    assert.deepEqual([...task.queryLang], [1, 0]);
    assert.equal(task.candidateLang.length, 4);
  });

  test("unknown or repeated uids and dangling relevance are errors", () => {
    assert.throws(() => taskFromDataset(fixture(), ["q9_en"]), /no question with uid q9_en/);
    assert.throws(() => taskFromDataset(fixture(), ["q1_en", "q1_en"]), /listed twice/);
    const ds = fixture();
    const broken = { ...ds, relevance: new Map([...ds.relevance, ["q2_en", new Set(["fr_1_0"])]]) };
    assert.throws(() => taskFromDataset(broken), /q2_en names unknown candidate fr_1_0/);
    const missing = { ...ds, relevance: new Map([...ds.relevance].filter(([k]) => k !== "q2_en")) };
    assert.throws(() => taskFromDataset(missing), /q2_en has no relevance entry/);
  });
});
