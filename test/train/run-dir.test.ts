import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DataError } from "../../src/util/errors.js";
import { openRunDir, RunDir } from "../../src/train/run-dir.js";

test("metrics.jsonl: a half-written last line (a killed run) is dropped, a bad earlier line is an error", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hybrid-ir-run-dir-"));
  try {
    const run = new RunDir(dir);
    assert.deepEqual(await run.readMetrics(), []);
    const line = JSON.stringify({ type: "val", step: 5, valLoss: 2.5, best: true });
    await writeFile(run.metricsPath, `${line}\n{"type":"train","st`);
    assert.deepEqual(await run.readMetrics(), [JSON.parse(line)]);
    await run.truncateMetrics(5); // what a resumed run does first: rewrites the file whole
    assert.deepEqual(await run.readMetrics(), [JSON.parse(line)]);
    await writeFile(run.metricsPath, `{"type":\n${line}\n`);
    await assert.rejects(run.readMetrics(), (err: unknown) => err instanceof DataError && /line 1 is not JSON/.test(err.message));
    assert.equal(await run.readPerQuery(), null);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

describe("checkpoints", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-run-dir-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("a crash while replacing a checkpoint leaves a whole one, which reopening puts back", async () => {
    const runDir = join(dir, "atomic");
    const run = await openRunDir(runDir);
    const write = (tag: string) => async (d: string) => {
      await writeFile(join(d, "weights"), tag);
      await writeFile(join(d, "trainer-state.json"), "{}");
    };
    await run.saveCheckpoint("last", write("one"));
    await run.saveCheckpoint("last", write("two"));
    assert.equal(await readFile(join(runDir, "checkpoints", "last", "weights"), "utf8"), "two");
    // A writer that fails leaves the old checkpoint in place.
    await assert.rejects(run.saveCheckpoint("last", async () => { throw new Error("disk full"); }), /disk full/);
    assert.equal(await readFile(join(runDir, "checkpoints", "last", "weights"), "utf8"), "two");
    // The state between "rename the old one away" and "rename the new one in".
    const { rename } = await import("node:fs/promises");
    await rename(join(runDir, "checkpoints", "last"), join(runDir, "checkpoints", ".old-last"));
    await writeFile(join(runDir, "config.json"), "{}");
    await run.close();
    await (await openRunDir(runDir, { resume: true })).close();
    assert.equal(await readFile(join(runDir, "checkpoints", "last", "weights"), "utf8"), "two");
    assert.deepEqual((await readdir(join(runDir, "checkpoints"))).sort(), ["last"]);
  });
});
