/**
 * The processes a JupyterLab session left, read from /proc (Linux): kernels run in sessions of
 * their own and outlive a killed server, so "no process left behind" is checked by what the
 * processes are, not by their parent.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** The command line, arguments joined by spaces. */
  readonly command: string;
  /** The working directory ("" when it cannot be read). */
  readonly cwd: string;
}

/** Every process this user can see, except zombies (they hold nothing and are gone once reaped). */
export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name is in parentheses and may hold spaces; the fields after it are fixed.
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state === "Z") continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
      let cwd = "";
      try {
        cwd = readlinkSync(`/proc/${entry}/cwd`);
      } catch {
        // Another user's process.
      }
      out.push({ pid: Number(entry), ppid: Number(ppid), command, cwd });
    } catch {
      // Exited while being read.
    }
  }
  return out;
}

/** The processes descended from `pid` (not itself). */
export function descendants(pid: number, all: readonly ProcessInfo[] = listProcesses()): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const children = all.filter((p) => frontier.includes(p.ppid));
    found.push(...children);
    frontier = children.map((p) => p.pid);
  }
  return found;
}

/** Processes working in `dir` or naming it on their command line, other than this one. */
export function processesUsing(dir: string, all: readonly ProcessInfo[] = listProcesses()): ProcessInfo[] {
  return all.filter((p) => p.pid !== process.pid && (p.cwd === dir || p.cwd.startsWith(`${dir}/`) || p.command.includes(dir)));
}

/** The tslab kernels working in `dir`. */
export function kernelsIn(dir: string, all: readonly ProcessInfo[] = listProcesses()): ProcessInfo[] {
  return processesUsing(dir, all).filter((p) => /\btslab\b.*\bkernel\b/.test(p.command));
}

export function describe(p: ProcessInfo): string {
  return `pid ${p.pid} (${p.command.slice(0, 160)})`;
}
