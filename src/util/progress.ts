/**
 * A one-line progress bar with rate and ETA on stderr. On a non-TTY (CI logs) it prints a plain
 * line at most every few seconds instead of redrawing, so logs stay readable. In a notebook (a
 * tslab kernel) it is one output that updates in place: a live bar in JupyterLab, and only its
 * last state in a report nbconvert writes.
 */
import { createRequire } from "node:module";

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

/** What a notebook output that updates in place needs (tslab's `newDisplay()`). */
export interface LiveDisplay {
  html(html: string): void;
}

/** Redraws in a notebook at most this often; each redraw is a message to the browser. */
const NOTEBOOK_REDRAW_MS = 250;

export function progressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr, options: ProgressOptions = {}): Progress {
  const display = stream === process.stderr ? notebookDisplay() : null;
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
  if (display !== null) return displayProgress(display, line, total);
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

/**
 * The bar as one notebook output, redrawn in place (throttled) as `<progress>` plus the text line.
 *
 * @example
 * const bar = displayProgress(tslab.newDisplay(), (done) => `encode ${done}/10`, 10);
 * bar.update(5); bar.finish(); // one output, last showing "encode 10/10"
 */
export function displayProgress(display: LiveDisplay, line: (done: number) => string, total: number): Progress {
  let lastDraw = -Infinity;
  const draw = (done: number) => {
    lastDraw = Date.now();
    const value = Math.max(0, Math.min(done, total));
    display.html(
      `<div class="hybrid-ir-progress" style="display:flex;gap:0.6em;align-items:center;font-family:monospace">` +
        `<progress value="${value}" max="${Math.max(total, 1)}" style="width:14em"></progress><span>${escape(line(done))}</span></div>`,
    );
  };
  return {
    update(done) {
      if (Date.now() - lastDraw >= NOTEBOOK_REDRAW_MS) draw(done);
    },
    finish(done = total) {
      draw(done);
    },
  };
}

/**
 * A new updatable output of the running notebook cell, or null outside a notebook. tslab marks
 * its kernel with `globalThis.__tslab__`; the module is then loadable from here (it is a
 * dependency of this package), and is the instance the kernel runs.
 */
function notebookDisplay(): LiveDisplay | null {
  if ((globalThis as { __tslab__?: unknown }).__tslab__ === undefined) return null;
  try {
    return (createRequire(import.meta.url)("tslab") as { newDisplay(): LiveDisplay }).newDisplay();
  } catch {
    return null;
  }
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
