/**
 * A LAReQA dataset as a collection (every question against the candidate pool, relevant = grade
 * 1), and any collection written in BEIR's layout and read back by the BEIR loader.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadBeirCollection } from "../../src/data/beir.js";
import type { Collection, CollectionDocument } from "../../src/data/collection.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { collectionFromDataset, writeBeirCollection } from "../../src/data/lareqa-collection.js";
import type { RetrievalDataset } from "../../src/data/types.js";

async function documents(c: Collection): Promise<CollectionDocument[]> {
  const out: CollectionDocument[] = [];
  for await (const d of c.documents()) out.push(d);
  return out;
}

describe("collectionFromDataset", () => {
  let ds: RetrievalDataset;
  before(async () => {
    ds = await loadDataset("xquad-r", { languages: ["de", "en"], maxQuestionIds: 3 });
  });

  test("queries are the questions by uid, documents the candidate sentences without a title, in order", async () => {
    const c = collectionFromDataset(ds);
    assert.deepEqual([c.name, c.layout, c.split], ["xquad-r", "lareqa", "test"]);
    assert.deepEqual(c.queries, ds.questions.map((q) => ({ id: q.uid, text: q.text })));
    assert.equal(c.queries.length, 6);
    assert.deepEqual(c.docIds, ds.candidates.map((x) => x.uid));
    assert.deepEqual(await documents(c), ds.candidates.map((x) => ({ id: x.uid, title: "", text: x.text })));
    assert.equal(c.corpusChecksum, `lareqa:xquad-r:de,en:${ds.candidates.length}`);
  });

  test("judgements: each relevant candidate, by index, with grade 1; nothing else judged", () => {
    const c = collectionFromDataset(ds);
    c.queries.forEach((q, i) => {
      const judged = c.judged[i];
      assert.deepEqual(new Set([...judged.keys()].map((d) => c.docIds[d])), ds.relevance.get(q.id), q.id);
      assert.deepEqual(new Set(judged.values()), new Set([1]));
      // XQuAD-R: the answer sentence in each of the two loaded languages.
      assert.deepEqual([...judged.keys()].map((d) => c.docIds[d].slice(0, 3)).sort(), ["de_", "en_"]);
    });
  });

  test("a question without a relevance entry is an error naming the dataset and the question", () => {
    const broken: RetrievalDataset = { ...ds, relevance: new Map([...ds.relevance].slice(1)) };
    assert.throws(() => collectionFromDataset(broken), { message: `xquad-r: question ${ds.questions[0].uid} has no relevance entry` });
  });
});

describe("writeBeirCollection", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-lareqa-beir-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** Graded, with titles, judgements out of document order, an unjudged document and a split name. */
  const docs: CollectionDocument[] = [
    { id: "d0", title: "Leaves", text: "Chlorophyll reflects green light." },
    { id: "d1", title: "", text: 'Text with "quotes"\tand a tab.' },
    { id: "d2", title: "Unjudged", text: "Nobody asks about this one." },
  ];
  const hand: Collection = {
    name: "hand",
    layout: "lareqa",
    split: "dev",
    queries: [
      { id: "q1", text: "why are leaves green" },
      { id: "q2", text: "quotes?" },
    ],
    judged: [new Map([[1, 0], [0, 2]]), new Map([[1, 1]])],
    docIds: docs.map((d) => d.id),
    corpusChecksum: "x",
    documents: async function* () {
      yield* docs;
    },
  };

  test("writes corpus.jsonl, queries.jsonl and qrels/<split>.tsv (judgements in document order)", async () => {
    const out = join(dir, "hand");
    await writeBeirCollection(out, hand);
    assert.deepEqual((await readdir(out)).sort(), ["corpus.jsonl", "qrels", "queries.jsonl"]);
    assert.deepEqual(await readdir(join(out, "qrels")), ["dev.tsv"]);
    assert.equal(await readFile(join(out, "qrels", "dev.tsv"), "utf8"), "query-id\tcorpus-id\tscore\nq1\td0\t2\nq1\td1\t0\nq2\td1\t1\n");
    assert.equal(
      await readFile(join(out, "queries.jsonl"), "utf8"),
      '{"_id":"q1","text":"why are leaves green"}\n{"_id":"q2","text":"quotes?"}\n',
    );
    const corpus = (await readFile(join(out, "corpus.jsonl"), "utf8")).split("\n");
    assert.equal(corpus.length, 4);
    assert.equal(corpus[3], "");
    assert.deepEqual(corpus.slice(0, 3).map((l) => JSON.parse(l)), docs.map((d) => ({ _id: d.id, title: d.title, text: d.text })));
  });

  test("the BEIR loader reads back the same queries, documents and judgements", async () => {
    const out = join(dir, "back");
    await writeBeirCollection(out, hand);
    const back = await loadBeirCollection(out, "dev");
    assert.deepEqual(back.queries, hand.queries);
    assert.deepEqual(back.docIds, hand.docIds);
    assert.deepEqual(back.judged, hand.judged);
    assert.deepEqual(await documents(back), docs);
  });

  test("a LAReQA subset round-trips through the BEIR layout", async () => {
    const ds = await loadDataset("xquad-r", { languages: ["el", "th"], maxQuestionIds: 4 });
    const original = collectionFromDataset(ds);
    const out = join(dir, "xquad-r");
    await writeBeirCollection(out, original);
    const back = await loadBeirCollection(out);
    assert.deepEqual([back.name, back.layout, back.split], ["xquad-r", "beir", "test"]);
    assert.deepEqual(back.queries, original.queries);
    assert.deepEqual(back.docIds, original.docIds);
    assert.deepEqual(back.judged, original.judged);
    assert.deepEqual(await documents(back), await documents(original));
  });
});
