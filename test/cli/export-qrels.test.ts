/** `hybrid-ir export-qrels`: TREC qrels matching the runs `--run-out` writes, for a collection or per LAReQA setting. */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { UsageError } from "../../src/cli/args.js";
import { run, usage } from "../../src/cli/export-qrels.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { capture } from "./capture.js";
import { cli } from "./run-cli.js";

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/collections/", import.meta.url));

describe("hybrid-ir export-qrels", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-collections-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("export-qrels --collection: the split's judgements as TREC qrels", async () => {
    const qrels = join(dir, "beir.qrels");
    assert.equal((await cli("export-qrels", "--collection", join(FIXTURES, "beir-tiny"), "--out", qrels)).code, 0);
    const lines = (await readFile(qrels, "utf8")).trim().split("\n");
    const tsv = (await readFile(join(FIXTURES, "beir-tiny/qrels/test.tsv"), "utf8")).trim().split("\n").slice(1);
    assert.deepEqual(lines.map((l) => l.split(" ")).map(([q, , d, g]) => `${q}\t${d}\t${g}`).sort(), tsv.sort());
  });

  test("--split picks the judgements; the message counts the queries", async () => {
    const qrels = join(dir, "train.qrels");
    const { stderr } = await capture(() => run(["--collection", join(FIXTURES, "beir-tiny"), "--split", "train", "--out", qrels]));
    assert.equal(await readFile(qrels, "utf8"), "q6 0 d01 1\n");
    assert.equal(stderr, `wrote ${qrels} (1 queries)\n`);
  });

  test("--dataset: one file per setting asked for, each answer of each (query, target language) with grade 1", async () => {
    const ds = await loadDataset("mlqa-r");
    const base = join(dir, "lareqa", "mlqa.qrels");
    const { stderr } = await capture(() => run(["--dataset", "mlqa-r", "--run-settings", "cross,mono", "--out", base]));
    assert.deepEqual((await readdir(join(dir, "lareqa"))).sort(), ["mlqa.cross.qrels", "mlqa.mono.qrels"]);
    assert.equal(stderr, `wrote ${join(dir, "lareqa", "mlqa.cross.qrels")}\nwrote ${join(dir, "lareqa", "mlqa.mono.qrels")}\n`);

    // The obvious way: every question's relevant candidates, split by the candidate's language.
    const langOf = new Map(ds.candidates.map((c) => [c.uid, c.lang]));
    const mono: string[] = [];
    const cross: string[] = [];
    for (const q of ds.questions) {
      for (const uid of ds.relevance.get(q.uid)!) {
        const lang = langOf.get(uid)!;
        if (lang === q.lang) mono.push(`${q.uid} 0 ${uid} 1`);
        else cross.push(`${q.uid}>${lang} 0 ${uid} 1`);
      }
    }
    const read = async (name: string) => (await readFile(join(dir, "lareqa", name), "utf8")).trimEnd().split("\n").sort();
    assert.deepEqual(await read("mlqa.mono.qrels"), mono.sort());
    assert.deepEqual(await read("mlqa.cross.qrels"), cross.sort());
    assert.ok(cross.length > mono.length, "a question has answers in several other languages");
  });

  test("no --out, both sources, a bad setting: usage errors, nothing written", async () => {
    const out = join(dir, "never", "x.qrels");
    const usageError = (argv: string[], message: string) =>
      assert.rejects(run(argv), (e: unknown) => e instanceof UsageError && e.message === message, argv.join(" "));
    await usageError(["--dataset", "mlqa-r"], `--out FILE is required\n\n${usage}`);
    await usageError(["--dataset", "mlqa-r", "--collection", join(FIXTURES, "beir-tiny"), "--out", out], `give --dataset or --collection, not both\n\n${usage}`);
    await usageError(["--out", out], `a dataset is required (xquad-r or mlqa-r)\n\n${usage}`);
    await usageError(["--dataset", "mlqa-r", "--run-settings", "multi,dual", "--out", out], "unknown setting 'dual' (expected some of: mono, cross, multi)");
    assert.deepEqual(await readdir(dir).then((names) => names.filter((n) => n === "never")), []);
  });
});
