/** Runs a command's `run()` in this process with its console output collected instead of printed. */

export interface Captured<T> {
  readonly value: T;
  /** What went to console.log (console.table included), one entry per call joined by newlines. */
  readonly stdout: string;
  /** What went to console.error / console.warn and straight to process.stderr (progress bars). */
  readonly stderr: string;
}

/** `body`'s value and output; the console is restored whether it returns or throws. */
export async function capture<T>(body: () => Promise<T>): Promise<Captured<T>> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error, warn } = console;
  const write = process.stderr.write;
  console.log = (...args: unknown[]) => void out.push(args.map(String).join(" ") + "\n");
  console.error = console.warn = (...args: unknown[]) => void err.push(args.map(String).join(" ") + "\n");
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  }) as typeof process.stderr.write;
  try {
    const value = await body();
    return { value, stdout: out.join(""), stderr: err.join("") };
  } finally {
    Object.assign(console, { log, error, warn });
    process.stderr.write = write;
  }
}
