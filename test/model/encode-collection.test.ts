/**
 * A collection through the tiny-xlmr parity model (2 layers × 32): the corpus streamed in chunks
 * into rows in `docIds` order, the queries, the embedding cache and the keys that pick its entry.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { initBackend } from "../../src/compute/backend.js";
import { loadBeirCollection } from "../../src/data/beir.js";
import { type Collection, type CollectionDocument, documentText } from "../../src/data/collection.js";
import type { Matrix } from "../../src/data/npy.js";
import {
  cachedCorpusEmbeddings,
  type CorpusEmbeddingKey,
  defaultEmbeddingCache,
  encodeCorpus,
  encodeQueries,
  modelFingerprint,
} from "../../src/model/encode-collection.js";
import { loadSentenceEncoder, type SentenceEncoder } from "../../src/model/sentence-encoder.js";
import { silentLogger } from "../../src/util/logger.js";

const FIXTURES = join(import.meta.dirname, "../../../test/fixtures");
const TINY_XLMR = join(FIXTURES, "parity/tiny-xlmr");

let model: SentenceEncoder;
let beir: Collection;
let root = "";
before(async () => {
  await initBackend("wasm", silentLogger);
  model = await loadSentenceEncoder(TINY_XLMR);
  beir = await loadBeirCollection(join(FIXTURES, "collections/beir-tiny"));
  root = await mkdtemp(join(tmpdir(), "hybrid-ir-encode-collection-"));
});
after(async () => {
  model.dispose();
  await rm(root, { recursive: true, force: true });
});

/** A collection of `texts` as documents (no queries), or one that streams fewer than it lists. */
function syntheticCollection(texts: readonly string[], streamed = texts.length): Collection {
  return {
    name: "synthetic",
    layout: "beir",
    split: "test",
    queries: [],
    judged: [],
    docIds: texts.map((_, i) => `d${i}`),
    corpusChecksum: "0",
    async *documents(): AsyncIterable<CollectionDocument> {
      for (let i = 0; i < streamed; i++) yield { id: `d${i}`, title: "", text: texts[i] };
    },
  };
}

function assertClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
  assert.equal(actual.length, expected.length);
  const i = actual.findIndex((x, k) => Math.abs(x - expected[k]) > tolerance);
  assert.equal(i, -1, `element ${i}: ${actual[i]}, expected ${expected[i]}`);
}

describe("encodeCorpus / encodeQueries", () => {
  test("beir-tiny: one row per document in docIds order, title and text as BEIR joins them, progress to the end", async () => {
    const docs: CollectionDocument[] = [];
    for await (const d of beir.documents()) docs.push(d);
    assert.deepEqual(docs.map((d) => d.id), beir.docIds);
    assert.ok(docs.some((d) => d.title === "") && docs.some((d) => d.title !== ""));
    const progress: number[] = [];
    const options = { batchSize: 4, maxLength: 24, prefix: "passage: ", threads: 1 };
    const m = await encodeCorpus(model, beir, { ...options, onProgress: (done, total) => progress.push(done, total) });
    assert.deepEqual([m.rows, m.cols], [beir.docIds.length, 32]);
    assert.deepEqual(progress, [beir.docIds.length, beir.docIds.length]);
    const expected = await model.embed(docs.map((d) => ({ text: documentText(d) })), options);
    assert.deepEqual(m.data, expected);
  });

  test("a corpus longer than one chunk: rows stay in order across chunks, progress after each", async () => {
    const texts = Array.from({ length: 1030 }, (_, i) => `${"la ".repeat(i % 7)}document ${i}`);
    const progress: number[] = [];
    const m = await encodeCorpus(model, syntheticCollection(texts), { batchSize: 64, threads: 1, onProgress: (done) => progress.push(done) });
    assert.deepEqual(progress, [1024, 1030]);
    // Batches form within a chunk, so padding may differ from one call over every text.
    assertClose(m.data, await model.embed(texts.map((text) => ({ text })), { batchSize: 64, threads: 1 }), 1e-5);
    assertClose(m.data.subarray(1029 * 32), await model.embed([{ text: texts[1029] }]), 1e-5);
  });

  test("a corpus that streams fewer documents than it lists is an error naming the collection", async () => {
    await assert.rejects(encodeCorpus(model, syntheticCollection(["a", "b", "c"], 2), { threads: 1 }), /^Error: synthetic: the corpus streamed 2 documents, expected 3$/);
  });

  test("encodeQueries: one row per query, in the queries' order, with the prefix", async () => {
    let last = 0;
    const m = await encodeQueries(model, beir, { prefix: "query: ", maxLength: 16, threads: 1, onProgress: (done) => (last = done) });
    assert.deepEqual([m.rows, m.cols], [beir.queries.length, 32]);
    assert.equal(last, beir.queries.length);
    assert.deepEqual(m.data, await model.embed(beir.queries.map((q) => ({ text: q.text })), { prefix: "query: ", maxLength: 16, threads: 1 }));
    const first = await model.embed([{ text: beir.queries[0].text }], { prefix: "query: ", maxLength: 16 });
    assertClose(m.data.subarray(0, 32), first, 1e-6);
  });
});

describe("where the cache lives and what keys it", () => {
  test("defaultEmbeddingCache: HYBRID_IR_CACHE, else XDG_CACHE_HOME, else ~/.cache", () => {
    const saved = { HYBRID_IR_CACHE: process.env.HYBRID_IR_CACHE, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, HOME: process.env.HOME };
    try {
      process.env.HYBRID_IR_CACHE = "/c";
      process.env.XDG_CACHE_HOME = "/x";
      assert.equal(defaultEmbeddingCache(), join("/c", "corpus-embeddings"));
      delete process.env.HYBRID_IR_CACHE;
      assert.equal(defaultEmbeddingCache(), join("/x", "hybrid-ir", "corpus-embeddings"));
      delete process.env.XDG_CACHE_HOME;
      process.env.HOME = "/home/someone";
      assert.equal(defaultEmbeddingCache(), join("/home/someone", ".cache", "hybrid-ir", "corpus-embeddings"));
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  test("modelFingerprint: a preset by name and seed, a hub id by name, a directory by its files' names and sizes", async () => {
    assert.equal(await modelFingerprint("mini", 3), "preset:mini:seed=3");
    assert.notEqual(await modelFingerprint("mini", 4), await modelFingerprint("mini", 3));
    assert.equal(await modelFingerprint("acme/encoder", 3), "hub:acme/encoder");
    const dir = join(root, "model-dir");
    await mkdir(join(dir, "1_Pooling"), { recursive: true });
    await writeFile(join(dir, "config.json"), "{}");
    await writeFile(join(dir, "1_Pooling", "config.json"), "{}");
    const first = await modelFingerprint(dir, 3);
    assert.match(first, new RegExp(`^dir:${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:[0-9a-f]{64}$`));
    assert.equal(await modelFingerprint(dir, 9), first, "a directory's seed plays no part");
    await writeFile(join(dir, "1_Pooling", "config.json"), '{"pooling_mode_mean_tokens": true}');
    const changed = await modelFingerprint(dir, 3);
    assert.notEqual(changed, first, "a file of another size in a subdirectory changes it");
    await writeFile(join(dir, "model.safetensors"), "");
    assert.notEqual(await modelFingerprint(dir, 3), changed, "a new file changes it");
  });
});

describe("cachedCorpusEmbeddings", () => {
  const KEY: CorpusEmbeddingKey = { model: "preset:mini:seed=1", prefix: "Passage: ", maxLength: 128, corpusChecksum: "abc", documents: 2 };
  const IDS = ["d1", "d2"];
  const MATRIX: Matrix = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), rows: 2, cols: 3 };
  let calls = 0;
  const compute = async (): Promise<Matrix> => {
    calls++;
    return MATRIX;
  };

  test("computes once, stores the matrix, the ids and the key, and reuses them", async () => {
    const cache = join(root, "cache-a");
    calls = 0;
    const first = await cachedCorpusEmbeddings(cache, KEY, IDS, compute);
    assert.deepEqual([first.reused, calls], [false, 1]);
    assert.match(first.dir, /[\\/][0-9a-f]{32}$/);
    assert.deepEqual((await readdir(first.dir)).sort(), ["doc_ids.txt", "embeddings.npy", "key.json"]);
    assert.equal(await readFile(join(first.dir, "doc_ids.txt"), "utf8"), "d1\nd2\n");
    assert.deepEqual(JSON.parse(await readFile(join(first.dir, "key.json"), "utf8")), KEY);
    const second = await cachedCorpusEmbeddings(cache, KEY, IDS, compute);
    assert.deepEqual([second.reused, second.dir, calls], [true, first.dir, 1]);
    assert.deepEqual(second.matrix, MATRIX);
  });

  test("any change of key is another entry; other ids, an interrupted write or a broken matrix are recomputed", async () => {
    const cache = join(root, "cache-b");
    calls = 0;
    const { dir } = await cachedCorpusEmbeddings(cache, KEY, IDS, compute);
    for (const change of [{ prefix: "" }, { maxLength: null }, { corpusChecksum: "abd" }, { model: "preset:mini:seed=2" }, { extra: "texts" }]) {
      const other = await cachedCorpusEmbeddings(cache, { ...KEY, ...change }, IDS, compute);
      assert.equal(other.reused, false, JSON.stringify(change));
      assert.notEqual(other.dir, dir, JSON.stringify(change));
    }
    assert.equal(calls, 6);

    const reversed = await cachedCorpusEmbeddings(cache, KEY, ["d2", "d1"], compute);
    assert.deepEqual([reversed.reused, reversed.dir], [false, dir], "other document ids: recomputed in place");
    assert.equal(await readFile(join(dir, "doc_ids.txt"), "utf8"), "d2\nd1\n");

    await unlink(join(dir, "key.json"));
    assert.equal((await cachedCorpusEmbeddings(cache, KEY, ["d2", "d1"], compute)).reused, false, "no key.json: an interrupted write");
    await writeFile(join(dir, "embeddings.npy"), "not a matrix");
    assert.equal((await cachedCorpusEmbeddings(cache, KEY, ["d2", "d1"], compute)).reused, false, "a broken matrix");
    const three = await cachedCorpusEmbeddings(cache, KEY, ["d2", "d1", "d3"], async () => ({ data: new Float32Array(6), rows: 2, cols: 3 }));
    assert.equal(three.reused, false);
    assert.equal((await cachedCorpusEmbeddings(cache, KEY, ["d2", "d1", "d3"], compute)).reused, false, "a matrix with fewer rows than ids");
    assert.equal((await cachedCorpusEmbeddings(cache, KEY, ["d2", "d1"], compute)).reused, false);
    assert.equal((await cachedCorpusEmbeddings(cache, KEY, ["d2", "d1"], compute)).reused, true);
  });
});
