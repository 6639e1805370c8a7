/** `hybrid-ir evaluate --collection DIR --model M`: encode (corpus embeddings cached), score, print. */
import assert from "node:assert/strict";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { UsageError } from "../../src/cli/args.js";
import { evaluateCollectionWithModel, type EvaluateCollectionFlags } from "../../src/cli/evaluate-collection.js";
import type { RankedResult } from "../../src/eval/ranked.js";
import { DataError } from "../../src/util/errors.js";
import { cli } from "./run-cli.js";

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/collections/", import.meta.url));

const trecOf = (stdout: string): RankedResult => Object.values((JSON.parse(stdout) as { trec: Record<string, RankedResult> }).trec)[0];

describe("hybrid-ir evaluate --collection", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-collections-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

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

  test("bad numbers and backends are usage errors and a missing collection an input error, before a model is loaded", async () => {
    const flags: EvaluateCollectionFlags = {
      collection: join(FIXTURES, "beir-tiny"),
      model: "/nonexistent/model",
      "batch-size": "32",
      seed: "0",
      backend: "wasm",
      tag: "t",
      "embeddings-cache": join(dir, "never"),
    };
    const usageError = (changed: Partial<EvaluateCollectionFlags>, message: string | RegExp) =>
      assert.rejects(
        evaluateCollectionWithModel({ ...flags, ...changed }),
        (e: unknown) => e instanceof UsageError && (typeof message === "string" ? e.message === message : message.test(e.message)),
        JSON.stringify(changed),
      );
    await usageError({ "batch-size": "0" }, "--batch-size takes a whole number >= 1, got '0'");
    await usageError({ seed: "-1" }, "--seed takes a whole number >= 0, got '-1'");
    await usageError({ threads: "0" }, "--threads takes a whole number >= 1, got '0'");
    await usageError({ workers: "-1" }, "--workers takes a whole number >= 0, got '-1'");
    await usageError({ workers: "1.5" }, "--workers takes a whole number >= 0, got '1.5'");
    await usageError({ backend: "gpu" }, /^unknown backend 'gpu'/);
    const nowhere = join(dir, "no-collection");
    await assert.rejects(
      evaluateCollectionWithModel({ ...flags, collection: nowhere }),
      (e: unknown) => e instanceof DataError && e.message === `${nowhere}: no such collection directory`,
    );
  });
});
