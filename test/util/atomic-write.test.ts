import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isTempFileName, processIsAlive, procStatFields, removeStaleTempFiles, writeFileAtomic } from "../../src/util/atomic-write.js";

/** The PID of a process that has exited (so, on this host, a dead one). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => child.on("close", resolve));
  return child.pid!;
}

/** Waits (up to 5 s) until /proc shows process `pid` in `state`. */
async function waitForState(pid: number, state: string): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    const fields = procStatFields(pid);
    if (fields?.[0] === state) return fields;
    await new Promise((r) => setTimeout(r, 50));
  }
  return assert.fail(`process ${pid} never reached state ${state}`);
}

describe("atomic writes and their leftovers", () => {
  let dir: string;
  const children: ChildProcess[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-atomic-"));
  });
  after(async () => {
    for (const c of children) c.kill();
    await rm(dir, { recursive: true, force: true });
  });

  /** A Node process that sleeps until the tests end (run as `command`, a link to Node, if given). */
  function sleeper(command = process.execPath): ChildProcess {
    const c = spawn(command, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
    children.push(c);
    return c;
  }

  test("writeFileAtomic makes the parent directories, writes text and bytes exactly, replaces, and leaves no temporary file", async () => {
    const path = join(dir, "a", "b", "results.json");
    await writeFileAtomic(path, "first\n");
    assert.equal(await readFile(path, "utf8"), "first\n");
    const bytes = Uint8Array.from([0, 255, 1, 128, 10]);
    await writeFileAtomic(path, bytes);
    assert.deepEqual(new Uint8Array(await readFile(path)), bytes);
    await writeFileAtomic(path, "");
    assert.equal(await readFile(path, "utf8"), "");
    assert.deepEqual(await readdir(join(dir, "a", "b")), ["results.json"]);
  });

  test("a failed rename removes the temporary file and rethrows; what was there is untouched", async () => {
    const path = join(dir, "occupied");
    await mkdir(join(path, "inner"), { recursive: true });
    await assert.rejects(writeFileAtomic(path, "data"), (err: NodeJS.ErrnoException) => ["EISDIR", "ENOTEMPTY", "EEXIST"].includes(err.code ?? ""));
    assert.deepEqual(await readdir(dir).then((names) => names.filter((n) => n.startsWith("occupied"))), ["occupied"]);
    assert.deepEqual(await readdir(path), ["inner"]);
  });

  test("processIsAlive: this process and a sleeping child are; an exited child is not", async () => {
    assert.equal(processIsAlive(process.pid), true);
    const c = sleeper();
    await waitForState(c.pid!, "S");
    assert.equal(processIsAlive(c.pid!), true);
    assert.equal(processIsAlive(await deadPid()), false);
  });

  test("procStatFields: the fields after the command name, even when the name holds ') ' and spaces", async () => {
    // Field 3 (the state) is [0], field 4 (the parent's PID) is [1].
    assert.equal(procStatFields(process.pid)?.[0], "R", "a process reading its own stat is running");
    const odd = join(dir, "x) (y z");
    await symlink(process.execPath, odd);
    const c = sleeper(odd);
    const fields = await waitForState(c.pid!, "S");
    assert.equal(fields[1], String(process.pid));
    assert.equal(procStatFields(await deadPid()), null);
  });

  test("removeStaleTempFiles removes dead writers' temporary files (not below), keeps live ones and everything else", async () => {
    const tmpDir = join(dir, "stale");
    await mkdir(join(tmpDir, "sub"), { recursive: true });
    const dead = await deadPid();
    const alive = sleeper().pid!;
    const names = {
      dead: `per-query.json.${dead}.tmp`,
      deadDir: `checkpoints.${dead}.tmp`,
      mine: `metrics.jsonl.${process.pid}.tmp`,
      live: `results.json.${alive}.tmp`,
    };
    for (const n of [names.dead, names.mine, names.live, "results.json", "notes.tmp", "x.12a.tmp"]) await writeFile(join(tmpDir, n), "x");
    await mkdir(join(tmpDir, names.deadDir, "inner"), { recursive: true });
    await writeFile(join(tmpDir, "sub", `below.json.${dead}.tmp`), "x");

    assert.deepEqual((await removeStaleTempFiles(tmpDir)).sort(), [names.deadDir, names.dead].sort());
    assert.deepEqual((await readdir(tmpDir)).sort(), [names.mine, names.live, "notes.tmp", "results.json", "sub", "x.12a.tmp"].sort());
    assert.deepEqual(await readdir(join(tmpDir, "sub")), [`below.json.${dead}.tmp`]);
    assert.deepEqual(await removeStaleTempFiles(tmpDir), [], "a second pass finds nothing");
    assert.deepEqual(await removeStaleTempFiles(join(dir, "no-such-dir")), []);
  });

  test("isTempFileName: exactly <name>.<pid>.tmp", () => {
    assert.equal(isTempFileName(`results.json.${process.pid}.tmp`), true);
    assert.equal(isTempFileName("a.1.tmp"), true);
    for (const name of ["results.json.tmp", ".123.tmp", "x.12a.tmp", "x.123.tmp.bak", "x.123.TMP", "results.json"]) {
      assert.equal(isTempFileName(name), false, name);
    }
  });
});
