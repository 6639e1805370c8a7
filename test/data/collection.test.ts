/**
 * What the BEIR and MIRACL loaders share (src/data/collection.ts), on small hand-written files:
 * reading lines (gzip, CRLF, the checksum of the bytes), the field checks of a JSONL line, the
 * corpus scan and later passes, grades and judgements. Every error is a DataError naming the file
 * and the line.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import {
  type CollectionDocument,
  type DocumentParser,
  documentText,
  idField,
  JudgementsBuilder,
  type Line,
  parseGrade,
  parseJsonLine,
  readLines,
  scanCorpus,
  streamCorpus,
  textField,
} from "../../src/data/collection.js";
import { DataError } from "../../src/util/errors.js";

/** Asserts that `f` fails with a DataError naming `file` and a problem matching `problem`. */
function throwsData(f: () => unknown, file: string, problem: RegExp): void {
  assert.throws(f, (err: unknown) => {
    assert.ok(err instanceof DataError, `not a DataError: ${String(err)}`);
    assert.equal(err.file, file);
    assert.match(err.problem, problem);
    return true;
  });
}

async function rejectsData(p: Promise<unknown>, file: string, problem: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof DataError, `not a DataError: ${String(err)}`);
    assert.equal(err.file, file);
    assert.match(err.problem, problem);
    return true;
  });
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const line = (number: number, text = ""): Line => ({ number, text });

/** The BEIR parser: `_id`, optional title, required text. */
const parse: DocumentParser = (file, l) => {
  const obj = parseJsonLine(file, l);
  return { id: idField(file, l, obj, "_id"), title: textField(file, l, obj, "title", false), text: textField(file, l, obj, "text", true) };
};

const doc = (id: string, text = `text of ${id}`) => JSON.stringify({ _id: id, title: "", text });

test("documentText: title then text, BEIR's convention; the text alone without a title", () => {
  assert.equal(documentText({ id: "d1", title: "Chlorophyll", text: "absorbs red light" }), "Chlorophyll absorbs red light");
  assert.equal(documentText({ id: "d1", title: "", text: "absorbs red light" }), "absorbs red light");
});

describe("reading files", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-collection-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("readLines numbers lines from 1, gunzips .gz, drops CR of CRLF and hashes the bytes as stored", async () => {
    const text = "first\r\nsécond\n\nlast";
    const plain = join(dir, "a.tsv");
    const gz = join(dir, "a.tsv.gz");
    await writeFile(plain, text);
    await writeFile(gz, gzipSync(Buffer.from(text)));
    const want = [line(1, "first"), line(2, "sécond"), line(3, ""), line(4, "last")];
    for (const file of [plain, gz]) {
      const hash = createHash("sha256");
      assert.deepEqual(await collect(readLines(file, hash)), want, file);
      assert.equal(hash.digest("hex"), createHash("sha256").update(await readFile(file)).digest("hex"), `${file}: the stored (compressed) bytes`);
    }
  });

  test("readLines: a missing file, or a .gz that is not gzip, is a DataError naming it", async () => {
    const missing = join(dir, "missing.jsonl");
    await rejectsData(collect(readLines(missing)), missing, /^cannot be read \(ENOENT\)$/);
    const fake = join(dir, "fake.jsonl.gz");
    await writeFile(fake, "not gzip\n");
    await rejectsData(collect(readLines(fake)), fake, /^read failed after line 0: /);
  });

  test("scanCorpus: ids in order over every file, blank lines skipped, one checksum of all the bytes", async () => {
    const a = join(dir, "docs-0.jsonl");
    const b = join(dir, "docs-1.jsonl.gz");
    await writeFile(a, `${doc("d1")}\n\n${doc("d2")}\n`);
    await writeFile(b, gzipSync(`${doc("d3")}\n`));
    const scan = await scanCorpus([a, b], parse);
    assert.deepEqual(scan.docIds, ["d1", "d2", "d3"]);
    assert.deepEqual([...scan.indexOf], [["d1", 0], ["d2", 1], ["d3", 2]]);
    const bytes = Buffer.concat([await readFile(a), await readFile(b)]);
    assert.equal(scan.checksum, createHash("sha256").update(bytes).digest("hex"));
    assert.notEqual((await scanCorpus([b, a], parse)).checksum, scan.checksum, "the reading order is part of the checksum");
  });

  test("scanCorpus: a duplicate id (across files too) names the line and the first document; a corpus of blank files names the first", async () => {
    const a = join(dir, "dup-0.jsonl");
    const b = join(dir, "dup-1.jsonl");
    await writeFile(a, `${doc("x")}\n${doc("y")}\n`);
    await writeFile(b, `${doc("z")}\n${doc("y")}\n`);
    await rejectsData(scanCorpus([a, b], parse), b, /^line 2: duplicate document id 'y' \(first as document 2 of the corpus\)$/);
    const empty = join(dir, "empty.jsonl");
    const blank = join(dir, "blank.jsonl");
    await writeFile(empty, "");
    await writeFile(blank, "\n  \n");
    await rejectsData(scanCorpus([blank, empty], parse), blank, /^the corpus holds no documents$/);
    assert.deepEqual((await scanCorpus([empty, a], parse)).docIds, ["x", "y"], "an empty shard among others is fine");
    await assert.rejects(scanCorpus([], parse), /scanCorpus: no corpus files/);
  });

  test("streamCorpus: the documents again, checked against the scan; a changed corpus is refused where it changed", async () => {
    const a = join(dir, "stream.jsonl");
    await writeFile(a, `${JSON.stringify({ _id: 7, title: "T", text: "seven" })}\n${doc("d8", "eight")}\n`);
    const { docIds } = await scanCorpus([a], parse);
    const want: CollectionDocument[] = [
      { id: "7", title: "T", text: "seven" },
      { id: "d8", title: "", text: "eight" },
    ];
    assert.deepEqual(await collect(streamCorpus([a], parse, docIds)), want);
    assert.deepEqual(await collect(streamCorpus([a], parse, docIds)), want, "any number of passes");

    await writeFile(a, `${doc("7")}\n${doc("d9")}\n`);
    await rejectsData(collect(streamCorpus([a], parse, docIds)), a, /^line 2: changed since it was first read \(expected document 'd8'\)$/);
    await writeFile(a, `${doc("7")}\n`);
    await rejectsData(collect(streamCorpus([a], parse, docIds)), a, /^changed since it was first read \(1 documents, was 2\)$/);
  });
});

describe("fields of a line", () => {
  const f = "corpus.jsonl";

  test("parseJsonLine: an object, or the line and why not", () => {
    assert.deepEqual(parseJsonLine(f, line(1, '{"_id": "a", "n": [1]}')), { _id: "a", n: [1] });
    throwsData(() => parseJsonLine(f, line(4, '{"_id": "a",')), f, /^line 4: not valid JSON \(/);
    for (const text of ["[1, 2]", "null", '"text"', "3"]) throwsData(() => parseJsonLine(f, line(2, text)), f, /^line 2: expected a JSON object$/);
  });

  test("idField: a non-empty string without whitespace; a whole number is taken as its digits", () => {
    assert.equal(idField(f, line(1), { _id: "doc-1#0" }, "_id"), "doc-1#0");
    assert.equal(idField(f, line(1), { docid: 12 }, "docid"), "12");
    assert.equal(idField(f, line(1), { docid: 0 }, "docid"), "0");
    for (const v of [undefined, null, "", 1.5, true, ["a"]]) throwsData(() => idField(f, line(3), { _id: v }, "_id"), f, /^line 3: missing id \("_id"\)$/);
    throwsData(() => idField(f, line(5), { _id: "a b" }, "_id"), f, /^line 5: id 'a b' holds whitespace$/);
    throwsData(() => idField(f, line(5), { _id: "a\tb" }, "_id"), f, /^line 5: id 'a\tb' holds whitespace$/);
  });

  test("textField: a string; missing or null is '' unless required; anything else is refused", () => {
    assert.equal(textField(f, line(1), { title: "T" }, "title", false), "T");
    assert.equal(textField(f, line(1), { text: "" }, "text", true), "", "an empty text is still a text");
    assert.equal(textField(f, line(1), {}, "title", false), "");
    assert.equal(textField(f, line(1), { title: null }, "title", false), "");
    throwsData(() => textField(f, line(6), {}, "text", true), f, /^line 6: missing "text"$/);
    throwsData(() => textField(f, line(6), { text: null }, "text", true), f, /^line 6: missing "text"$/);
    throwsData(() => textField(f, line(7), { title: 3 }, "title", false), f, /^line 7: "title" is not a string$/);
  });

  test("parseGrade: a whole number >= 0", () => {
    const q = "qrels/test.tsv";
    assert.equal(parseGrade(q, line(1), "0"), 0);
    assert.equal(parseGrade(q, line(1), "3"), 3);
    assert.equal(parseGrade(q, line(1), "02"), 2);
    for (const text of ["-1", "0.5", "1.0", "", "one", "1e2", " 1", "99999999999999999999"]) {
      throwsData(() => parseGrade(q, line(9), text), q, new RegExp(`^line 9: relevance grade '${text.replace(".", "\\.")}' is not a whole number >= 0$`));
    }
  });
});

describe("JudgementsBuilder", () => {
  const qrels = "qrels/test.tsv";
  const docIndex = new Map([["d0", 0], ["d1", 1], ["d2", 2]]);
  const order = [
    { id: "q1", text: "one" },
    { id: "q2", text: "two" },
    { id: "q3", text: "three" },
  ];

  test("judgements by document index, queries in the queries file's order, unjudged queries left out", () => {
    const b = new JudgementsBuilder(new Set(["q1", "q2", "q3"]), docIndex, "queries.jsonl");
    b.add(qrels, line(2), "q3", "d2", 1);
    b.add(qrels, line(3), "q1", "d1", 2);
    b.add(qrels, line(4), "q1", "d0", 0);
    b.add(qrels, line(5), "q3", "d1", 2);
    const { queries, judged } = b.build(order, qrels);
    assert.deepEqual(queries, [order[0], order[2]]);
    assert.deepEqual(judged.map((j) => [...j]), [[[1, 2], [0, 0]], [[2, 1], [1, 2]]]);
  });

  test("an unknown query or document, a pair judged twice and no judgements at all are refused", () => {
    const b = new JudgementsBuilder(new Set(["q1"]), docIndex, "queries.jsonl");
    throwsData(() => b.build(order, qrels), qrels, /^holds no judgements$/);
    throwsData(() => b.add(qrels, line(2), "q9", "d0", 1), qrels, /^line 2: query 'q9' is not in queries\.jsonl$/);
    throwsData(() => b.add(qrels, line(3), "q1", "d7", 1), qrels, /^line 3: document 'd7' is not in the corpus$/);
    b.add(qrels, line(4), "q1", "d0", 1);
    throwsData(() => b.add(qrels, line(5), "q1", "d0", 0), qrels, /^line 5: query 'q1' judges document 'd0' twice$/);
  });
});
