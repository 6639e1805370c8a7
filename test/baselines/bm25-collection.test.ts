/**
 * BM25 on a collection: documents as title then text, tokenized without special tokens chunk by
 * chunk while the corpus streams by, queries likewise; one score row per query.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Bm25Index } from "../../src/baselines/bm25.js";
import { bm25CollectionScorer } from "../../src/baselines/bm25-collection.js";
import { loadBeirCollection } from "../../src/data/beir.js";
import { type Collection, type CollectionDocument, documentText } from "../../src/data/collection.js";
import { mulberry32, randomInt } from "../../src/util/random.js";
import { scoreRows, wordTokenizer } from "./helpers.js";

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/collections/", import.meta.url));

/** A collection over `docs` whose documents() counts how often it is streamed. */
function collectionOf(docs: CollectionDocument[], queries: string[]): Collection & { passes: number } {
  const c = {
    name: "synthetic",
    layout: "beir" as const,
    split: "test",
    queries: queries.map((text, i) => ({ id: `q${i}`, text })),
    judged: queries.map(() => new Map([[0, 1]])),
    docIds: docs.map((d) => d.id),
    corpusChecksum: "x",
    passes: 0,
    documents: async function* () {
      c.passes++;
      yield* docs;
    },
  };
  return c;
}

/** The scores of a hand-built index over the same ids, row by row. */
function expectedRows(docs: readonly CollectionDocument[], queries: readonly string[]): number[][] {
  const tok = wordTokenizer();
  const ids = (text: string) => tok.encode(text, { addSpecialTokens: false }).ids;
  const index = new Bm25Index(docs.map((d) => ids(documentText(d))));
  return queries.map((q) => {
    const row = new Float32Array(docs.length);
    index.scoreInto(ids(q), row);
    return [...row];
  });
}

test("titles count as text: a query term only in a title scores that document", async () => {
  const docs: CollectionDocument[] = [
    { id: "d1", title: "Chlorophyll", text: "The pigment of leaves." },
    { id: "d2", title: "", text: "Lava is molten rock." },
  ];
  const rows = await scoreRows(await bm25CollectionScorer(collectionOf(docs, ["chlorophyll", "lava rock"]), wordTokenizer()));
  assert.ok(rows[0][0] > 0 && rows[0][1] === 0, String(rows[0]));
  assert.ok(rows[1][1] > 0 && rows[1][0] === 0, String(rows[1]));
  assert.deepEqual(rows, expectedRows(docs, ["chlorophyll", "lava rock"]));
});

test("a corpus of thousands: one pass, tokenized in chunks, never with special tokens, scores in corpus order", async () => {
  const rand = mulberry32(3);
  const words = Array.from({ length: 60 }, (_, i) => `w${i}`);
  const text = (n: number) => Array.from({ length: n }, () => words[randomInt(rand, words.length)]).join(" ");
  const docs = Array.from({ length: 2500 }, (_, i) => ({ id: `d${i}`, title: i % 3 === 0 ? text(2) : "", text: text(3 + randomInt(rand, 12)) }));
  const queries = ["w1 w2", "w59", text(4), "absent"];
  const c = collectionOf(docs, queries);
  const tok = wordTokenizer();
  const scorer = await bm25CollectionScorer(c, tok);
  assert.equal(c.passes, 1);
  assert.deepEqual([scorer.numQueries, scorer.numCandidates], [4, 2500]);
  assert.ok(tok.calls.every((call) => call.opts?.addSpecialTokens === false));
  const docCalls = tok.calls.slice(0, -1).map((call) => call.count);
  assert.equal(docCalls.reduce((a, b) => a + b, 0), 2500, "every document tokenized once");
  assert.ok(Math.max(...docCalls) < 2500, `streamed in chunks, not all at once: ${docCalls}`);
  assert.equal(tok.calls[tok.calls.length - 1].count, 4, "the queries last, in one batch");
  assert.deepEqual(await scoreRows(scorer), expectedRows(docs, queries));
});

test("on the BEIR fixture: each query's best document is one judged relevant", async () => {
  const c = await loadBeirCollection(join(FIXTURES, "beir-tiny"));
  const rows = await scoreRows(await bm25CollectionScorer(c, wordTokenizer()));
  rows.forEach((row, q) => {
    const best = row.indexOf(Math.max(...row));
    assert.ok((c.judged[q].get(best) ?? 0) > 0, `${c.queries[q].text}: best is ${c.docIds[best]}`);
  });
});
