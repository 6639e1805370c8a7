/**
 * TREC interchange files (`trec.ts`): the run and qrels line formats, scores that parse back to
 * the same number, ids TREC cannot carry, and the temp-file-then-rename writing that leaves no
 * half-written file behind.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { formatScore, TrecQrelsWriter, TrecRunWriter, writeQrels } from "../../src/eval/trec.js";
import { mulberry32, randomNormal } from "../../src/util/random.js";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "hybrid-ir-trec-"));
});
after(() => rm(dir, { recursive: true, force: true }));

const lines = async (path: string): Promise<string[]> => (await readFile(path, "utf8")).split("\n");

describe("formatScore", () => {
  test("every finite double, float32 scores included, parses back to itself", () => {
    const rand = mulberry32(1);
    const values = [0, -0.5, 1e-300, -123456.789, 2 ** 60, Math.fround(0.1), ...Array.from({ length: 1000 }, () => randomNormal(rand) * 10 ** (randomNormal(rand) * 5))];
    for (const v of [...values, ...Float32Array.from(values)]) {
      const text = formatScore(v);
      assert.equal(Number(text), v, text);
      assert.doesNotMatch(text, /\s/);
    }
  });

  test("refuses NaN and the infinities", () => {
    assert.throws(() => formatScore(NaN), { name: "RangeError", message: "score NaN cannot go into a TREC run" });
    assert.throws(() => formatScore(Infinity), { name: "RangeError", message: "score Infinity cannot go into a TREC run" });
    assert.throws(() => formatScore(-Infinity), /score -Infinity cannot go into a TREC run/);
  });
});

describe("TrecRunWriter", () => {
  test("one `qid Q0 docid rank score tag` line per document, ranks from 1 per query, scores read at the row's offset", async () => {
    const path = join(dir, "nested", "deeper", "a.run");
    const run = new TrecRunWriter(path, ["d0", "d1", "d2", "d3"], "bm25");
    // Two rows of one block: row 0 at offset 0, row 1 at offset 4.
    const block = Float32Array.from([0.5, 0.25, 1.5, -2, 9, 8, 7, 6]);
    run.write("q1", [2, 0, 1], block, 0);
    run.write("q2", Int32Array.from([0, 3]), block, 4);
    // Nothing at the target until close: the lines go to `<path>.<pid>.tmp`.
    assert.equal(existsSync(path), false);
    assert.equal(existsSync(`${path}.${process.pid}.tmp`), true);
    run.close();
    assert.deepEqual(await lines(path), [
      "q1 Q0 d2 1 1.5 bm25",
      "q1 Q0 d0 2 0.5 bm25",
      "q1 Q0 d1 3 0.25 bm25",
      "q2 Q0 d0 1 9 bm25",
      "q2 Q0 d3 2 6 bm25",
      "",
    ]);
    assert.deepEqual(await readdir(join(dir, "nested", "deeper")), ["a.run"], "the temp file is renamed, not copied");
    run.close(); // a second close does nothing
    assert.throws(() => run.write("q3", [0], block, 0), { message: `${path}: written after close` });
  });

  test("a file larger than the write buffer comes out whole and in order", async () => {
    const path = join(dir, "big.run");
    const docIds = Array.from({ length: 1000 }, (_, i) => `doc-${i}`);
    const row = Float32Array.from(docIds, (_, i) => 1000 - i);
    const ranking = Int32Array.from(docIds, (_, i) => i);
    const run = new TrecRunWriter(path, docIds, "t");
    for (let q = 0; q < 50; q++) run.write(`query-${q}`, ranking, row, 0);
    run.close();
    const text = await lines(path);
    assert.ok(text.join("\n").length > 1 << 20, "more than one buffer's worth");
    assert.equal(text.length, 50 * 1000 + 1);
    assert.equal(text[0], "query-0 Q0 doc-0 1 1000 t");
    assert.equal(text[50 * 1000 - 1], "query-49 Q0 doc-999 1000 1 t");
    assert.equal(text[1234], "query-1 Q0 doc-234 235 766 t");
  });

  test("refuses ids TREC's whitespace-separated columns cannot carry", () => {
    assert.throws(() => new TrecRunWriter(join(dir, "tag.run"), ["d"], "my run"), {
      name: "RangeError",
      message: "run tag 'my run' is empty or holds whitespace, which TREC files cannot carry",
    });
    assert.equal(existsSync(join(dir, "tag.run")), false);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith("tag.run")), [], "no temporary file left by the refused tag");
    const run = new TrecRunWriter(join(dir, "ids.run"), ["good", "bad\tid", ""], "t");
    try {
      assert.throws(() => run.write("q 1", [0], [1], 0), { message: "query id 'q 1' is empty or holds whitespace, which TREC files cannot carry" });
      assert.throws(() => run.write("", [0], [1], 0), /query id '' is empty or holds whitespace/);
      assert.throws(() => run.write("q1", [1], [1, 1], 0), { message: "document id 'bad\tid' is empty or holds whitespace, which TREC files cannot carry" });
      assert.throws(() => run.write("q1", [2], [1, 1, 1], 0), /document id '' is empty/);
      assert.throws(() => run.write("q1", [0], [NaN], 0), /score NaN cannot go into a TREC run/);
    } finally {
      run.abort();
    }
  });

  test("abort drops the temp file and leaves an existing target as it was", async () => {
    const path = join(dir, "kept.run");
    await writeFile(path, "an earlier run\n");
    const run = new TrecRunWriter(path, ["d0"], "t");
    run.write("q1", [0], [1], 0);
    run.abort();
    run.abort(); // idempotent
    assert.equal(await readFile(path, "utf8"), "an earlier run\n");
    assert.equal(existsSync(`${path}.${process.pid}.tmp`), false);
    assert.throws(() => run.write("q2", [0], [1], 0), /written after close/);
  });
});

describe("qrels", () => {
  test("TrecQrelsWriter writes `qid 0 docid grade` and refuses a grade that is not an integer", async () => {
    const path = join(dir, "a.qrels");
    const qrels = new TrecQrelsWriter(path);
    qrels.write("q1", "d2", 2);
    qrels.write("q1", "d7", 0);
    qrels.write("q2", "d1", -1);
    assert.throws(() => qrels.write("q2", "d3", 1.5), { name: "RangeError", message: "grade 1.5 of q2/d3 is not an integer" });
    assert.throws(() => qrels.write("q 2", "d3", 1), /query id 'q 2' is empty or holds whitespace/);
    assert.throws(() => qrels.write("q2", "d 3", 1), /document id 'd 3' is empty or holds whitespace/);
    qrels.close();
    assert.deepEqual(await lines(path), ["q1 0 d2 2", "q1 0 d7 0", "q2 0 d1 -1", ""]);
  });

  test("writeQrels writes every query's judgements, in the order given", async () => {
    const path = join(dir, "b.qrels");
    writeQrels(path, [
      { id: "q1", judged: new Map([["d9", 1], ["d1", 3]]) },
      { id: "q2", judged: [] },
      { id: "q3", judged: [["d4", 1]] },
    ]);
    assert.deepEqual(await lines(path), ["q1 0 d9 1", "q1 0 d1 3", "q3 0 d4 1", ""]);
  });

  test("writeQrels that fails part way leaves the target as it was and no temp file", async () => {
    const path = join(dir, "c.qrels");
    await writeFile(path, "old\n");
    const queries = [
      { id: "q1", judged: [["d1", 1]] as [string, number][] },
      { id: "q2", judged: [["d2", 0.5]] as [string, number][] },
    ];
    assert.throws(() => writeQrels(path, queries), /grade 0\.5 of q2\/d2 is not an integer/);
    assert.equal(await readFile(path, "utf8"), "old\n");
    // An error thrown by the caller's iterable is handled the same way.
    function* failing(): Generator<{ id: string; judged: [string, number][] }> {
      yield { id: "q1", judged: [["d1", 1]] };
      throw new Error("the source broke");
    }
    const fresh = join(dir, "d.qrels");
    assert.throws(() => writeQrels(fresh, failing()), /the source broke/);
    assert.equal(existsSync(fresh), false);
    assert.equal(existsSync(`${path}.${process.pid}.tmp`), false);
    assert.equal(existsSync(`${fresh}.${process.pid}.tmp`), false);
  });
});
