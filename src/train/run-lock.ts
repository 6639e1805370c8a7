/**
 * The owner of a run directory: `run.lock` inside it names the process that writes there (PID,
 * host, start time), so two processes never train into one directory at once, whoever starts
 * them (`train`, the ablation runner's children, a SLURM task, a notebook).
 *
 * The lock file is written whole under another name and hard-linked into place, which fails if
 * one exists: there is never an empty or half-written lock. A lock whose process is gone (same
 * host, PID not running, or running but started at another time: a reused PID) is stale: it is
 * removed, with a line saying so. A lock from another host cannot be checked from here: it is
 * refused with the path to delete once that host's process is known to be gone.
 */
import { readFileSync, unlinkSync } from "node:fs";
import { link, readFile, rename, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { DataError } from "../util/errors.js";
import { processIsAlive, procStatFields } from "../util/atomic-write.js";
import { silentLogger, type Logger } from "../util/logger.js";

export const LOCK_NAME = "run.lock";

/** What run.lock holds. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** ISO time the lock was taken. */
  readonly startedAt: string;
  /** The process's start time in clock ticks after boot (Linux /proc), to tell a reused PID apart; null elsewhere. */
  readonly processStart: string | null;
}

/** Whether the owner still runs: true / false on this host, null when it is on another host. */
export type OwnerLiveness = boolean | null;

export interface HeldLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes the lock if it is still this process's (idempotent). */
  release(): Promise<void>;
}

/** The start time of process `pid` from /proc (field 22 of its stat line), or null where there is no /proc. */
function processStartOf(pid: number): string | null {
  return procStatFields(pid)?.[19] ?? null;
}

function describe(owner: LockOwner): string {
  return `PID ${owner.pid} on ${owner.host} since ${owner.startedAt}`;
}

/** Whether the process that wrote `owner` is still running (null: it ran on another host). */
export function ownerIsAlive(owner: LockOwner): OwnerLiveness {
  if (owner.host !== hostname()) return null;
  if (!processIsAlive(owner.pid)) return false;
  const start = processStartOf(owner.pid);
  return owner.processStart === null || start === null || start === owner.processStart;
}

function parseOwner(text: string, path: string): LockOwner {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DataError(path, `is not a lock this tool wrote (${(err as Error).message}); delete it if no process uses the run`);
  }
  const o = json as Partial<LockOwner> | null;
  if (o === null || typeof o !== "object" || !Number.isSafeInteger(o.pid) || typeof o.host !== "string" || typeof o.startedAt !== "string") {
    throw new DataError(path, `is not a lock this tool wrote (needs pid, host, startedAt); delete it if no process uses the run`);
  }
  return { pid: o.pid!, host: o.host, startedAt: o.startedAt, processStart: typeof o.processStart === "string" ? o.processStart : null };
}

/** Who holds the lock of run directory `dir`, and whether it still runs; null when nobody does. */
export async function readRunLock(dir: string): Promise<{ readonly owner: LockOwner; readonly alive: OwnerLiveness } | null> {
  const path = join(dir, LOCK_NAME);
  const text = await readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  if (text === null) return null;
  const owner = parseOwner(text, path);
  return { owner, alive: ownerIsAlive(owner) };
}

/**
 * Takes the lock of run directory `dir` (which must exist) for this process, removing a stale
 * one (a warning to `logger`). A live or unverifiable owner is a DataError naming it.
 */
export async function acquireRunLock(dir: string, logger: Logger = silentLogger): Promise<HeldLock> {
  const path = join(dir, LOCK_NAME);
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), processStart: processStartOf(process.pid) };
  const text = JSON.stringify(owner) + "\n";
  const mine = `${path}.${process.pid}.tmp`;
  await writeFile(mine, text);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(mine, path);
        return heldLock(path, owner, text);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const seen = await readFile(path, "utf8").catch(() => null);
      if (seen === null) continue; // released meanwhile
      const holder = parseOwner(seen, path);
      const alive = ownerIsAlive(holder);
      if (alive === true) {
        const self = holder.pid === process.pid ? " (this process: a run already open here)" : "";
        throw new DataError(dir, `is in use by ${describe(holder)}${self}: wait for it to finish (lock ${path})`);
      }
      if (alive === null) {
        throw new DataError(dir, `is locked by ${describe(holder)}, which cannot be checked from ${hostname()}: if it no longer runs there, delete ${path}`);
      }
      // Stale. Move it aside and check that what moved is what was judged stale: another process
      // may have replaced it in between, and its live lock then goes back.
      const aside = `${path}.stale-${process.pid}`;
      try {
        await rename(path, aside);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw err;
      }
      const moved = await readFile(aside, "utf8").catch(() => null);
      if (moved !== seen) await link(aside, path).catch(() => undefined);
      else logger.warn(`${dir}: removed the stale lock of ${describe(holder)}: that process is gone`);
      await rm(aside, { force: true });
    }
    throw new DataError(dir, `could not take ${path}: other processes keep taking it`);
  } finally {
    await rm(mine, { force: true });
  }
}

function heldLock(path: string, owner: LockOwner, text: string): HeldLock {
  let held = true;
  // A process.exit() (a second Ctrl-C) skips `finally` blocks; the lock goes with the process anyway.
  const onExit = () => {
    if (!held) return;
    try {
      if (readFileSync(path, "utf8") === text) unlinkSync(path);
    } catch {
      // gone already
    }
  };
  process.on("exit", onExit);
  return {
    path,
    owner,
    async release() {
      if (!held) return;
      held = false;
      process.off("exit", onExit);
      const current = await readFile(path, "utf8").catch(() => null);
      if (current === text) await rm(path, { force: true });
    },
  };
}
