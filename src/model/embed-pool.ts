/**
 * Embedding on worker threads: each worker holds its own tfjs backend and copy of the model
 * (weights read from one SharedArrayBuffer), the main thread tokenises and hands out the very
 * batches the serial path forms (`embed-batches.ts`), so the embeddings are bit-for-bit those of
 * one thread. Node's wasm backend runs XNNPACK on one thread; this is how encoding uses the
 * machine's other cores.
 *
 * A pool lives for one encode call (`withEmbedPool`): started, used, terminated, also when the
 * call fails or is aborted, so no worker outlives it.
 */
import * as tf from "@tensorflow/tfjs";
import { Worker } from "node:worker_threads";
import type { BackendName } from "../compute/backend.js";
import { withBlasThreads } from "../compute/blas.js";
import { resolveThreads, singleThreadWorkerEnv } from "../compute/threads.js";
import { embedBatches } from "./embed-batches.js";
import type { EmbedReply, EmbedRequest, EmbedWorkerInit } from "./embed-worker.js";
import type { TextInput } from "./inputs.js";
import type { EmbedOptions, SentenceEncoder, SentenceEncoderParts } from "./sentence-encoder.js";
import type { NamedTensor } from "./types.js";

/** Batches sent ahead to each worker, so it never waits on the main thread between two. */
const IN_FLIGHT_PER_WORKER = 2;

/** Backends that compute on the calling thread; the others (TensorFlow's binding, WebGPU) already use the machine. */
const PARALLEL_BACKENDS: ReadonlySet<string> = new Set(["wasm", "cpu"]);

let live = 0;

/** Embedding workers started and not yet exited, in this process: none once every encode call has returned. */
export function liveEmbedWorkers(): number {
  return live;
}

export class EmbedPool {
  private readonly workers: Worker[];
  private failure: Error | null = null;
  private closed = false;
  /** Rejects the embed call in progress, if any; set while one runs. */
  private fail: ((error: Error) => void) | null = null;

  private constructor(
    private readonly model: SentenceEncoder,
    workers: Worker[],
  ) {
    this.workers = workers;
    workers.forEach((worker, i) => {
      worker.on("error", (error) => this.broken(new Error(`embedding worker ${i}: ${error.message}`)));
      worker.on("exit", (code) => {
        if (!this.closed) this.broken(new Error(`embedding worker ${i} exited with code ${code}`));
      });
    });
  }

  /**
   * Starts `threads` workers, each with `model`'s current weights on the active backend (or
   * `options.backend`), and
   * resolves once every one is ready; a worker that cannot start rejects with its reason.
   */
  static async start(model: SentenceEncoder, threads: number, options: { readonly backend?: BackendName } = {}): Promise<EmbedPool> {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads: ${threads} is not a positive integer`);
    const init: EmbedWorkerInit = { parts: sharedParts(model.parts()), backend: options.backend ?? (tf.getBackend() as BackendName) };
    const url = new URL("./embed-worker.js", import.meta.url);
    const workers = Array.from({ length: threads }, () => {
      // Each worker is already one of the threads: its wasm module and BLAS stay single-threaded.
      const worker = new Worker(url, { workerData: init, env: singleThreadWorkerEnv() });
      live++;
      worker.once("exit", () => live--);
      return worker;
    });
    try {
      await Promise.all(workers.map((worker, i) => ready(worker, i)));
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    return new EmbedPool(model, workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** As `SentenceEncoder.embed` (same batches, same result), the batches spread over the workers. */
  embed(inputs: readonly TextInput[], options: EmbedOptions = {}): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error("the embedding pool is closed"));
    if (this.fail) return Promise.reject(new Error("the embedding pool runs one embed call at a time"));
    const model = this.model;
    const dim = model.dim;
    const batches = embedBatches(inputs, options.batchSize ?? 32);
    const out = new Float32Array(inputs.length * dim);
    const signal = options.signal;
    return new Promise<Float32Array>((resolve, reject) => {
      let next = 0;
      let pending = 0;
      let done = 0;
      let settled = false;
      const inFlight = this.workers.map(() => 0);
      const cleanup = (): void => {
        this.fail = null;
        signal?.removeEventListener("abort", onAbort);
        this.workers.forEach((w, i) => w.off("message", onMessage[i]));
      };
      const finish = (error: Error | null): void => {
        if (settled) return;
        settled = true;
        cleanup();
        if (error) reject(error);
        else resolve(out);
      };
      this.fail = (error) => finish(error);
      const onAbort = (): void => {
        // Workers mid-batch cannot be interrupted: the pool is ended, so none keeps running.
        void this.close();
        finish(signal!.reason instanceof Error ? signal!.reason : new Error("embedding aborted"));
      };
      const dispatch = (w: number): void => {
        try {
          send(w);
        } catch (error) {
          // Batches already sent would answer a later call: the pool ends with this one.
          this.broken(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const send = (w: number): void => {
        while (next < batches.length && inFlight[w] < IN_FLIGHT_PER_WORKER) {
          const id = next++;
          const batch = model.encodeInputs(
            batches[id].map((i) => inputs[i]),
            options,
          );
          inFlight[w]++;
          pending++;
          this.workers[w].postMessage({ id, batch } satisfies EmbedRequest, [batch.inputIds.buffer, batch.attentionMask.buffer, batch.tokenTypeIds.buffer] as ArrayBuffer[]);
        }
      };
      const onMessage = this.workers.map((_, w) => (reply: EmbedReply): void => {
        if (reply.type === "error") return this.broken(new Error(`embedding worker ${w}: ${reply.error}`));
        if (reply.type !== "done" || settled) return;
        inFlight[w]--;
        pending--;
        const idx = batches[reply.id];
        idx.forEach((i, row) => out.set(reply.data.subarray(row * dim, (row + 1) * dim), i * dim));
        done += idx.length;
        try {
          options.onProgress?.(done, inputs.length);
        } catch (error) {
          // As on one thread, a throwing callback ends the call; the batches in flight end with the pool.
          return this.broken(error instanceof Error ? error : new Error(String(error)));
        }
        if (settled) return; // the callback aborted the call
        if (pending === 0 && next === batches.length) return finish(null);
        dispatch(w);
      });
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.workers.forEach((w, i) => w.on("message", onMessage[i]));
      if (batches.length === 0) return finish(null);
      this.workers.forEach((_, w) => dispatch(w));
    });
  }

  /** Terminates the workers; a second call does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** A worker failed: the call in progress rejects with why, and the pool ends. */
  private broken(error: Error): void {
    if (this.failure || this.closed) return;
    this.failure = error;
    this.fail?.(error);
    void this.close();
  }
}

/**
 * How many workers an encode call of `batches` batches gets: `threads` (default
 * `resolveThreads()`), at most one per batch; 1 (no pool: the model's own thread) on a backend
 * that is not computed on the calling thread.
 */
export function embedWorkers(batches: number, threads?: number): number {
  if (!PARALLEL_BACKENDS.has(tf.getBackend())) return 1;
  return Math.max(1, Math.min(resolveThreads(threads), batches));
}

/**
 * Runs `use` with a pool of `workers` workers for `model`, or with null when `workers` is 1
 * (the caller embeds on its own thread), and terminates the pool however `use` ends.
 */
export async function withEmbedPool<T>(model: SentenceEncoder, workers: number, use: (pool: EmbedPool | null) => Promise<T>): Promise<T> {
  // Frozen states live in this thread's memory; the top layers alone are cheap enough here.
  // One BLAS thread, as in each worker, so that the embeddings do not depend on `workers`.
  if (workers <= 1 || model.frozenStates !== null) return withBlasThreads(1, () => use(null));
  const pool = await EmbedPool.start(model, workers);
  try {
    return await use(pool);
  } finally {
    await pool.close();
  }
}

function ready(worker: Worker, i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: EmbedReply): void => {
      if (reply.type === "ready") settle(null);
      else if (reply.type === "error") settle(new Error(`embedding worker ${i}: ${reply.error}`));
    };
    const onError = (error: Error): void => settle(new Error(`embedding worker ${i}: ${error.message}`));
    const onExit = (code: number): void => settle(new Error(`embedding worker ${i} exited with code ${code} while starting`));
    const settle = (error: Error | null): void => {
      worker.off("message", onMessage).off("error", onError).off("exit", onExit);
      if (error) reject(error);
      else resolve();
    };
    worker.on("message", onMessage).on("error", onError).on("exit", onExit);
  });
}

/** `parts` with every weight copied into one SharedArrayBuffer, so workers share one copy. */
function sharedParts(parts: SentenceEncoderParts): SentenceEncoderParts {
  let total = 0;
  for (const t of parts.weights.values()) total += t.data.length;
  const memory = new Float32Array(new SharedArrayBuffer(total * 4));
  const weights = new Map<string, NamedTensor>();
  let offset = 0;
  for (const [name, t] of parts.weights) {
    const view = memory.subarray(offset, offset + t.data.length);
    view.set(t.data);
    weights.set(name, { shape: t.shape, data: view });
    offset += t.data.length;
  }
  return { ...parts, weights };
}

/** `inputs` through `pool` when there is one, else on the calling thread: what a caller holding `withEmbedPool`'s argument uses. */
export function embedOn(pool: EmbedPool | null, model: SentenceEncoder, inputs: readonly TextInput[], options: EmbedOptions): Promise<Float32Array> {
  return pool ? pool.embed(inputs, options) : model.embed(inputs, { ...options, threads: 1 });
}
