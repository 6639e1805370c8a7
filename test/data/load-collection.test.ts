/** loadCollection picks the layout from what the directory holds, and the layout's default split. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { DataError } from "../../src/util/errors.js";
import { loadCollection } from "../../src/data/load-collection.js";
import { FIXTURES } from "./helpers.js";


describe("the layout of a collection directory", () => {
  test("corpus.jsonl means BEIR, split 'test' unless told", async () => {
    const c = await loadCollection(join(FIXTURES, "beir-tiny"));
    assert.deepEqual([c.layout, c.split, c.queries.length], ["beir", "test", 5]);
    const train = await loadCollection(join(FIXTURES, "beir-tiny"), { split: "train" });
    assert.deepEqual([train.layout, train.split, train.queries.map((q) => q.id)], ["beir", "train", ["q6"]]);
  });

  test("a topics file (in topics/ or at the top) means MIRACL, split 'dev' unless told", async () => {
    const c = await loadCollection(join(FIXTURES, "miracl-tiny"));
    assert.deepEqual([c.layout, c.split, c.queries.length], ["miracl", "dev", 3]);
    // malformed-miracl-* keep topics.dev.tsv at the top: detected, then refused by the MIRACL loader.
    await assert.rejects(loadCollection(join(FIXTURES, "malformed-miracl-qrels-columns")), /qrels\.dev\.tsv: line 2: expected 4 columns/);
    // The split is passed on: the fixture has no test topics.
    await assert.rejects(loadCollection(join(FIXTURES, "miracl-tiny"), { split: "test" }), /topics\.test\.tsv/);
  });
});

describe("directories that are no collection", () => {
  test("a file where the collection directory should be", async () => {
    const file = join(FIXTURES, "beir-tiny", "corpus.jsonl");
    await assert.rejects(loadCollection(file), (e: unknown) => e instanceof DataError && e.message.startsWith(file) && /is a file; a collection is a directory/.test(e.message));
  });
  test("a directory in neither layout", async () => {
    await assert.rejects(loadCollection(FIXTURES), (e: unknown) => e instanceof DataError && /neither a BEIR collection .* nor a MIRACL one/.test(e.message));
  });
  test("a directory that is no collection", async () => {
    await assert.rejects(loadCollection(join(FIXTURES, "nowhere")), (e: unknown) => e instanceof DataError && /no such collection directory/.test(e.message));
  });
});
