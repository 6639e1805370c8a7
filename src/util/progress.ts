/**
 * A one-line progress bar with rate and ETA on stderr. On a non-TTY (CI logs, nbconvert) it
 * prints a plain line at most every few seconds instead of redrawing, so logs stay readable.
 */
export interface Progress {
  update(done: number): void;
  /** Prints the final line; `done` defaults to the total (pass the count reached when stopping early). */
  finish(done?: number): void;
}

/** Optional extras of {@link progressBar}; leaving them out gives the plain bar. */
export interface ProgressOptions {
  /** Appended to every line, e.g. `() => \`loss 2.31 · 6.2 pairs/s\`` for a training run. */
  readonly status?: () => string;
  /** Units already done before this bar started (a resumed run): they count toward done, not toward the rate. */
  readonly initial?: number;
}

export function progressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr, options: ProgressOptions = {}): Progress {
  const start = Date.now();
  const initial = options.initial ?? 0;
  const tty = stream.isTTY === true;
  let lastPrint = 0;
  const status = () => (options.status ? ` ${options.status()}` : "");
  const fmt = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)}h` : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${s.toFixed(0)}s`);
  const line = (done: number) => {
    const elapsed = (Date.now() - start) / 1000;
    // Under half a second the rate is noise (the first batch can look like billions per second).
    const rate = elapsed >= 0.5 ? (done - initial) / elapsed : NaN;
    const eta = done > initial && Number.isFinite(rate) ? (total - done) / rate : NaN;
    const frac = total > 0 ? done / total : 1;
    const bar = "█".repeat(Math.round(frac * 24)).padEnd(24, "░");
    return `${label} ${bar} ${done}/${total} ${(frac * 100).toFixed(0)}% ${Number.isFinite(rate) ? rate.toFixed(rate >= 10 ? 0 : 2) : "?"}/s elapsed ${fmt(elapsed)} ETA ${Number.isFinite(eta) ? fmt(eta) : "?"}${status()}`;
  };
  return {
    update(done) {
      const now = Date.now();
      if (tty) stream.write(`\r${line(done)}`);
      else if (now - lastPrint > 5000 && done < total) {
        stream.write(`${line(done)}\n`);
        lastPrint = now;
      }
    },
    finish(done = total) {
      stream.write(tty ? `\r${line(done)}\n` : `${line(done)}\n`);
    },
  };
}
