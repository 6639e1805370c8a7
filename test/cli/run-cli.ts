import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** The built CLI entry point, as `npx hybrid-ir` runs it. */
export const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `hybrid-ir ...args` in a child process; a non-zero exit is returned, not thrown. */
export async function cli(...args: string[]): Promise<CliOutcome> {
  return cliWith({}, ...args);
}

/** {@link cli} with extra environment variables (added to this process's). */
export async function cliWith(options: { env?: Record<string, string> }, ...args: string[]): Promise<CliOutcome> {
  try {
    const env = options.env === undefined ? undefined : { ...process.env, ...options.env };
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], { maxBuffer: 64 << 20, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
