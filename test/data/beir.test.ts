/**
 * The BEIR loader on the fixture collections in test/fixtures/collections: what it reads, in which
 * order, and the error each malformed variant gets (file, line, problem).
 */
import assert from "node:assert/strict";
import { appendFile, cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { loadBeirCollection, readJsonlQueries } from "../../src/data/beir.js";
import { DataError } from "../../src/util/errors.js";
import { documents, FIXTURES, gradesOf, malformedFixtureTests } from "./helpers.js";



async function rejectsData(p: Promise<unknown>, file: string, problem: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DataError, `not a DataError: ${String(e)}`);
    assert.equal(e.file, file);
    assert.match(e.problem, problem);
    return true;
  });
}

/** A copy of beir-tiny to modify. */
async function copyOfTiny(t: { after: (f: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "beir-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await cp(join(FIXTURES, "beir-tiny"), dir, { recursive: true });
  return dir;
}

describe("BEIR layout", () => {
  test("reads the split's judged queries in file order, graded qrels and the corpus in order", async () => {
    const c = await loadBeirCollection(join(FIXTURES, "beir-tiny"));
    assert.equal(c.layout, "beir");
    assert.equal(c.split, "test");
    assert.deepEqual(c.queries.map((q) => q.id), ["q1", "q2", "q3", "q4", "q5"]); // q6 is train only
    assert.equal(c.queries[0].text, "why are leaves green");
    assert.equal(c.docIds.length, 12);
    assert.deepEqual(await documents(c), c.docIds);
    assert.deepEqual(gradesOf(c, "q1"), { d05: 2, d02: 2, d01: 1, d06: 0 });
    const train = await loadBeirCollection(join(FIXTURES, "beir-tiny"), "train");
    assert.deepEqual(train.queries.map((q) => q.id), ["q6"]);
  });

  test("the corpus checksum changes with the corpus", async (t) => {
    const dir = await copyOfTiny(t);
    const before = (await loadBeirCollection(dir)).corpusChecksum;
    assert.equal((await loadBeirCollection(dir)).corpusChecksum, before);
    await appendFile(join(dir, "corpus.jsonl"), '{"_id": "d13", "title": "", "text": "new"}\n');
    assert.notEqual((await loadBeirCollection(dir)).corpusChecksum, before);
  });

  test("a corpus changed between the scan and the second pass is refused", async (t) => {
    const dir = await copyOfTiny(t);
    const c = await loadBeirCollection(dir);
    await writeFile(join(dir, "corpus.jsonl"), '{"_id": "other", "text": "x"}\n');
    await assert.rejects(documents(c), (e: unknown) => e instanceof DataError && /line 1: changed since it was first read/.test(e.message));
  });

  test("documents carry their title and text; the collection is named after its directory", async () => {
    const c = await loadBeirCollection(join(FIXTURES, "beir-tiny") + "/");
    assert.equal(c.name, "beir-tiny");
    for await (const d of c.documents()) {
      assert.deepEqual(d, {
        id: "d01",
        title: "Photosynthesis",
        text: "Plants convert light energy into chemical energy stored in glucose.",
      });
      break;
    }
  });
});

describe("malformed BEIR collections: a DataError naming the file, the line and the problem", () => {
  const cases: [string, string, RegExp][] = [
    ["malformed-beir-missing-doc-id", "corpus.jsonl", /line 2: missing id \("_id"\)/],
    ["malformed-beir-duplicate-doc-id", "corpus.jsonl", /line 3: duplicate document id 'a'/],
    ["malformed-beir-duplicate-query-id", "queries.jsonl", /line 2: duplicate query id 'q1' \(first on line 1\)/],
    ["malformed-beir-empty-query", "queries.jsonl", /line 2: query 'q2' is empty/],
    ["malformed-beir-unknown-doc", "qrels/test.tsv", /line 3: document 'zzz' is not in the corpus/],
    ["malformed-beir-unknown-query", "qrels/test.tsv", /line 3: query 'q9' is not in .*queries\.jsonl/],
    ["malformed-beir-bad-grade", "qrels/test.tsv", /line 3: relevance grade '0\.5' is not a whole number >= 0/],
    ["malformed-beir-bad-json", "corpus.jsonl", /line 2: not valid JSON/],
  ];
  malformedFixtureTests((dir) => loadBeirCollection(dir), cases);


  test("qrels: a line without three tab-separated columns; the header only counts on line 1; a split without judgements", async (t) => {
    const dir = await copyOfTiny(t);
    const qrels = join(dir, "qrels", "test.tsv");
    await writeFile(qrels, "query-id\tcorpus-id\tscore\nq1 d01 1\n");
    await rejectsData(loadBeirCollection(dir), qrels, /^line 2: expected 3 tab-separated columns \(query-id, corpus-id, score\), got 1$/);
    await writeFile(qrels, "q1\td01\t1\nquery-id\tcorpus-id\tscore\n");
    await rejectsData(loadBeirCollection(dir), qrels, /^line 2: relevance grade 'score' is not a whole number >= 0$/);
    await writeFile(qrels, "query-id\tcorpus-id\tscore\n\n");
    await rejectsData(loadBeirCollection(dir), qrels, /^holds no judgements$/);
    await rejectsData(loadBeirCollection(dir, "dev"), join(dir, "qrels", "dev.tsv"), /^cannot be read \(ENOENT\)$/);
  });
});

describe("readJsonlQueries", () => {
  test("unique ids (whole numbers as digits) with non-empty texts, blank lines skipped, any id field", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "beir-queries-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await mkdir(dir, { recursive: true });
    const file = join(dir, "queries.jsonl");
    await writeFile(file, '{"qid": 12, "text": "twelve"}\n\n{"qid": "q-a", "text": " padded "}\n');
    assert.deepEqual(await readJsonlQueries(file, "qid"), [
      { id: "12", text: "twelve" },
      { id: "q-a", text: " padded " },
    ]);
    await rejectsData(readJsonlQueries(file, "_id"), file, /^line 1: missing id \("_id"\)$/);
    await writeFile(file, '{"qid": "a", "text": "x"}\n{"qid": "b"}\n');
    await rejectsData(readJsonlQueries(file, "qid"), file, /^line 2: missing "text"$/);
    await writeFile(file, '{"qid": "a", "text": "x"}\n{"qid": "b", "text": "  "}\n');
    await rejectsData(readJsonlQueries(file, "qid"), file, /^line 2: query 'b' is empty$/);
  });
});
