import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DataError } from "../../src/util/errors.js";
import { RunDir } from "../../src/train/run-dir.js";

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
