/**
 * The collection commands end to end: `bm25 --collection` with `--run-out`, `export-qrels`,
 * a malformed collection (exit 1, file:line message, nothing written), and `evaluate
 * --collection --model mini` writing the corpus embeddings once, reusing them, and not reusing
 * them for a changed corpus.
 */
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { bm25CollectionScorer } from "../../src/baselines/bm25-collection.js";
import { loadCollection } from "../../src/data/load-collection.js";
import { pathExists } from "../../src/util/fs.js";
import type { RankedResult } from "../../src/eval/ranked.js";
import { evaluateCollection } from "../../src/eval/ranked-runs.js";
import { loadXlmrTokenizer } from "../../src/tokenize/xlmr-tokenizer.js";
import { cli } from "./run-cli.js";

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/collections/", import.meta.url));


const trecOf = (stdout: string): RankedResult => Object.values((JSON.parse(stdout) as { trec: Record<string, RankedResult> }).trec)[0];

describe("collection commands", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-collections-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("bm25 --collection --run-out: the library's metrics and run, and export-qrels the matching qrels", async () => {
    const run = join(dir, "bm25.trec");
    const { code, stdout, stderr } = await cli("bm25", "--collection", join(FIXTURES, "beir-tiny"), "--run-out", run, "--tag", "bm25", "--json");
    assert.equal(code, 0, stderr);
    const c = await loadCollection(join(FIXTURES, "beir-tiny"));
    const expected = await evaluateCollection(c, await bm25CollectionScorer(c, await loadXlmrTokenizer()), { runPath: join(dir, "lib.trec"), tag: "bm25" });
    assert.deepEqual(trecOf(stdout), JSON.parse(JSON.stringify(expected)));
    assert.equal(await readFile(run, "utf8"), await readFile(join(dir, "lib.trec"), "utf8"));

    const qrels = join(dir, "beir.qrels");
    assert.equal((await cli("export-qrels", "--collection", join(FIXTURES, "beir-tiny"), "--out", qrels)).code, 0);
    const lines = (await readFile(qrels, "utf8")).trim().split("\n");
    const tsv = (await readFile(join(FIXTURES, "beir-tiny/qrels/test.tsv"), "utf8")).trim().split("\n").slice(1);
    assert.deepEqual(lines.map((l) => l.split(" ")).map(([q, , d, g]) => `${q}\t${d}\t${g}`).sort(), tsv.sort());
  });

  test("a malformed collection: exit 1, the file, line and problem, no stack trace, no run file", async () => {
    const run = join(dir, "bad.trec");
    const { code, stderr } = await cli("bm25", "--collection", join(FIXTURES, "malformed-beir-duplicate-doc-id"), "--run-out", run);
    assert.equal(code, 1);
    assert.match(stderr, /malformed-beir-duplicate-doc-id\/corpus\.jsonl: line 3: duplicate document id 'a'/);
    assert.doesNotMatch(stderr, /\n\s+at /);
    assert.equal(await pathExists(run), false);
  });

  test("evaluate --collection --model mini: corpus embeddings written once, reused, and redone for a changed corpus", async () => {
    const cache = join(dir, "cache");
    const collection = join(dir, "miracl");
    await cp(join(FIXTURES, "miracl-tiny"), collection, { recursive: true });
    const evaluateMini = () => cli("evaluate", "--collection", collection, "--model", "mini", "--embeddings-cache", cache, "--workers", "0", "--json");
    const first = await evaluateMini();
    assert.equal(first.code, 0, first.stderr);
    const wrote = /wrote corpus embeddings (\S+)/.exec(first.stderr)?.[1];
    assert.ok(wrote, first.stderr);
    const second = await evaluateMini();
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, new RegExp(`reused corpus embeddings ${wrote}`));
    assert.deepEqual(trecOf(second.stdout), trecOf(first.stdout));

    await writeFile(join(collection, "corpus/docs-2.jsonl"), '{"docid": "301#0", "title": "Ziwa Victoria", "text": "Ziwa kubwa."}\n{"docid": "302#0", "title": "Ziwa", "text": "Ziwa refu."}\n');
    const third = await evaluateMini();
    assert.equal(third.code, 0, third.stderr);
    const rewrote = /wrote corpus embeddings (\S+)/.exec(third.stderr)?.[1];
    assert.ok(rewrote && rewrote !== wrote, third.stderr);
  });
});
