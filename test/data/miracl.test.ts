/**
 * The MIRACL loader on the fixture collections in test/fixtures/collections, and on hand-made
 * variants of its layout: released and plain file names, shards, and the errors of each file.
 */
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { loadMiraclCollection, miraclCorpusFiles } from "../../src/data/miracl.js";
import { DataError } from "../../src/util/errors.js";
import { documents, FIXTURES, gradesOf, malformedFixtureTests } from "./helpers.js";

const TINY = join(FIXTURES, "miracl-tiny");


/** Asserts a DataError naming `file`, its problem matching `problem` (a string: exactly). */
async function rejectsData(p: Promise<unknown>, file: string, problem: RegExp | string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DataError, `not a DataError: ${String(e)}`);
    assert.equal(e.file, file);
    if (typeof problem === "string") assert.equal(e.problem, problem);
    else assert.match(e.problem, problem);
    return true;
  });
}

/** A temporary directory, removed after the test. */
async function tempDir(t: { after: (f: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "miracl-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const docLine = (id: string) => JSON.stringify({ docid: id, title: "T", text: `text of ${id}` });

describe("MIRACL layout", () => {
  test("finds the released file names, reads shards in natural order, gzip included", async () => {
    const c = await loadMiraclCollection(TINY);
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
    await assert.rejects(loadMiraclCollection(TINY, "test"), (e: unknown) => e instanceof DataError && /topics\.test\.tsv/.test(e.message));
  });

  test("plain names at the top of the directory, corpus shards beside them", async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, "topics.train.tsv"), "a\tfirst query\n\nb\tsecond\tquery with a tab\n");
    await writeFile(join(dir, "qrels.train.tsv"), "b Q0 d2 3\n\na\tQ0\td1\t1\n");
    await writeFile(join(dir, "part-10.jsonl"), docLine("d2") + "\n");
    await writeFile(join(dir, "part-9.jsonl"), docLine("d1") + "\n");
    const c = await loadMiraclCollection(dir, "train");
    assert.equal(c.name, dir.split("/").pop());
    assert.deepEqual(c.queries, [
      { id: "a", text: "first query" },
      { id: "b", text: "second\tquery with a tab" },
    ]);
    assert.deepEqual(c.docIds, ["d1", "d2"]);
    assert.deepEqual(gradesOf(c, "b"), { d2: 3 });
  });

  test("miraclCorpusFiles: corpus/ first, else the directory itself, in natural name order; none is an error", async (t) => {
    assert.deepEqual(
      await miraclCorpusFiles(TINY),
      ["docs-0.jsonl", "docs-2.jsonl", "docs-10.jsonl.gz"].map((n) => join(TINY, "corpus", n)),
    );
    const dir = await tempDir(t);
    await writeFile(join(dir, "notes.txt"), "not a shard");
    await rejectsData(miraclCorpusFiles(dir), join(dir, "corpus"), /^missing: no \*\.jsonl or \*\.jsonl\.gz corpus shards/);
    await writeFile(join(dir, "b-2.jsonl.gz"), "");
    await writeFile(join(dir, "b-11.jsonl"), "");
    await writeFile(join(dir, "a.jsonl"), "");
    assert.deepEqual(await miraclCorpusFiles(dir), ["a.jsonl", "b-2.jsonl.gz", "b-11.jsonl"].map((n) => join(dir, n)));
    await mkdir(join(dir, "corpus"));
    await writeFile(join(dir, "corpus", "only.jsonl"), "");
    assert.deepEqual(await miraclCorpusFiles(dir), [join(dir, "corpus", "only.jsonl")], "corpus/ wins over the directory");
  });
});

describe("malformed MIRACL collections: a DataError naming the file, the line and the problem", () => {
  const cases: [string, string, RegExp][] = [
    ["malformed-miracl-unknown-doc", "qrels.dev.tsv", /line 2: document '9#9' is not in the corpus/],
    ["malformed-miracl-empty-query", "topics.dev.tsv", /line 2: query '2' is empty/],
    ["malformed-miracl-missing-doc-id", "corpus/docs-0.jsonl", /line 2: missing id \("docid"\)/],
    ["malformed-miracl-qrels-columns", "qrels.dev.tsv", /line 2: expected 4 columns/],
  ];
  malformedFixtureTests((dir) => loadMiraclCollection(dir), cases);


  test("topics: a line without a query, a blank id, a duplicate id", async (t) => {
    const dir = await tempDir(t);
    await cp(TINY, dir, { recursive: true });
    const topics = join(dir, "topics", "topics.miracl-v1.0-sw-dev.tsv");
    await writeFile(topics, "1\tfine\n2\n");
    await rejectsData(loadMiraclCollection(dir), topics, /^line 2: query '2' is empty$/);
    await writeFile(topics, "1\tfine\n \tno id\n");
    await rejectsData(loadMiraclCollection(dir), topics, /^line 2: missing query id$/);
    await writeFile(topics, "1\tfine\n\n1\tagain\n");
    await rejectsData(loadMiraclCollection(dir), topics, /^line 3: duplicate query id '1' \(first on line 1\)$/);
  });

  test("two topics files for one split, or no qrels for it, are refused with the names found or sought", async (t) => {
    const dir = await tempDir(t);
    await cp(TINY, dir, { recursive: true });
    await writeFile(join(dir, "topics.dev.tsv"), "1\tq\n");
    await rejectsData(
      loadMiraclCollection(dir),
      dir,
      `more than one topics file for split 'dev': ${join(dir, "topics.dev.tsv")}, ${join(dir, "topics", "topics.miracl-v1.0-sw-dev.tsv")}`,
    );
    await rm(join(dir, "topics.dev.tsv"));
    await rename(join(dir, "qrels"), join(dir, "judgements"));
    await rejectsData(
      loadMiraclCollection(dir),
      join(dir, "qrels.dev.tsv"),
      `missing (looked for qrels.dev.tsv and qrels.*-dev.tsv in ${dir} and ${join(dir, "qrels")})`,
    );
  });
});
