import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathExists } from "../../src/util/fs.js";

test("pathExists: files and directories exist; a missing path, a dangling link and a path through a file do not", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hybrid-ir-fs-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "a.txt"), "x");
  await mkdir(join(dir, "sub"));
  await symlink(join(dir, "gone"), join(dir, "dangling"));
  assert.equal(await pathExists(join(dir, "a.txt")), true);
  assert.equal(await pathExists(join(dir, "sub")), true);
  assert.equal(await pathExists(dir), true);
  assert.equal(await pathExists(join(dir, "missing")), false);
  assert.equal(await pathExists(join(dir, "dangling")), false, "a link is followed");
  assert.equal(await pathExists(join(dir, "a.txt", "below")), false, "ENOTDIR is 'does not exist', not an error");
});
