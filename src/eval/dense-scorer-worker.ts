/**
 * Worker side of `ParallelDenseScorer`: its own tfjs backend and copy of the candidates; fills
 * rows of a shared score buffer on request. Node's wasm backend is single-threaded, so threads
 * are how a matMul uses more than one core.
 */
import { parentPort, workerData } from "node:worker_threads";
import { initBackend, type BackendName } from "../compute/backend.js";
import { DenseScorer } from "./dense-scorer.js";

export interface WorkerInit {
  /** [numQueries × dim] over a SharedArrayBuffer. */
  readonly queries: Float32Array;
  /** [numCandidates × dim]; the worker copies it into its backend. */
  readonly candidates: Float32Array;
  readonly dim: number;
  readonly backend: BackendName;
}

/** Score queries start..start+count-1 into `out` ([count × numCandidates], shared memory). */
export interface WorkerRequest {
  readonly start: number;
  readonly count: number;
  readonly out: Float32Array;
}

export type WorkerReply = { readonly ok: true } | { readonly ok: false; readonly error: string };

async function serve(init: WorkerInit): Promise<void> {
  await initBackend(init.backend);
  const scorer = new DenseScorer(init.queries, init.candidates, init.dim);
  parentPort!.on("message", (request: WorkerRequest) => {
    let reply: WorkerReply;
    try {
      scorer.scoreBlock(request.start, request.count, request.out);
      reply = { ok: true };
    } catch (error) {
      reply = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    parentPort!.postMessage(reply);
  });
}

if (parentPort) {
  serve(workerData as WorkerInit).then(
    () => parentPort!.postMessage({ ok: true } satisfies WorkerReply),
    (error: unknown) =>
      parentPort!.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) } satisfies WorkerReply),
  );
}
