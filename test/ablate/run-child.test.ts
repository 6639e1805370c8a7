import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { RUN_CHILD, parseRequest, requestArgs, type GridRunRequest } from "../../src/ablate/run-child.js";

/** The child script as the runner starts it; its exit code and stderr. */
async function runScript(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await promisify(execFile)(process.execPath, [RUN_CHILD, ...args]);
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

test("a request survives the trip through the child's arguments; anything else is refused", () => {
  const requests: GridRunRequest[] = [
    { mode: "start", configFile: "/runs/grid/configs/abc.json" },
    { mode: "resume", dir: "/runs/grid/abc" },
  ];
  for (const r of requests) assert.deepEqual(parseRequest(requestArgs(r)), r);
  for (const bad of [[], ["train", "x.json"], ["start"], ["resume", "a", "b"]]) {
    assert.throws(() => parseRequest(bad), /expected "start CONFIG.json" or "resume RUN_DIR"/);
  }
});

test("the script exits 1 naming the file when the config is missing or not a run config, without a stack trace", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hybrid-ir-run-child-"));
  try {
    const missing = await runScript("start", join(dir, "none.json"));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /none\.json: cannot read/);
    await writeFile(join(dir, "bad.json"), JSON.stringify({ stepz: 3 }));
    const bad = await runScript("start", join(dir, "bad.json"));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad\.json.*stepz/);
    assert.doesNotMatch(bad.stderr + missing.stderr, /\n\s+at /);
    const resume = await runScript("resume", join(dir, "no-run"));
    assert.equal(resume.code, 1);
    assert.match(resume.stderr, /no-run\/config\.json: cannot read/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
