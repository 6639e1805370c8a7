import assert from "node:assert/strict";
import { test } from "node:test";
import { loadDataset } from "../../src/data/lareqa.js";
import { datasetStats } from "../../src/data/stats.js";
import type { Candidate, RetrievalDataset } from "../../src/data/types.js";

const candidate = (lang: string, paragraph: number, sentence: number, text: string): Candidate => ({
  uid: `${lang}_${paragraph}_${sentence}`,
  lang,
  text,
  context: text,
  paragraph,
  sentence,
  article: "A",
});

test("per language: counts, distinct paragraphs, mean length in code points, mean relevant per question", () => {
  const ds: RetrievalDataset = {
    name: "xquad-r",
    languages: ["de", "en", "th"],
    questions: [
      { uid: "1_en", id: "1", lang: "en", text: "q" },
      { uid: "2_en", id: "2", lang: "en", text: "q" },
      { uid: "1_de", id: "1", lang: "de", text: "q" },
      { uid: "3_de", id: "3", lang: "de", text: "q" }, // no relevance entry: counts 0
    ],
    candidates: [
      candidate("en", 1, 0, "Hello"),
      candidate("en", 1, 1, "Hi"),
      candidate("en", 2, 0, "Yo!"),
      candidate("de", 1, 0, "𝔘ber"), // 4 code points, 5 UTF-16 units
      candidate("de", 1, 1, "Straße"),
    ],
    relevance: new Map([
      ["1_en", new Set(["en_1_0", "de_1_0"])],
      ["2_en", new Set(["en_2_0"])],
      ["1_de", new Set(["en_1_0", "de_1_0"])],
    ]),
  };
  assert.deepEqual(datasetStats(ds), [
    { lang: "de", questions: 2, candidates: 2, paragraphs: 1, meanSentenceChars: 5, meanRelevantPerQuestion: 1 },
    { lang: "en", questions: 2, candidates: 3, paragraphs: 2, meanSentenceChars: 10 / 3, meanRelevantPerQuestion: 1.5 },
    // A language with nothing loaded is a row of zeros, not NaN.
    { lang: "th", questions: 0, candidates: 0, paragraphs: 0, meanSentenceChars: 0, meanRelevantPerQuestion: 0 },
  ]);
});

test("XQuAD-R de+en: 240 paragraphs and 1190 questions per language, one relevant sentence per loaded language", async () => {
  const rows = datasetStats(await loadDataset("xquad-r", { languages: ["en", "de"] }));
  assert.deepEqual(
    rows.map((r) => [r.lang, r.questions, r.paragraphs, r.meanRelevantPerQuestion]),
    [
      ["de", 1190, 240, 2],
      ["en", 1190, 240, 2],
    ],
  );
  for (const r of rows) assert.ok(r.meanSentenceChars > 50 && r.meanSentenceChars < 300, `${r.lang}: ${r.meanSentenceChars}`);
});
