import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { DataError } from "../../src/util/errors.js";
import { openRunDir } from "../../src/train/run-dir.js";
import { train } from "../../src/train/trainer.js";
import { quiet, tinyConfig, trainingWorkspace } from "./helpers.js";

// What train() checks and holds around the loop; the loop itself (validation, checkpoints, each
// way a run ends) is tested in training-loop.test.ts.
describe("train", () => {
  const workspace = trainingWorkspace("hybrid-ir-train-");
  let dir: string;
  before(() => {
    dir = workspace();
  });

  test("a failed start leaves no run directory behind, so the same command works once fixed", async () => {
    // Issue 15, case 3: each of these used to leave a half-made directory ("is not empty: pass --resume").
    const corrupt = join(dir, "corrupt.jsonl");
    await writeFile(corrupt, (await readFile(join(dir, "train.jsonl"), "utf8")).replace(/\n.*$/s, "\nnull\n"));
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["batch", { sampler: { name: "hybrid", batchSize: 4000, seed: 3 } }, /sampler.*batch/i],
      ["model", { model: { ref: join(dir, "no-such-model") } }, /no-such-model/],
      ["missing", { data: { train: "no-such.jsonl", validationFraction: 0.25 } }, /no-such\.jsonl/],
      ["corrupt", { data: { train: "corrupt.jsonl", validationFraction: 0.25 } }, /corrupt\.jsonl: line 2: expected a JSON object/],
    ];
    for (const [name, overrides, message] of cases) {
      const config = tinyConfig(dir, { ...overrides, outputDir: `failed-${name}` });
      await assert.rejects(train(config, quiet), (err: unknown) => err instanceof DataError && message.test(err.message), name);
      await assert.rejects(readdir(config.outputDir), { code: "ENOENT" }, `${name}: no directory left`);
    }
    // An empty directory made by the user stays, empty.
    const mine = join(dir, "failed-mine");
    await mkdir(mine);
    await assert.rejects(train(tinyConfig(dir, { ...cases[0][1], outputDir: "failed-mine" }), quiet), DataError);
    assert.deepEqual(await readdir(mine), []);
  });

  test("a run holds its directory's lock while it trains: another opener is refused", async () => {
    // Issue 15, case 2 in one process (a notebook); test/cli/train.test.ts has two processes.
    const config = tinyConfig(dir, { steps: 30, validateEvery: 0, checkpointEvery: 2, outputDir: "locked" });
    let second: Promise<unknown> | null = null;
    let owner: { pid: number } | null = null;
    const first = await train(config, {
      ...quiet,
      onStep: ({ step }) => {
        if (step !== 2) return;
        owner = JSON.parse(readFileSync(join(config.outputDir, "run.lock"), "utf8")) as { pid: number };
        second = openRunDir(config.outputDir, { resume: true });
        second.catch(() => undefined); // asserted below
      },
    });
    assert.equal(first.status, "completed");
    assert.equal(owner!.pid, process.pid);
    assert.ok(second !== null);
    await assert.rejects(second, (err: unknown) => err instanceof DataError && /is in use by PID \d+ on .* \(this process/.test(err.message));
    assert.deepEqual((await readdir(config.outputDir)).sort(), ["checkpoints", "config.json", "metrics.jsonl"], "the lock is gone with the run");
  });

  test("refuses a non-empty output directory unless resuming or overwriting a run", async () => {
    const busy = join(dir, "busy");
    await mkdir(busy);
    await writeFile(join(busy, "notes.txt"), "mine");
    const config = tinyConfig(dir, { outputDir: "busy" });
    await assert.rejects(train(config, quiet), (err: unknown) => err instanceof DataError && /is not empty: pass --resume/.test(err.message));
    await assert.rejects(openRunDir(busy, { overwrite: true }), /deletes only a run's files.*notes\.txt/);
    await assert.rejects(openRunDir(busy, { resume: true }), /holds no run to resume/);
    assert.equal(await readFile(join(busy, "notes.txt"), "utf8"), "mine");
    // A previous run's directory (the locked run's, trained above) is emptied by --overwrite.
    const previous = join(dir, "locked");
    await (await openRunDir(previous, { overwrite: true })).close();
    assert.deepEqual(await readdir(previous), ["checkpoints"]);
  });
});
