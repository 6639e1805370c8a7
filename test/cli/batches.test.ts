/**
 * `hybrid-ir batches`, in process, on a hand-made records file. The samplers' batches through
 * the command, across epochs and from a benchmark, are checked in test/sampling/cli-batches.test.ts.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { UsageError } from "../../src/cli/args.js";
import { run, usage } from "../../src/cli/batches.js";
import { writeTrainingJsonl, type TrainingRecord } from "../../src/train-data/format.js";
import { DataError } from "../../src/util/errors.js";
import { pathExists } from "../../src/util/fs.js";
import { capture } from "./capture.js";

interface Line {
  step: number;
  epoch: number;
  batch: number;
  kind: string;
  pairs: { group: string; queryLang: string; passageLang: string }[];
}

/** Six questions in English, the first three also in German. */
const RECORDS: TrainingRecord[] = [
  ...["g1", "g2", "g3", "g4", "g5", "g6"].map((group) => ({ group, lang: "en", query: `q ${group}`, positive: `p ${group}` })),
  ...["g1", "g2", "g3"].map((group) => ({ group, lang: "de", query: `F ${group}`, positive: `A ${group}` })),
];

describe("hybrid-ir batches", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-batches-cli-"));
    await writeTrainingJsonl(join(dir, "data", "records.jsonl"), RECORDS);
    await writeFile(join(dir, "run.json"), JSON.stringify({ data: { train: "data/records.jsonl" }, sampler: { name: "x-x", batchSize: 4, seed: 5 } }));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  const linesOf = async (file: string) => (await readFile(file, "utf8")).trimEnd().split("\n").map((l) => JSON.parse(l) as Line);

  test("x-x with a language too small for a batch: that language skipped and named, every batch from the other", async () => {
    const out = join(dir, "x-x.jsonl");
    const { stdout } = await capture(() => run(["--config", join(dir, "run.json"), "--steps", "3", "--out", out]));
    const summary = stdout.trimEnd().split("\n");
    assert.equal(summary[0], "records: 9 in 6 groups, languages de en");
    // 3 groups in both languages: 3 × 2 directed cross-lingual pairs. 6 English groups fill one batch of 4.
    assert.equal(summary[1], "pools: 9 monolingual pairs, 6 cross-lingual pairs (3 groups in ≥ 2 languages); 6 clusters of groups that never share a batch");
    assert.equal(summary[2], "sampler: x-x, batch size 4, seed 5, 1 batches per epoch");
    assert.equal(summary[3], "skipped (fewer groups than the batch size): de");
    assert.equal(summary[4], `wrote 3 batches (3 monolingual, 0 cross-lingual) to ${out}`);

    const lines = await linesOf(out);
    assert.deepEqual(lines.map((l) => l.step), [0, 1, 2]);
    assert.deepEqual(lines.map((l) => [l.epoch, l.batch]), [[0, 0], [1, 0], [2, 0]], "one batch per epoch");
    for (const l of lines) {
      assert.equal(l.kind, "mono");
      assert.equal(l.pairs.length, 4);
      assert.ok(l.pairs.every((p) => p.queryLang === "en" && p.passageLang === "en"), JSON.stringify(l));
      assert.equal(new Set(l.pairs.map((p) => p.group)).size, 4, "no group twice in a batch");
    }
  });

  test("--sampler x-y over the config's: cross-lingual pairs of the groups in both languages", async () => {
    const out = join(dir, "x-y.jsonl");
    const { stdout } = await capture(() => run(["--config", join(dir, "run.json"), "--steps", "2", "--out", out, "--sampler", "x-y", "--batch-size", "2", "--epoch", "3"]));
    assert.match(stdout, /^sampler: x-y, batch size 2, seed 5, \d+ batches per epoch$/m);
    assert.doesNotMatch(stdout, /skipped/);
    const lines = await linesOf(out);
    assert.deepEqual(lines.map((l) => [l.step, l.epoch, l.kind, l.pairs.length]), [[0, 3, "cross", 2], [1, 3, "cross", 2]]);
    for (const p of lines.flatMap((l) => l.pairs)) {
      assert.notEqual(p.queryLang, p.passageLang);
      assert.ok(["g1", "g2", "g3"].includes(p.group), p.group);
    }
  });

  test("bad counts and sampler flags are usage errors; a missing records file an input error; nothing written", async () => {
    const out = join(dir, "never.jsonl");
    const config = join(dir, "run.json");
    const usageError = (argv: string[], message: string) =>
      assert.rejects(run(argv), (e: unknown) => e instanceof UsageError && e.message === `${message}\n\n${usage}`, argv.join(" "));
    await usageError(["--config", config, "--steps", "0", "--out", out], "--steps takes an integer ≥ 1, got '0'");
    await usageError(["--config", config, "--steps", "2", "--out", out, "--epoch=-1"], "--epoch takes an integer ≥ 0, got '-1'");
    await usageError(["--config", config, "--steps", "2", "--out", out, "--batch-size", "many"], "--batch-size takes a number, got 'many'");
    await usageError(["--config", config, "--steps", "2", "--out", out, "--alpha", "0.5", "--sampler", "x-x"], "alpha applies to the hybrid sampler only, not x-x");
    await assert.rejects(run(["--config", config, "--steps", "2", "--out", out, "--sampler", "random"]), (e: unknown) => e instanceof UsageError && /random/.test(e.message));

    await writeFile(join(dir, "lost.json"), JSON.stringify({ data: { train: "nowhere.jsonl" } }));
    await assert.rejects(
      run(["--config", join(dir, "lost.json"), "--steps", "2", "--out", out]),
      (e: unknown) => e instanceof DataError && e.file === join(dir, "nowhere.jsonl") && /cannot read/.test(e.message),
    );
    assert.equal(await pathExists(out), false);
  });
});
