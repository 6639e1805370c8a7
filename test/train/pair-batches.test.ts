import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { initBackend } from "../../src/compute/backend.js";
import { loadDataset } from "../../src/data/lareqa.js";
import type { EncodedBatch } from "../../src/model/inputs.js";
import { loadSentenceEncoder, type SentenceEncoder } from "../../src/model/sentence-encoder.js";
import { buildPools } from "../../src/sampling/pools.js";
import { createSampler, type Batch, type BatchSampler } from "../../src/sampling/sampler.js";
import { resolveRunConfig } from "../../src/train/config.js";
import { encodePairs, endless, pairInputs, recordInputs } from "../../src/train/pair-batches.js";
import type { TrainingRecord } from "../../src/train-data/format.js";
import { fromRetrievalDataset } from "../../src/train-data/from-squad.js";

/** A 2-layer, 32-wide BERT with a 300-piece vocabulary (the parity fixture). */
const TINY_MODEL = fileURLToPath(new URL("../../../test/fixtures/parity/tiny-bert", import.meta.url));

/** One group in German and English, one in English only (without a paragraph). */
const RECORDS: TrainingRecord[] = [
  { group: "g1", lang: "de", query: "Wo liegt Berlin?", positive: "Berlin liegt an der Spree.", context: "Berlin liegt an der Spree. Es ist groß." },
  { group: "g1", lang: "en", query: "Where is Berlin?", positive: "Berlin lies on the Spree.", context: "Berlin lies on the Spree. It is large." },
  { group: "g2", lang: "en", query: "Who wrote it?", positive: "Goethe wrote it." },
];

/** A cross pair (German query, English passage of its group) and a mono pair. */
const BATCH: Batch = {
  kind: "cross",
  pairs: [
    { group: "g1", queryLang: "de", passageLang: "en", query: 0, passage: 1 },
    { group: "g2", queryLang: "en", passageLang: "en", query: 2, passage: 2 },
  ],
};

/** Row `i` of a batch without its padding. */
function row(batch: EncodedBatch, i: number): { ids: number[]; types: number[] } {
  const at = (a: Int32Array) => [...a.subarray(i * batch.seqLen, (i + 1) * batch.seqLen)];
  const mask = at(batch.attentionMask);
  const length = mask.indexOf(0) < 0 ? mask.length : mask.indexOf(0);
  return { ids: at(batch.inputIds).slice(0, length), types: at(batch.tokenTypeIds).slice(0, length) };
}

describe("pairInputs", () => {
  test("the query of one record and the positive of another, in the pair's order; the paragraph only with context", () => {
    assert.deepEqual(pairInputs(BATCH, RECORDS, false), {
      queries: [{ text: "Wo liegt Berlin?" }, { text: "Who wrote it?" }],
      passages: [
        { text: "Berlin lies on the Spree.", context: undefined },
        { text: "Goethe wrote it.", context: undefined },
      ],
    });
    assert.deepEqual(pairInputs(BATCH, RECORDS, true).passages, [
      { text: "Berlin lies on the Spree.", context: "Berlin lies on the Spree. It is large." },
      { text: "Goethe wrote it.", context: undefined },
    ]);
  });
});

describe("recordInputs", () => {
  test("every record's query and passage with the run's prefixes and limits: the texts the steps and validation encode", () => {
    const config = resolveRunConfig(
      { model: { ref: "e5-small" }, data: { train: { dataset: "mlqa-r" }, withContext: true }, maxQueryLength: 6, maxPassageLength: 40, eval: null },
      "/configs/pairs.json",
    );
    const [queries, passages] = recordInputs(RECORDS, config);
    assert.deepEqual(queries, { inputs: RECORDS.map((r) => ({ text: r.query })), maxLength: 6, prefix: "query: " });
    assert.deepEqual(passages.inputs, [...pairInputs({ kind: "mono", pairs: RECORDS.map((r, i) => ({ group: r.group, queryLang: r.lang, passageLang: r.lang, query: i, passage: i })) }, RECORDS, true).passages]);
    assert.equal(passages.maxLength, 40);
    assert.equal(passages.prefix, "passage: ");
  });
});

describe("encodePairs", () => {
  let model: SentenceEncoder;
  before(async () => {
    await initBackend("wasm");
    model = await loadSentenceEncoder(TINY_MODEL);
  });
  after(() => model.dispose());

  const config = (withContext: boolean) =>
    resolveRunConfig(
      {
        model: { ref: TINY_MODEL },
        data: { train: { dataset: "mlqa-r" }, withContext },
        prefixes: { query: "Query: ", passage: "Passage: " },
        maxQueryLength: 6,
        maxPassageLength: 40,
        eval: null,
      },
      "/configs/pairs.json",
    );

  test("queries get the query prefix and limit, passages the passage prefix and limit", () => {
    const { queries, passages } = encodePairs(model, BATCH, RECORDS, config(false));
    assert.equal(queries.batch, 2);
    assert.equal(passages.batch, 2);
    assert.equal(queries.seqLen, 6, "the German query is cut to maxQueryLength");
    for (const [i, p] of BATCH.pairs.entries()) {
      const query = model.encodeInputs([{ text: `Query: ${RECORDS[p.query].query}` }], { maxLength: 6 });
      const passage = model.encodeInputs([{ text: `Passage: ${RECORDS[p.passage].positive}` }], { maxLength: 40 });
      assert.deepEqual(row(queries, i), row(query, 0), `query ${i}`);
      assert.deepEqual(row(passages, i), row(passage, 0), `passage ${i}`);
    }
  });

  test("with data.withContext a passage's paragraph is its second segment; a record without one has none", () => {
    const plain = encodePairs(model, BATCH, RECORDS, config(false)).passages;
    const withContext = encodePairs(model, BATCH, RECORDS, config(true)).passages;
    assert.ok(row(plain, 0).types.every((t) => t === 0));
    const first = row(withContext, 0);
    assert.ok(first.types.includes(1), "the paragraph is segment B");
    assert.ok(first.ids.length > row(plain, 0).ids.length);
    assert.deepEqual(row(withContext, 1), row(plain, 1), "no paragraph: the same ids as without context");
  });
});

describe("endless", () => {
  let records: TrainingRecord[];
  before(async () => {
    records = fromRetrievalDataset(await loadDataset("mlqa-r", { languages: ["de", "en"], maxQuestionIds: 80 }));
  });
  const sampler = () => createSampler("x-x", buildPools(records), { batchSize: 8, seed: 5 });

  test("runs one epoch after the other, as looping over the sampler epoch by epoch does", () => {
    const reference = sampler();
    const epochs = [[...reference], [...reference], [...reference]];
    assert.ok(epochs[0].length >= 2);
    const batches = endless(sampler());
    const got = Array.from({ length: 2 * epochs[0].length + 1 }, () => batches.next());
    assert.deepEqual(got, [...epochs[0], ...epochs[1], epochs[2][0]]);
  });

  test("starts where the sampler stands: a restored sampler's rest of the epoch, then the next", () => {
    const reference = sampler();
    reference.setEpoch(3);
    const [epoch3, epoch4] = [[...reference], [...reference]];
    const restored = sampler();
    restored.restore({ sampler: "x-x", seed: 5, epoch: 3, batch: epoch3.length - 1 });
    const batches = endless(restored);
    assert.deepEqual([batches.next(), batches.next()], [epoch3.at(-1), epoch4[0]]);
    assert.deepEqual(restored.state(), { sampler: "x-x", seed: 5, epoch: 4, batch: 1 }, "the sampler stands after the batch handed out last");
  });

  test("a sampler that yields no batch is an error naming it, not an endless loop", () => {
    const empty: BatchSampler = {
      name: "x-y",
      length: 0,
      setEpoch: () => undefined,
      state: () => ({ sampler: "x-y", seed: 0, epoch: 0, batch: 0 }),
      restore: () => undefined,
      [Symbol.iterator]: () => [][Symbol.iterator](),
    };
    assert.throws(() => endless(empty).next(), /^Error: the x-y sampler yields no batch: too few training records for its batch size$/);
  });
});
