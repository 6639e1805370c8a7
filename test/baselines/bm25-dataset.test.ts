/**
 * BM25 on a LAReQA dataset: candidate sentences are the documents, questions the queries, both
 * tokenized without special tokens, one index over the whole multilingual pool.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Bm25Index } from "../../src/baselines/bm25.js";
import { bm25Scorer } from "../../src/baselines/bm25-dataset.js";
import type { Candidate, RetrievalDataset } from "../../src/data/types.js";
import { scoreRows, wordTokenizer } from "./helpers.js";

const candidate = (lang: string, paragraph: number, sentence: number, text: string): Candidate => ({
  uid: `${lang}_${paragraph}_${sentence}`,
  lang,
  text,
  context: text,
  paragraph,
  sentence,
  article: "Leaves",
});

const DS: RetrievalDataset = {
  name: "xquad-r",
  languages: ["de", "en"],
  questions: [
    { uid: "1_en", id: "1", lang: "en", text: "Why are leaves green?" },
    { uid: "1_de", id: "1", lang: "de", text: "Warum sind Blätter grün?" },
    { uid: "2_en", id: "2", lang: "en", text: "What absorbs red light?" },
  ],
  candidates: [
    candidate("en", 1, 0, "Leaves are green because chlorophyll reflects green light."),
    candidate("en", 1, 1, "Chlorophyll absorbs red and blue light."),
    candidate("de", 1, 0, "Blätter sind grün, weil Chlorophyll grünes Licht reflektiert."),
    candidate("de", 1, 1, "Chlorophyll absorbiert rotes und blaues Licht."),
  ],
  relevance: new Map([
    ["1_en", new Set(["en_1_0", "de_1_0"])],
    ["1_de", new Set(["en_1_0", "de_1_0"])],
    ["2_en", new Set(["en_1_1", "de_1_1"])],
  ]),
};

test("one row per question over every candidate, equal to an index built by hand from the same ids", async () => {
  const tok = wordTokenizer();
  const scorer = bm25Scorer(DS, tok);
  assert.deepEqual([scorer.numQueries, scorer.numCandidates], [3, 4]);
  const ids = (text: string) => tok.encode(text, { addSpecialTokens: false }).ids;
  const index = new Bm25Index(DS.candidates.map((c) => ids(c.text)));
  const expected = DS.questions.map((q) => {
    const row = new Float32Array(4);
    index.scoreInto(ids(q.text), row);
    return [...row];
  });
  assert.deepEqual(await scoreRows(scorer), expected);
});

test("texts are tokenized in two batches (candidates, then questions), never with special tokens", () => {
  const tok = wordTokenizer();
  bm25Scorer(DS, tok);
  assert.deepEqual(tok.calls, [
    { count: 4, opts: { addSpecialTokens: false } },
    { count: 3, opts: { addSpecialTokens: false } },
  ]);
});

test("the ranking a reader expects: each question's own-language answer first, the pool's IDF shared", async () => {
  const rows = await scoreRows(bm25Scorer(DS, wordTokenizer()));
  const best = rows.map((row) => DS.candidates[row.indexOf(Math.max(...row))].uid);
  assert.deepEqual(best, ["en_1_0", "de_1_0", "en_1_1"]);
  // "chlorophyll" is in every candidate: IDF over the whole pool makes it worth the least.
  const only = (await scoreRows(bm25Scorer({ ...DS, questions: [{ uid: "x_en", id: "x", lang: "en", text: "chlorophyll" }] }, wordTokenizer())))[0];
  const red = (await scoreRows(bm25Scorer({ ...DS, questions: [{ uid: "x_en", id: "x", lang: "en", text: "red" }] }, wordTokenizer())))[0];
  assert.ok(Math.max(...only) < red[1], `${only} vs ${red}`);
});

test("BM25 options reach the index", async () => {
  const plain = await scoreRows(bm25Scorer(DS, wordTokenizer()));
  const noLength = await scoreRows(bm25Scorer(DS, wordTokenizer(), { b: 0 }));
  assert.notDeepEqual(noLength, plain);
  assert.throws(() => bm25Scorer(DS, wordTokenizer(), { k1: -1 }), /k1 must be >= 0, got -1/);
});
