import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { initBackend } from "../../src/compute/backend.js";
import { loadDataset } from "../../src/data/lareqa.js";
import type { RetrievalDataset } from "../../src/data/types.js";
import { liveEmbedWorkers } from "../../src/model/embed-pool.js";
import { datasetTexts, encodeDataset } from "../../src/model/encode-dataset.js";
import type { TextInput } from "../../src/model/inputs.js";
import { createMiniEncoder } from "../../src/model/mini.js";
import { loadSentenceEncoder, type SentenceEncoder } from "../../src/model/sentence-encoder.js";
import { silentLogger } from "../../src/util/logger.js";
import { assertSameBits } from "./helpers.js";

const TINY_XLMR = join(import.meta.dirname, "../../../test/fixtures/parity/tiny-xlmr");

let ds: RetrievalDataset;
let texts: TextInput[];
let tiny: SentenceEncoder;
before(async () => {
  await initBackend("wasm", silentLogger);
  ds = await loadDataset("xquad-r", { languages: ["en", "de", "zh", "ar"], maxQuestionIds: 25 });
  texts = [...ds.questions.map((q) => ({ text: q.text })), ...ds.candidates.map((c) => ({ text: c.text, context: c.context }))].slice(0, 200);
  tiny = await loadSentenceEncoder(TINY_XLMR);
});
after(() => {
  tiny.dispose();
  assert.equal(liveEmbedWorkers(), 0, "no embedding worker outlives the tests");
});

/** The dataset with only its first `n` candidates: what encodeDataset reads, kept small. */
function firstCandidates(ds: RetrievalDataset, n: number): RetrievalDataset {
  return { ...ds, candidates: ds.candidates.slice(0, n) };
}


test("encodeDataset: threads 2 gives the one-thread embeddings, progress reaches every row, no worker left", async () => {
  const small = await loadDataset("xquad-r", { languages: ["en", "zh"], maxQuestionIds: 8 });
  const model = await createMiniEncoder({ corpus: texts.map((t) => t.text), seed: 5 });
  try {
    const options = { batchSize: 8, maxQueryLength: 32, maxPassageLength: 48, queryPrefix: "Query: ", passagePrefix: "Passage: " };
    const one = await encodeDataset(model, small, { ...options, threads: 1 });
    const seen = new Map<string, number>();
    const two = await encodeDataset(model, small, { ...options, threads: 2, onProgress: (part, done) => seen.set(part, done) });
    assertSameBits(two.questions.data, one.questions.data);
    assertSameBits(two.candidates.data, one.candidates.data);
    assert.deepEqual(Object.fromEntries(seen), { questions: small.questions.length, candidates: small.candidates.length });
    assert.equal(liveEmbedWorkers(), 0);
  } finally {
    model.dispose();
  }
});

test("rows in the dataset's order: questions with the query prefix and length, candidates with the passage ones", async () => {
  const small = firstCandidates(await loadDataset("xquad-r", { languages: ["de", "en"], maxQuestionIds: 4 }), 30);
  const out = await encodeDataset(tiny, small, { batchSize: 4, maxQueryLength: 12, maxPassageLength: 20, queryPrefix: "query: ", passagePrefix: "passage: ", threads: 1 });
  assert.deepEqual([out.questions.rows, out.questions.cols, out.candidates.rows, out.candidates.cols], [small.questions.length, 32, small.candidates.length, 32]);
  const questions = await tiny.embed(small.questions.map((q) => ({ text: q.text })), { batchSize: 4, maxLength: 12, prefix: "query: ", threads: 1 });
  const candidates = await tiny.embed(small.candidates.map((c) => ({ text: c.text })), { batchSize: 4, maxLength: 20, prefix: "passage: ", threads: 1 });
  assertSameBits(out.questions.data, questions);
  assertSameBits(out.candidates.data, candidates);
  // Row 0 is the first question alone, whatever batch it was embedded in.
  assertSameBits(out.questions.data.subarray(0, 32), await tiny.embed([{ text: small.questions[0].text }], { maxLength: 12, prefix: "query: " }));
});

test("withContext encodes each candidate with its paragraph as second segment; defaults: batch 32, no prefixes", async () => {
  const small = firstCandidates(await loadDataset("xquad-r", { languages: ["en"], maxQuestionIds: 3 }), 40);
  const seen: Array<[string, number, number]> = [];
  const out = await encodeDataset(tiny, small, { withContext: true, threads: 1, onProgress: (part, done, total) => seen.push([part, done, total]) });
  const candidates = await tiny.embed(small.candidates.map((c) => ({ text: c.text, context: c.context })), { threads: 1 });
  assertSameBits(out.candidates.data, candidates);
  const plain = await encodeDataset(tiny, small, { threads: 1 });
  assert.notDeepEqual(plain.candidates.data, out.candidates.data);
  assertSameBits(plain.questions.data, out.questions.data);
  assertSameBits(plain.questions.data, await tiny.embed(small.questions.map((q) => ({ text: q.text })), { threads: 1 }));
  assert.deepEqual(seen.at(-1), ["candidates", small.candidates.length, small.candidates.length]);
  assert.deepEqual(seen.filter(([part]) => part === "questions").at(-1), ["questions", small.questions.length, small.questions.length]);
});

test("datasetTexts: the questions, then each candidate (followed by its paragraph with context)", async () => {
  const small = await loadDataset("xquad-r", { languages: ["en"], maxQuestionIds: 2 });
  const q = small.questions.map((x) => x.text);
  assert.deepEqual(datasetTexts(small), [...q, ...small.candidates.map((c) => c.text)]);
  const withContext = datasetTexts(small, true);
  assert.equal(withContext.length, q.length + 2 * small.candidates.length);
  assert.deepEqual(withContext.slice(0, q.length), q);
  small.candidates.forEach((c, i) => assert.deepEqual(withContext.slice(q.length + 2 * i, q.length + 2 * i + 2), [c.text, c.context]));
});
