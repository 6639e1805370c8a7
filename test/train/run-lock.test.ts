import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DataError } from "../../src/util/errors.js";
import { openRunDir } from "../../src/train/run-dir.js";
import { acquireRunLock, LOCK_NAME, readRunLock } from "../../src/train/run-lock.js";
import { processIsAlive, procStatFields, removeStaleTempFiles } from "../../src/util/atomic-write.js";
import { recordingLogger } from "../../src/util/logger.js";

/** Waits (up to 5 s) until /proc says process `pid` is in `state`. */
async function waitForState(pid: number, state: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (procStatFields(pid)?.[0] === state) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`process ${pid} never reached state ${state}`);
}

/** The PID of a process that has exited (so, on this host, a dead one). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => child.on("close", resolve));
  return child.pid!;
}

describe("run directory lock and temporary files", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-lock-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("one owner at a time; the lock names PID, host and start time and goes on release", async () => {
    const run = join(dir, "one");
    await mkdir(run);
    const lock = await acquireRunLock(run);
    const seen = await readRunLock(run);
    assert.deepEqual(seen?.owner, lock.owner);
    assert.equal(seen?.owner.pid, process.pid);
    assert.equal(seen?.owner.host, hostname());
    assert.equal(seen?.alive, true);
    await assert.rejects(acquireRunLock(run), (err: unknown) => err instanceof DataError && /is in use by PID \d+ on .* since .*this process/.test(err.message));
    await lock.release();
    await lock.release();
    assert.equal(await readRunLock(run), null);
    assert.deepEqual(await readdir(run), [], "nothing left: no lock, no temporary file");
  });

  test("a stale lock (dead PID on this host) is reported and taken over; another host's is refused", async () => {
    const run = join(dir, "stale");
    await mkdir(run);
    const pid = await deadPid();
    await writeFile(join(run, LOCK_NAME), JSON.stringify({ pid, host: hostname(), startedAt: "2026-01-01T00:00:00.000Z", processStart: null }));
    assert.equal((await readRunLock(run))?.alive, false);
    const logger = recordingLogger();
    const lock = await acquireRunLock(run, logger);
    assert.deepEqual(logger.records.map((r) => r.level), ["warn"], "taking over a stale lock is a warning");
    assert.match(logger.records[0].message, new RegExp(`removed the stale lock of PID ${pid} on .* since 2026-01-01T00:00:00.000Z: that process is gone`));
    assert.equal((await readRunLock(run))?.owner.pid, process.pid);
    await lock.release();

    // A live PID that started at another time is a reused PID: stale too.
    await writeFile(join(run, LOCK_NAME), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: "x", processStart: "1" }));
    if ((await readRunLock(run))?.alive === false) await (await acquireRunLock(run)).release();

    await writeFile(join(run, LOCK_NAME), JSON.stringify({ pid: 1234, host: "elsewhere.example", startedAt: "2026-01-01T00:00:00.000Z" }));
    await assert.rejects(acquireRunLock(run), (err: unknown) => err instanceof DataError && /locked by PID 1234 on elsewhere\.example.*delete .*run\.lock/.test(err.message));
    await writeFile(join(run, LOCK_NAME), "garbage");
    await assert.rejects(acquireRunLock(run), (err: unknown) => err instanceof DataError && /run\.lock: is not a lock this tool wrote/.test(err.message));
  });

  test("a zombie owner (killed, its parent not reaping it) counts as gone, as in a container whose PID 1 reaps no orphans", async () => {
    // `sleep 0` exits at once; its parent execs into `sleep 3`, which never waits for it: a zombie.
    const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 3"]);
    const zombie = await new Promise<number>((resolve) => parent.stdout.once("data", (d: Buffer) => resolve(Number(String(d).trim()))));
    try {
      await waitForState(zombie, "Z");
      assert.equal(processIsAlive(zombie), false);
      const run = join(dir, "zombie");
      await mkdir(run);
      await writeFile(join(run, LOCK_NAME), JSON.stringify({ pid: zombie, host: hostname(), startedAt: "2026-01-01T00:00:00.000Z", processStart: null }));
      assert.equal((await readRunLock(run))?.alive, false);
      await (await acquireRunLock(run)).release();
      assert.equal(processIsAlive(parent.pid!), true, "a sleeping process is alive");
    } finally {
      parent.kill();
    }
  });

  test("temporary files of killed writers are removed; --overwrite works on a directory holding one", async () => {
    // Issue 15, case 5: `per-query.json.<pid>.tmp` of a killed run made --overwrite refuse the directory.
    const run = join(dir, "tmp");
    await mkdir(join(run, "checkpoints"), { recursive: true });
    const pid = await deadPid();
    await writeFile(join(run, "config.json"), "{}");
    await writeFile(join(run, `per-query.json.${pid}.tmp`), "half");
    await writeFile(join(run, `metrics.jsonl.${process.pid}.tmp`), "mine, being written");
    const opened = await openRunDir(run, { overwrite: true });
    await opened.close();
    assert.deepEqual((await readdir(run)).sort(), ["checkpoints", `metrics.jsonl.${process.pid}.tmp`], "a live writer's file is kept");
    await rm(join(run, `metrics.jsonl.${process.pid}.tmp`));

    // Outside a run directory too (a grid's outputRoot): only dead writers' files go.
    const root = join(dir, "root");
    await mkdir(root);
    await writeFile(join(root, `results.csv.${pid}.tmp`), "half");
    await writeFile(join(root, "results.csv"), "whole");
    assert.deepEqual(await removeStaleTempFiles(root), [`results.csv.${pid}.tmp`]);
    assert.deepEqual(await readdir(root), ["results.csv"]);
  });

  test("a failed open leaves no directory it made, and no lock", async () => {
    const made = join(dir, "made");
    await assert.rejects(openRunDir(made, { resume: true }), /holds no run to resume/);
    await assert.rejects(readdir(made), { code: "ENOENT" });
    const busy = join(dir, "busy");
    await mkdir(busy);
    await writeFile(join(busy, "notes.txt"), "mine");
    await assert.rejects(openRunDir(busy), /is not empty/);
    assert.deepEqual(await readdir(busy), ["notes.txt"]);
    assert.equal(await readFile(join(busy, "notes.txt"), "utf8"), "mine");
  });
});
