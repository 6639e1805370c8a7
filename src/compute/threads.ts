/**
 * How many threads the data-parallel paths (encoding on worker_threads) use: a `--threads` flag
 * or option, else `$HYBRID_IR_THREADS`, else the cores Node reports as available. Node's wasm
 * backend runs XNNPACK on one thread, so threads are how one process uses more than one core.
 */
import { availableParallelism } from "node:os";

export const THREADS_ENV = "HYBRID_IR_THREADS";

/**
 * The thread count to use: `requested` when given, else `$HYBRID_IR_THREADS`, else
 * `os.availableParallelism()`. Anything but a positive integer is a RangeError naming its source.
 *
 * @example
 * resolveThreads(); // 2 on a 2-core machine without HYBRID_IR_THREADS
 * resolveThreads("1"); // 1: the serial, in-process path
 */
export function resolveThreads(requested?: number | string, env: NodeJS.ProcessEnv = process.env): number {
  const [source, raw] =
    requested !== undefined ? ["threads", requested] : env[THREADS_ENV] !== undefined ? [THREADS_ENV, env[THREADS_ENV]] : [null, undefined];
  if (source === null) return availableParallelism();
  const n = typeof raw === "number" ? raw : Number(String(raw).trim() === "" ? NaN : raw);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${source}: '${String(raw)}' is not a positive integer`);
  return n;
}

/**
 * The environment for a worker thread that is itself one of the process's threads: its wasm
 * module single-threaded and its BLAS products on one thread.
 */
export function singleThreadWorkerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, HYBRID_IR_WASM_THREADS: "1", HYBRID_IR_BLAS_THREADS: "1" };
}

/**
 * A thread count from the environment variable `name`: unset or empty is 1, anything but a whole
 * number from 1 to `max` an Error naming the variable (HYBRID_IR_WASM_THREADS, HYBRID_IR_BLAS_THREADS).
 */
export function threadCountFromEnv(name: string, max: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${name}=${raw}: expected a whole number from 1 to ${max}`);
  return n;
}
