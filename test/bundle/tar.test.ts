/**
 * The tar writer: byte-identical output for identical input, and an archive GNU tar (when
 * present) unpacks with the same contents, modes and long paths.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { tarChunks, type TarEntry } from "../../scripts/bundle/tar.js";

const LONG_DIR = `top/${"d".repeat(120)}`;
const LONG_NAME = `top/${"n".repeat(130)}.txt`;

function entries(): TarEntry[] {
  return [
    { path: "top/bin/run", data: Buffer.from("#!/bin/sh\necho hi\n"), executable: true },
    { path: "top/empty.txt", data: new Uint8Array(0), executable: false },
    { path: `${LONG_DIR}/file.txt`, data: Buffer.from("deep"), executable: false },
    { path: LONG_NAME, data: Buffer.alloc(1000, 7), executable: false },
    { path: "top/ünïcode.txt", data: Buffer.from("utf-8 name"), executable: false },
  ];
}

async function bytes(items: TarEntry[], mtime: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of tarChunks(items, mtime)) parts.push(chunk);
  return Buffer.concat(parts);
}

describe("tarChunks", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-tar-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("is deterministic and block-aligned", async () => {
    const a = await bytes(entries(), 1_700_000_000);
    const b = await bytes(entries(), 1_700_000_000);
    assert.ok(a.equals(b));
    assert.equal(a.length % 512, 0);
    assert.ok(!a.equals(await bytes(entries(), 1_700_000_001)), "mtime is part of the archive");
  });

  test("refuses paths that would escape the folder", async () => {
    await assert.rejects(bytes([{ path: "../x", data: Buffer.from(""), executable: false }], 0), /unsafe path/);
    await assert.rejects(bytes([{ path: "/etc/x", data: Buffer.from(""), executable: false }], 0), /unsafe path/);
  });

  test("GNU tar unpacks it: contents, modes, long and non-ASCII paths", { skip: spawnSync("tar", ["--version"]).error ? "tar is not installed" : false }, async () => {
    const archive = join(dir, "t.tar");
    await writeFile(archive, await bytes(entries(), 1_700_000_000));
    const r = spawnSync("tar", ["-xf", archive, "-C", dir], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    for (const e of entries()) {
      const path = join(dir, e.path);
      assert.deepEqual(await readFile(path), Buffer.from(e.data), e.path);
      const mode = (await stat(path)).mode & 0o777;
      assert.equal(mode & 0o111 ? "exec" : "plain", e.executable ? "exec" : "plain", `${e.path} mode ${mode.toString(8)}`);
      assert.equal(Math.floor((await stat(path)).mtimeMs / 1000), 1_700_000_000);
    }
    const listing = spawnSync("tar", ["-tvf", archive], { encoding: "utf8" }).stdout;
    assert.match(listing, /^drwxr-xr-x root\/root +0 .* top\/$/m);
  });
});
