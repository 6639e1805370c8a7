/**
 * The Python references of the tokenizer tests: scripts/python-env.sh makes the venv with
 * python/requirements/tokenizer.txt (sentencepiece, tokenizers), scripts/tokenizer/spm_reference.py
 * encodes. Where the venv cannot be made the tests skip with a message, except under CI=true,
 * where they fail.
 */
import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { packageRoot } from "../../src/paths.js";

export const NO_PYTHON =
  "the tokenizer venv could not be made: scripts/python-env.sh tokenizer installs python/requirements/tokenizer.txt " +
  "(sentencepiece, tokenizers, protobuf) from PyPI into .venv/; on Debian apt-get install python3-venv";

/** The venv's python, or the reason there is none (the script's own message). */
export async function tokenizerPython(): Promise<{ python: string } | { reason: string }> {
  try {
    const { stdout } = await promisify(execFile)(join(packageRoot(), "scripts", "python-env.sh"), ["tokenizer"], {
      timeout: 10 * 60_000,
    });
    return { python: stdout.trim() };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { reason: `${NO_PYTHON}\n${(e.stderr || e.message).trim()}` };
  }
}

/** Options for node:test: skip without Python unless CI must run it. */
export function skipWithoutPython(py: { python: string } | { reason: string }): string | false {
  return "reason" in py && !process.env.CI ? py.reason : false;
}

export interface ReferenceIds {
  readonly versions: Record<string, string>;
  /** Ids without special tokens, in the tokenizer.json's id space (absent without sentencepiece). */
  readonly sentencepiece?: number[][];
  readonly tokenizers?: number[][];
}

/** Runs spm_reference.py encode over `texts` in one process. */
export function referenceIds(
  python: string,
  tokenizerPath: string,
  texts: readonly string[],
  withTokenizers: boolean,
  withSentencepiece = true,
): Promise<ReferenceIds> {
  const script = join(packageRoot(), "scripts", "tokenizer", "spm_reference.py");
  const args = [script, "encode", tokenizerPath, ...(withTokenizers ? ["--tokenizers"] : []), ...(withSentencepiece ? [] : ["--no-sentencepiece"])];
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`${python} ${args.join(" ")} exited ${code}:\n${err}`));
      try {
        resolve(JSON.parse(Buffer.concat(out).toString("utf8")) as ReferenceIds);
      } catch (e) {
        reject(new Error(`spm_reference.py wrote no JSON (${(e as Error).message}):\n${err}`));
      }
    });
    child.stdin.end(JSON.stringify({ texts }));
  });
}

/** Up to `max` lines describing where two id lists differ, for assertion messages. */
export function describeMismatches(
  texts: readonly string[],
  ours: readonly (readonly number[])[],
  theirs: readonly (readonly number[])[],
  max = 8,
): { count: number; report: string } {
  const lines: string[] = [];
  let count = 0;
  texts.forEach((text, i) => {
    if (sameIds(ours[i], theirs[i])) return;
    count++;
    if (lines.length < max) {
      lines.push(`${JSON.stringify(text.length > 120 ? text.slice(0, 120) + "…" : text)}\n    ours   ${JSON.stringify(ours[i]).slice(0, 200)}\n    theirs ${JSON.stringify(theirs[i]).slice(0, 200)}`);
    }
  });
  return { count, report: lines.join("\n") };
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
