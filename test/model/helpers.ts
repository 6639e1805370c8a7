import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { DataError } from "../../src/data/errors.js";

/** Asserts a DataError about `file` whose message matches every pattern. */
export function rejectsData(promise: Promise<unknown>, file: string, ...res: RegExp[]): Promise<void> {
  return assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof DataError, `expected DataError, got ${String(err)}`);
    assert.equal(err.file, file);
    for (const re of res) assert.match(err.message, re);
    return true;
  });
}

/** Inside a describe(): a temp root removed afterwards, and a new empty directory per call. */
export function freshDirs(prefix: string): () => Promise<string> {
  let root = "";
  let count = 0;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  return async () => {
    const dir = join(root, `m${count++}`);
    await mkdir(dir);
    return dir;
  };
}
