import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** The built CLI entry point, as `npx hybrid-ir` runs it. */
export const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/** Runs `hybrid-ir ...args` in a child process; a non-zero exit is returned, not thrown. */
export async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], { maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
