/**
 * Long notebook cells that show progress and stop on Kernel → Interrupt.
 *
 * Jupyter interrupts a tslab kernel with SIGINT. tslab then abandons the cell's promise (the cell
 * ends with "Interrupted asynchronously") but cannot stop the work behind it: a loop keeps
 * running and child processes keep training. `interruptSignal()` turns the SIGINT into an
 * AbortSignal that library calls accept (`runGrid(grid, { signal })`), and `withProgress` is a
 * loop that yields between items, so its progress output reaches the browser and an interrupt is
 * seen between two items.
 */
import { progressBar } from "../util/progress.js";

let controller: AbortController | undefined;

/**
 * Aborted by the next SIGINT this process receives (in a kernel: Kernel → Interrupt). Each call
 * after an interrupt returns a fresh signal, so a cell run after an interrupt is not aborted by it.
 *
 * @example
 * await runGrid(grid, { concurrency: 2, signal: interruptSignal() }); // Interrupt stops the trainers
 */
export function interruptSignal(): AbortSignal {
  if (controller === undefined) {
    const current = new AbortController();
    controller = current;
    const onInterrupt = () => {
      if (controller === current) controller = undefined;
      current.abort(new Error("interrupted (SIGINT)"));
    };
    // On the next turn, not now: tslab runs a cell's synchronous part in vm with breakOnSigint,
    // and a SIGINT listener added during it leaves the process with SIGINT's default action
    // afterwards, so the next Kernel → Interrupt would kill the kernel. (tslab listens too, so
    // listening does not replace the kernel's own handling.)
    setImmediate(() => process.once("SIGINT", onInterrupt)).unref();
  }
  return controller.signal;
}

/**
 * Runs `fn` on each item in order with a progress bar labelled `label` (in a notebook: one
 * output updated in place), yielding to the event loop between items. Throws the signal's reason
 * when the kernel is interrupted, leaving the remaining items undone.
 *
 * @example
 * const shares = await withProgress("α sweep", alphas, (alpha) => monoShare(alpha, draw(alpha)));
 */
export async function withProgress<T, R>(
  label: string,
  items: readonly T[],
  fn: (item: T, index: number) => R | Promise<R>,
  signal: AbortSignal = interruptSignal(),
): Promise<R[]> {
  const bar = progressBar(label, items.length);
  const out: R[] = [];
  for (const [i, item] of items.entries()) {
    // setImmediate lets pending I/O (the kernel's messages, a SIGINT) through between items.
    await new Promise((resolve) => setImmediate(resolve));
    if (signal.aborted) {
      bar.finish(i);
      throw signal.reason;
    }
    out.push(await fn(item, i));
    bar.update(i + 1);
  }
  bar.finish();
  return out;
}
