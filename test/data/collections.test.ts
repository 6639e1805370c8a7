/**
 * The BEIR and MIRACL loaders on the fixture collections in test/fixtures/collections: what
 * they read, in which order, and the error each malformed variant gets (file, line, problem).
 */
import assert from "node:assert/strict";
import { cp, mkdtemp, rm, writeFile, appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Collection } from "../../src/data/collection.js";
import { DataError } from "../../src/util/errors.js";
import { loadCollection } from "../../src/data/load-collection.js";

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/collections/", import.meta.url));

async function documents(c: Collection): Promise<string[]> {
  const ids: string[] = [];
  for await (const d of c.documents()) ids.push(d.id);
  return ids;
}

function gradesOf(c: Collection, q: string): Record<string, number> {
  const i = c.queries.findIndex((x) => x.id === q);
  return Object.fromEntries([...c.judged[i]].map(([d, g]) => [c.docIds[d], g]));
}

describe("BEIR layout", () => {
  test("reads the split's judged queries in file order, graded qrels and the corpus in order", async () => {
    const c = await loadCollection(join(FIXTURES, "beir-tiny"));
    assert.equal(c.layout, "beir");
    assert.equal(c.split, "test");
    assert.deepEqual(c.queries.map((q) => q.id), ["q1", "q2", "q3", "q4", "q5"]); // q6 is train only
    assert.equal(c.queries[0].text, "why are leaves green");
    assert.equal(c.docIds.length, 12);
    assert.deepEqual(await documents(c), c.docIds);
    assert.deepEqual(gradesOf(c, "q1"), { d05: 2, d02: 2, d01: 1, d06: 0 });
    const train = await loadCollection(join(FIXTURES, "beir-tiny"), { split: "train" });
    assert.deepEqual(train.queries.map((q) => q.id), ["q6"]);
  });

  test("the corpus checksum changes with the corpus", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "beir-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await cp(join(FIXTURES, "beir-tiny"), dir, { recursive: true });
    const before = (await loadCollection(dir)).corpusChecksum;
    assert.equal((await loadCollection(dir)).corpusChecksum, before);
    await appendFile(join(dir, "corpus.jsonl"), '{"_id": "d13", "title": "", "text": "new"}\n');
    assert.notEqual((await loadCollection(dir)).corpusChecksum, before);
  });

  test("a corpus changed between the scan and the second pass is refused", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "beir-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await cp(join(FIXTURES, "beir-tiny"), dir, { recursive: true });
    const c = await loadCollection(dir);
    await writeFile(join(dir, "corpus.jsonl"), '{"_id": "other", "text": "x"}\n');
    await assert.rejects(documents(c), (e: unknown) => e instanceof DataError && /line 1: changed since it was first read/.test(e.message));
  });
});

describe("MIRACL layout", () => {
  test("finds the released file names, reads shards in natural order, gzip included", async () => {
    const c = await loadCollection(join(FIXTURES, "miracl-tiny"));
    assert.equal(c.layout, "miracl");
    assert.equal(c.split, "dev");
    assert.deepEqual(c.queries.map((q) => q.id), ["1", "2", "3"]);
    assert.equal(c.queries[1].text, "Nani alikuwa rais wa kwanza wa Tanzania?");
    // docs-0, docs-2, then docs-10 (gzipped)
    assert.deepEqual(c.docIds, ["101#0", "101#1", "102#0", "301#0", "302#0", "201#0", "202#0"]);
    assert.deepEqual(await documents(c), c.docIds);
    assert.deepEqual(gradesOf(c, "3"), { "301#0": 1, "101#0": 0 });
  });

  test("a missing split names the files it looked for", async () => {
    await assert.rejects(loadCollection(join(FIXTURES, "miracl-tiny"), { split: "test" }), (e: unknown) => e instanceof DataError && /topics\.test\.tsv/.test(e.message));
  });
});

describe("malformed collections: a DataError naming the file, the line and the problem", () => {
  const cases: [string, string, RegExp][] = [
    ["malformed-beir-missing-doc-id", "corpus.jsonl", /line 2: missing id \("_id"\)/],
    ["malformed-beir-duplicate-doc-id", "corpus.jsonl", /line 3: duplicate document id 'a'/],
    ["malformed-beir-duplicate-query-id", "queries.jsonl", /line 2: duplicate query id 'q1' \(first on line 1\)/],
    ["malformed-beir-empty-query", "queries.jsonl", /line 2: query 'q2' is empty/],
    ["malformed-beir-unknown-doc", "qrels/test.tsv", /line 3: document 'zzz' is not in the corpus/],
    ["malformed-beir-unknown-query", "qrels/test.tsv", /line 3: query 'q9' is not in .*queries\.jsonl/],
    ["malformed-beir-bad-grade", "qrels/test.tsv", /line 3: relevance grade '0\.5' is not a whole number >= 0/],
    ["malformed-beir-bad-json", "corpus.jsonl", /line 2: not valid JSON/],
    ["malformed-miracl-unknown-doc", "qrels.dev.tsv", /line 2: document '9#9' is not in the corpus/],
    ["malformed-miracl-empty-query", "topics.dev.tsv", /line 2: query '2' is empty/],
    ["malformed-miracl-missing-doc-id", "corpus/docs-0.jsonl", /line 2: missing id \("docid"\)/],
    ["malformed-miracl-qrels-columns", "qrels.dev.tsv", /line 2: expected 4 columns/],
  ];
  for (const [dir, file, problem] of cases) {
    test(dir, async () => {
      await assert.rejects(loadCollection(join(FIXTURES, dir)), (e: unknown) => {
        assert.ok(e instanceof DataError, `not a DataError: ${String(e)}`);
        assert.equal(e.file, join(FIXTURES, dir, file));
        assert.match(e.message, problem);
        return true;
      });
    });
  }
  test("a directory in neither layout", async () => {
    await assert.rejects(loadCollection(FIXTURES), (e: unknown) => e instanceof DataError && /neither a BEIR collection .* nor a MIRACL one/.test(e.message));
  });
  test("a directory that is no collection", async () => {
    await assert.rejects(loadCollection(join(FIXTURES, "nowhere")), (e: unknown) => e instanceof DataError && /no such collection directory/.test(e.message));
  });
});

