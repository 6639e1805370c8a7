/**
 * The worker side of `ParallelDenseScorer` (`dense-scorer-worker.ts`), driven directly through
 * its message protocol: one reply when it has started (or could not), then one reply per
 * request, rows written into shared memory, errors reported as replies without ending the worker.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, test } from "node:test";
import { Worker } from "node:worker_threads";
import type { WorkerInit, WorkerReply, WorkerRequest } from "../../src/eval/dense-scorer-worker.js";
import { mulberry32, randomNormal } from "../../src/util/random.js";

const WORKER = new URL("../../src/eval/dense-scorer-worker.js", import.meta.url);

function sharedFloats(values: ArrayLike<number>): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(values.length * 4));
  out.set(Array.from(values));
  return out;
}

async function nextReply(worker: Worker): Promise<WorkerReply> {
  const [message] = (await once(worker, "message")) as [WorkerReply];
  return message;
}

async function ask(worker: Worker, request: WorkerRequest): Promise<WorkerReply> {
  const reply = nextReply(worker);
  worker.postMessage(request);
  return reply;
}

describe("dense scorer worker", () => {
  test("starts, then fills the requested rows of a shared buffer with dot products, request after request", async () => {
    const rand = mulberry32(4);
    const [nq, nc, dim] = [6, 5, 3];
    const queries = sharedFloats(Array.from({ length: nq * dim }, () => randomNormal(rand)));
    const candidates = sharedFloats(Array.from({ length: nc * dim }, () => randomNormal(rand)));
    const init: WorkerInit = { queries, candidates, dim, backend: "cpu" };
    const worker = new Worker(WORKER, { workerData: init });
    try {
      assert.deepEqual(await nextReply(worker), { ok: true });
      const out = new Float32Array(new SharedArrayBuffer(4 * nc * 4)).fill(-99);
      // Rows 1..2 into the middle of the buffer: the rest stays untouched.
      assert.deepEqual(await ask(worker, { start: 1, count: 2, out: out.subarray(nc, 3 * nc) }), { ok: true });
      for (let i = 0; i < 4; i++) {
        for (let c = 0; c < nc; c++) {
          const got = out[i * nc + c];
          if (i === 0 || i === 3) {
            assert.equal(got, -99, `row ${i} was not asked for`);
            continue;
          }
          let dot = 0;
          for (let d = 0; d < dim; d++) dot += queries[i * dim + d] * candidates[c * dim + d];
          assert.ok(Math.abs(got - dot) < 1e-5, `query ${i} candidate ${c}: ${got} vs ${dot}`);
        }
      }
      // A bad request is answered with its error; the worker keeps serving.
      assert.deepEqual(await ask(worker, { start: 5, count: 2, out }), { ok: false, error: "block 5+2 is outside [0, 6)" });
      assert.deepEqual(await ask(worker, { start: 0, count: 2, out: new Float32Array(new SharedArrayBuffer(4 * nc)) }), {
        ok: false,
        error: `out holds ${nc} values, the block needs ${2 * nc}`,
      });
      assert.deepEqual(await ask(worker, { start: 5, count: 1, out }), { ok: true });
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += queries[5 * dim + d] * candidates[4 * dim + d];
      assert.ok(Math.abs(out[4] - dot) < 1e-5);
    } finally {
      await worker.terminate();
    }
  });

  test("a worker that cannot start says why in its first reply", async () => {
    const cases: [WorkerInit, RegExp][] = [
      // @ts-expect-error: a backend name from outside TypeScript
      [{ queries: sharedFloats([1, 2]), candidates: sharedFloats([3, 4]), dim: 2, backend: "gpu" }, /unknown backend 'gpu'/],
      [{ queries: sharedFloats([1, 2, 3]), candidates: sharedFloats([3, 4]), dim: 2, backend: "cpu" }, /^queries has 3 values, not a multiple of dim 2$/],
      [{ queries: sharedFloats([1, 2]), candidates: sharedFloats([3, 4]), dim: 0, backend: "cpu" }, /^dim: 0 is not a positive integer$/],
    ];
    for (const [init, error] of cases) {
      const worker = new Worker(WORKER, { workerData: init });
      try {
        const reply = await nextReply(worker);
        assert.equal(reply.ok, false);
        assert.match((reply as { error: string }).error, error);
      } finally {
        await worker.terminate();
      }
    }
  });
});
