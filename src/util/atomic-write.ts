import { existsSync, readFileSync } from "node:fs";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/** `<name>.<pid>.tmp`, the temporary name {@link writeFileAtomic} writes under. */
const TEMP_NAME = /^(.+)\.(\d+)\.tmp$/;

/**
 * Writes to `<path>.<pid>.tmp` then renames over `path`, so a crash or Ctrl-C never leaves a
 * half-written file where a reader expects a whole one.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Whether process `pid` runs on this host (EPERM: it runs, under another user). A zombie does not:
 * a killed process whose parent died stays one where PID 1 reaps no orphans (a container's shell),
 * and kill(pid, 0) still succeeds on it.
 */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
  const fields = procStatFields(pid);
  // null: gone since kill(pid, 0), or no /proc, where kill is all there is.
  if (fields === null) return !existsSync("/proc/self");
  return fields[0] !== "Z" && fields[0] !== "X";
}

/**
 * The fields of /proc/<pid>/stat after the command name (so [0] is field 3, the state), or null
 * where it cannot be read. The command name (field 2) is in parentheses and may hold spaces.
 */
export function procStatFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/**
 * Removes the `<name>.<pid>.tmp` files in `dir` (not below) whose writer is no longer running:
 * what a killed {@link writeFileAtomic} leaves. Those of running processes are kept (they may be
 * mid-write). Returns the names removed.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const stale = entries.filter((e) => {
    const m = TEMP_NAME.exec(e);
    return m !== null && Number(m[2]) !== process.pid && !processIsAlive(Number(m[2]));
  });
  for (const e of stale) await rm(join(dir, e), { force: true, recursive: true });
  return stale;
}

/** Whether `name` is a temporary file of {@link writeFileAtomic}. */
export function isTempFileName(name: string): boolean {
  return TEMP_NAME.test(name);
}
