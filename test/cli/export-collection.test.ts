/** `hybrid-ir export-collection`: a LAReQA benchmark (or some of its languages) written in BEIR layout. */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { UsageError } from "../../src/cli/args.js";
import { run, usage } from "../../src/cli/export-collection.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { loadCollection } from "../../src/data/load-collection.js";
import { pathExists } from "../../src/util/fs.js";
import { capture } from "./capture.js";

describe("hybrid-ir export-collection", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-export-collection-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("--languages: those languages' pool, read back by the BEIR loader as the same queries, documents and answers", async () => {
    const out = join(dir, "mlqa-de-en");
    const { stderr } = await capture(() => run(["--dataset", "mlqa-r", "--languages", "en, de", "--out", out]));
    const ds = await loadDataset("mlqa-r", { languages: ["de", "en"] });
    assert.equal(stderr, `wrote ${out}: ${ds.questions.length} queries, ${ds.candidates.length} documents\n`);

    const c = await loadCollection(out);
    assert.deepEqual([c.layout, c.split], ["beir", "test"]);
    assert.deepEqual(c.queries, ds.questions.map((q) => ({ id: q.uid, text: q.text })));
    assert.deepEqual(c.docIds, ds.candidates.map((d) => d.uid));
    const texts: string[] = [];
    for await (const doc of c.documents()) texts.push(doc.text);
    assert.deepEqual(texts, ds.candidates.map((d) => d.text));
    // Every answer of every question, in both languages, with grade 1.
    c.queries.forEach((q, i) => {
      assert.deepEqual(
        [...c.judged[i]].map(([d, g]) => [c.docIds[d], g]).sort(),
        [...ds.relevance.get(q.id)!].map((uid) => [uid, 1]).sort(),
        q.id,
      );
    });
    assert.ok(new Set(ds.candidates.map((d) => d.lang)).size === 2);
  });

  test("a missing --out or dataset and a language the benchmark lacks: usage errors, nothing written", async () => {
    const out = join(dir, "never");
    const usageError = (argv: string[], message: string) =>
      assert.rejects(run(argv), (e: unknown) => e instanceof UsageError && e.message === message, argv.join(" "));
    await usageError(["--dataset", "xquad-r"], `--out DIR is required\n\n${usage}`);
    await usageError(["--out", out], `a dataset is required (xquad-r or mlqa-r)\n\n${usage}`);
    await usageError(["--dataset", "mlqa-r", "--languages", "en,el", "--out", out], "mlqa-r has no language 'el' (it has: ar, de, en, es, hi, vi, zh)");
    assert.equal(await pathExists(out), false);
  });
});
