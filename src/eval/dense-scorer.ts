/**
 * Scores dense embeddings by dot product (cosine for L2-normalised rows) with a tfjs matMul per
 * block of queries, on whatever backend `initBackend` chose.
 */
import { Worker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import type { BackendName } from "../compute/backend.js";
import { singleThreadWorkerEnv } from "../compute/threads.js";
import type { WorkerInit, WorkerReply, WorkerRequest } from "./dense-scorer-worker.js";
import type { Scorer } from "./types.js";

export class DenseScorer implements Scorer {
  readonly numQueries: number;
  readonly numCandidates: number;
  /**
   * [dim × numCandidates]: transposed once here, not per block: a matMul with transposeB
   * transposes its operand on every call (on wasm, compute/wasm-kernels.ts makes it explicit).
   */
  private candidatesT: tf.Tensor2D | null;

  /**
   * @param queries row-major [numQueries × dim]
   * @param candidates row-major [numCandidates × dim]; copied into the backend, so the array may
   *   be dropped afterwards
   * @example
   * await initBackend();
   * const scorer = new DenseScorer(questions.data, candidates.data, 768);
   * try { result = await evaluate(task, scorer); } finally { scorer.dispose(); }
   */
  constructor(
    private readonly queries: Float32Array,
    candidates: Float32Array,
    readonly dim: number,
  ) {
    checkShapes(queries, candidates, dim);
    this.numQueries = queries.length / dim;
    this.numCandidates = candidates.length / dim;
    this.candidatesT = tf.tidy(() => tf.tensor2d(candidates, [this.numCandidates, dim]).transpose<tf.Tensor2D>());
  }

  scoreBlock(start: number, count: number, out: Float32Array): void {
    if (this.candidatesT === null) throw new Error("DenseScorer used after dispose()");
    checkBlock(start, count, out, this.numQueries, this.numCandidates);
    const candidatesT = this.candidatesT;
    const block = this.queries.subarray(start * this.dim, (start + count) * this.dim);
    // [count × dim] · [dim × numCandidates] → [count × numCandidates]
    const scores = tf.tidy(() => tf.matMul(tf.tensor2d(block, [count, this.dim]), candidatesT));
    try {
      out.set(scores.dataSync());
    } finally {
      scores.dispose();
    }
  }

  /** Frees the backend copy of the candidates. */
  dispose(): void {
    this.candidatesT?.dispose();
    this.candidatesT = null;
  }
}

function checkShapes(queries: Float32Array, candidates: Float32Array, dim: number): void {
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim: ${dim} is not a positive integer`);
  for (const [name, m] of [["queries", queries], ["candidates", candidates]] as const) {
    if (m.length % dim !== 0) throw new RangeError(`${name} has ${m.length} values, not a multiple of dim ${dim}`);
  }
}

function checkBlock(start: number, count: number, out: Float32Array, numQueries: number, numCandidates: number): void {
  if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 && start + count <= numQueries)) {
    throw new RangeError(`block ${start}+${count} is outside [0, ${numQueries})`);
  }
  if (out.length < count * numCandidates) {
    throw new RangeError(`out holds ${out.length} values, the block needs ${count * numCandidates}`);
  }
}

/**
 * DenseScorer spread over worker threads, each with its own backend and copy of the candidates;
 * a block's rows are split evenly among them. Its `scoreBlock` is asynchronous, so `evaluate`
 * scores the next block while it computes this one's metrics: on two cores, wall time falls from
 * scoring + metrics towards half their sum. Costs one copy of the candidates per worker.
 *
 * @example
 * const scorer = await ParallelDenseScorer.create(questions.data, candidates.data, 768, { workers: 2 });
 * try { result = await evaluate(task, scorer); } finally { await scorer.dispose(); }
 */
export class ParallelDenseScorer implements Scorer {
  private output = new Float32Array(new SharedArrayBuffer(0));
  private busy = false;

  private constructor(
    private readonly workers: Worker[],
    readonly numQueries: number,
    readonly numCandidates: number,
  ) {}

  static async create(
    queries: Float32Array,
    candidates: Float32Array,
    dim: number,
    options: ParallelDenseScorerOptions = {},
  ): Promise<ParallelDenseScorer> {
    const numWorkers = options.workers ?? 2;
    if (!Number.isInteger(numWorkers) || numWorkers < 1) {
      throw new RangeError(`workers: ${numWorkers} is not a positive integer`);
    }
    checkShapes(queries, candidates, dim);
    const init: WorkerInit = {
      queries: shared(queries),
      candidates: shared(candidates),
      dim,
      backend: options.backend ?? "auto",
    };
    const url = new URL("./dense-scorer-worker.js", import.meta.url);
    // The workers are the threads: each one's wasm module and BLAS stay single-threaded.
    const workers = Array.from({ length: numWorkers }, () => new Worker(url, { workerData: init, env: singleThreadWorkerEnv() }));
    try {
      await Promise.all(workers.map((w) => reply(w)));
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    return new ParallelDenseScorer(workers, queries.length / dim, candidates.length / dim);
  }

  async scoreBlock(start: number, count: number, out: Float32Array): Promise<void> {
    checkBlock(start, count, out, this.numQueries, this.numCandidates);
    // One shared output buffer: a second call while one runs would overwrite it.
    if (this.busy) throw new Error("ParallelDenseScorer.scoreBlock called while a block is in flight");
    this.busy = true;
    try {
      const length = count * this.numCandidates;
      if (this.output.length < length) this.output = new Float32Array(new SharedArrayBuffer(length * 4));
      const rowsPer = Math.ceil(count / this.workers.length);
      const jobs: Promise<void>[] = [];
      for (let w = 0, row = 0; row < count; w++, row += rowsPer) {
        const rows = Math.min(rowsPer, count - row);
        const request: WorkerRequest = {
          start: start + row,
          count: rows,
          out: this.output.subarray(row * this.numCandidates, (row + rows) * this.numCandidates),
        };
        const done = reply(this.workers[w]);
        this.workers[w].postMessage(request);
        jobs.push(done);
      }
      await Promise.all(jobs);
      out.set(this.output.subarray(0, length));
    } finally {
      this.busy = false;
    }
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

export interface ParallelDenseScorerOptions {
  /** Worker threads (default 2). More than the machine's cores only adds copies. */
  readonly workers?: number;
  /** Backend each worker starts (default "auto"). */
  readonly backend?: BackendName;
}

/** The worker's next message; a worker that dies or reports an error rejects. */
function reply(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerReply): void => {
      cleanup();
      if (message.ok) resolve();
      else reject(new Error(`dense scorer worker: ${message.error}`));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`dense scorer worker exited with code ${code}`));
    };
    const cleanup = (): void => {
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
    };
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
  });
}

/** The same values over a SharedArrayBuffer, which workers see without a copy. */
function shared(values: Float32Array): Float32Array {
  if (values.buffer instanceof SharedArrayBuffer) return values;
  const copy = new Float32Array(new SharedArrayBuffer(values.byteLength));
  copy.set(values);
  return copy;
}
