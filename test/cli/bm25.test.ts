/** `hybrid-ir bm25`: the BM25 baseline on a collection (and the flags it shares with the dataset mode). */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { bm25CollectionScorer } from "../../src/baselines/bm25-collection.js";
import { UsageError } from "../../src/cli/args.js";
import { run as bm25, usage } from "../../src/cli/bm25.js";
import { loadCollection } from "../../src/data/load-collection.js";
import { pathExists } from "../../src/util/fs.js";
import type { RankedResult } from "../../src/eval/ranked.js";
import { evaluateCollection } from "../../src/eval/ranked-runs.js";
import type { TextTokenizer } from "../../src/tokenize/types.js";
import { loadXlmrTokenizer } from "../../src/tokenize/xlmr-tokenizer.js";
import { capture } from "./capture.js";
import { cli } from "./run-cli.js";

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/collections/", import.meta.url));

/** The vendored XLM-R tokenizer, loaded once for the whole file (a few seconds each time). */
let xlmr: Promise<TextTokenizer> | undefined;
const tokenizer = () => (xlmr ??= loadXlmrTokenizer());

const trecOf = (stdout: string): RankedResult => Object.values((JSON.parse(stdout) as { trec: Record<string, RankedResult> }).trec)[0];

describe("hybrid-ir bm25 --collection", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-collections-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("bm25 --collection --run-out: the library's metrics and run", async () => {
    const run = join(dir, "bm25.trec");
    const { code, stdout, stderr } = await cli("bm25", "--collection", join(FIXTURES, "beir-tiny"), "--run-out", run, "--tag", "bm25", "--json");
    assert.equal(code, 0, stderr);
    const c = await loadCollection(join(FIXTURES, "beir-tiny"));
    const expected = await evaluateCollection(c, await bm25CollectionScorer(c, await tokenizer()), { runPath: join(dir, "lib.trec"), tag: "bm25" });
    assert.deepEqual(trecOf(stdout), JSON.parse(JSON.stringify(expected)));
    assert.equal(await readFile(run, "utf8"), await readFile(join(dir, "lib.trec"), "utf8"));
  });

  test("a malformed collection: exit 1, the file, line and problem, no stack trace, no run file", async () => {
    const run = join(dir, "bad.trec");
    const { code, stderr } = await cli("bm25", "--collection", join(FIXTURES, "malformed-beir-duplicate-doc-id"), "--run-out", run);
    assert.equal(code, 1);
    assert.match(stderr, /malformed-beir-duplicate-doc-id\/corpus\.jsonl: line 3: duplicate document id 'a'/);
    assert.doesNotMatch(stderr, /\n\s+at /);
    assert.equal(await pathExists(run), false);
  });

  test("--k1 and --b reach the scorer: the library's metrics with the same parameters, not the defaults'", async () => {
    const beir = join(FIXTURES, "beir-tiny");
    const { stdout } = await capture(() => bm25(["--collection", beir, "--k1", "0.3", "--b", "0", "--depth", "5", "--json"]));
    const c = await loadCollection(beir);
    const expected = await evaluateCollection(c, await bm25CollectionScorer(c, await tokenizer(), { k1: 0.3, b: 0 }), { depth: 5 });
    const got = trecOf(stdout);
    assert.deepEqual(got, JSON.parse(JSON.stringify(expected)));
    assert.equal(got.depth, 5);
    const defaults = await evaluateCollection(c, await bm25CollectionScorer(c, await tokenizer()), { depth: 5 });
    assert.notDeepEqual(got.mean, defaults.mean, "the fixture tells these parameters apart");
  });

  test("bad --k1 / --b, both a dataset and a collection, and no dataset: usage errors", async () => {
    const beir = join(FIXTURES, "beir-tiny");
    const usageError = (argv: string[], message: string) =>
      assert.rejects(bm25(argv), (e: unknown) => e instanceof UsageError && e.message === message, argv.join(" "));
    await usageError(["--collection", beir, "--k1", "high"], `--k1 and --b take numbers\n\n${usage}`);
    await usageError(["--dataset", "mlqa-r", "--b", "NaN"], `--k1 and --b take numbers\n\n${usage}`);
    await usageError(["--collection", beir, "--dataset", "mlqa-r"], `give --dataset or --collection, not both\n\n${usage}`);
    await usageError([], `a dataset is required (xquad-r or mlqa-r)\n\n${usage}`);
  });
});
