/**
 * tfjs-wasm's multi-threaded build in Node: XNNPACK's kernels (matrix products above all) on a
 * pool of pthreads, so one process uses more than one core.
 *
 * tfjs turns the build off in Node (tfjs issue 3830), and forced on it fails to start: Emscripten
 * starts each pool worker from a Blob URL, which Node's Worker refuses, and each worker then
 * evaluates the module factory, another Blob. While the backend starts, this module captures the
 * text of every Blob made and hands files holding that text to the workers instead. The factory's
 * source names the bundle's module-level variables (`require$$0`…, `commonjsGlobal`), which a
 * prelude defines in the worker. tfjs also caps the pool at half of `os.cpus()`, taking every
 * core for a pair of hyper-threads, so `os.cpus` reports each core twice while the module starts.
 * Everything patched is restored once the backend is up. Its 8 workers exist by then, so the
 * files can go too. They are unref'd, so that they do not keep a finished process alive.
 *
 * XNNPACK splits a product's output among the threads; each output value is still summed in one
 * order by one thread, so results are the same bit for bit at any thread count
 * (test/compute/wasm-threads.test.ts compares a training step's gradients).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { threadCountFromEnv } from "./threads.js";

/** The most threads the build's pool holds (tfjs compiles it with 8 workers). */
export const MAX_WASM_THREADS = 8;

/**
 * Threads for the wasm backend: $HYBRID_IR_WASM_THREADS, else 1 (the single-threaded build).
 * Not a whole number from 1 to 8 is an error naming the variable.
 */
export function wasmThreadsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return threadCountFromEnv("HYBRID_IR_WASM_THREADS", MAX_WASM_THREADS, env);
}

/** What the bundle's factory refers to outside itself (names of tf-backend-wasm.node.js's module scope). */
const FACTORY_PRELUDE =
  "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os');\n" +
  "var commonjsGlobal = globalThis;\n";

interface WasmModule {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/**
 * Registers and starts the wasm backend on `threads` pthreads (2 to 8). Call it before anything
 * else starts the wasm backend in this process; it then stays multi-threaded.
 *
 * @returns the threads the backend's pool holds (tfjs's own count)
 */
export async function startThreadedWasm(threads: number): Promise<number> {
  if (!Number.isInteger(threads) || threads < 2 || threads > MAX_WASM_THREADS) {
    throw new RangeError(`threaded wasm needs 2 to ${MAX_WASM_THREADS} threads, got ${threads}`);
  }
  const require = createRequire(import.meta.url);
  const workerThreads = require("node:worker_threads") as typeof import("node:worker_threads");
  const dir = mkdtempSync(join(os.tmpdir(), "hybrid-ir-wasm-threads-"));
  let files = 0;
  const fileOf = (text: string) => {
    const path = join(dir, `${files++}.cjs`);
    writeFileSync(path, text);
    return path;
  };
  const texts = new Map<string, string>();
  const OriginalBlob = globalThis.Blob;
  const originalCreateObjectURL = URL.createObjectURL;
  const OriginalWorker = workerThreads.Worker;
  const originalCpus = os.cpus;
  const textOf = new WeakMap<Blob, string>();
  class CapturingBlob extends OriginalBlob {
    constructor(...args: ConstructorParameters<typeof Blob>) {
      super(...args);
      const parts: readonly unknown[] = args[0] ?? [];
      if (parts.every((p) => typeof p === "string")) textOf.set(this, (parts as string[]).join(""));
    }
  }
  class FileWorker extends OriginalWorker {
    constructor(file: string | URL, options?: import("node:worker_threads").WorkerOptions) {
      const text = typeof file === "string" ? texts.get(file) : undefined;
      super(text === undefined ? file : fileOf(text), options);
    }
    override postMessage(message: unknown, transfer?: readonly import("node:worker_threads").Transferable[]): void {
      const m = message as { cmd?: unknown; urlOrBlob?: unknown } | null;
      if (m !== null && typeof m === "object" && m.cmd === "load" && m.urlOrBlob instanceof OriginalBlob) {
        const text = textOf.get(m.urlOrBlob);
        if (text === undefined) throw new Error("threaded wasm: the module factory's source was not captured");
        message = { ...m, urlOrBlob: fileOf(FACTORY_PRELUDE + text) };
      }
      super.postMessage(message, transfer);
    }
  }
  globalThis.Blob = CapturingBlob as typeof Blob;
  URL.createObjectURL = (blob: Blob) => {
    const url = originalCreateObjectURL.call(URL, blob);
    const text = textOf.get(blob);
    if (text !== undefined) texts.set(url, text);
    return url;
  };
  (workerThreads as { Worker: unknown }).Worker = FileWorker;
  os.cpus = () => {
    const cpus = originalCpus();
    return [...cpus, ...cpus];
  };
  try {
    const wasm = (await import("@tensorflow/tfjs-backend-wasm")) as unknown as WasmModule;
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    wasm.setThreadsCount(threads);
    if (!(await tf.setBackend("wasm"))) throw new Error("the threaded wasm backend did not start");
    await tf.ready();
    // Emscripten refs a worker while it runs a pthread, and XNNPACK's pool threads run for good:
    // unref'd, they no longer keep a finished process alive.
    const pthread = (tf.backend() as unknown as { wasm?: { PThread?: { runningWorkers?: { unref(): void }[]; unusedWorkers?: { unref(): void }[] } } }).wasm?.PThread;
    for (const worker of [...(pthread?.runningWorkers ?? []), ...(pthread?.unusedWorkers ?? [])]) worker.unref();
    return wasm.getThreadsCount();
  } finally {
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreateObjectURL;
    (workerThreads as { Worker: unknown }).Worker = OriginalWorker;
    os.cpus = originalCpus;
    rmSync(dir, { recursive: true, force: true });
  }
}
