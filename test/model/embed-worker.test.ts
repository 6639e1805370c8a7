/**
 * The worker side of `EmbedPool`, spoken to directly over its message protocol: "ready" once its
 * backend and model are built, then one "done" per request with the main thread's embedding
 * bits, an "error" for a request that fails (and it keeps serving), an "error" with no id for a
 * start that fails. The tiny-xlmr parity model keeps it fast.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Worker } from "node:worker_threads";
import { initBackend } from "../../src/compute/backend.js";
import type { EmbedReply, EmbedRequest, EmbedWorkerInit } from "../../src/model/embed-worker.js";
import type { EncodedBatch } from "../../src/model/inputs.js";
import { loadSentenceEncoder, type SentenceEncoder } from "../../src/model/sentence-encoder.js";
import { silentLogger } from "../../src/util/logger.js";

const WORKER = new URL("../../src/model/embed-worker.js", import.meta.url);
/** What tfjs says of a tensor whose values do not fill its shape. */
const SHAPE_ERROR = /should have \d+ values but has \d+/;
const TINY_XLMR = join(import.meta.dirname, "../../../test/fixtures/parity/tiny-xlmr");

let model: SentenceEncoder;
before(async () => {
  await initBackend("wasm", silentLogger);
  model = await loadSentenceEncoder(TINY_XLMR);
});
after(() => model.dispose());

/** A worker and the replies it sends, awaited one at a time in arrival order. */
function start(init: EmbedWorkerInit): { worker: Worker; next: () => Promise<EmbedReply> } {
  const worker = new Worker(WORKER, { workerData: init });
  const queue: EmbedReply[] = [];
  const waiting: Array<(reply: EmbedReply) => void> = [];
  worker.on("message", (reply: EmbedReply) => {
    const w = waiting.shift();
    if (w) w(reply);
    else queue.push(reply);
  });
  worker.on("error", (error) => assert.fail(`worker error event: ${error.message}`));
  const next = () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise<EmbedReply>((resolve) => waiting.push(resolve)));
  return { worker, next };
}

async function mainThread(batch: EncodedBatch): Promise<Float32Array> {
  const emb = model.forward(batch);
  try {
    return (await emb.data()) as Float32Array;
  } finally {
    emb.dispose();
  }
}

test("ready; then the main thread's bits for each batch in order under its id; a failing request answered with its reason, and serving goes on", async () => {
  const { worker, next } = start({ parts: model.parts(), backend: "wasm" });
  try {
    assert.deepEqual(await next(), { type: "ready" });
    const a = model.encodeInputs([{ text: "How many points did the Panthers defense surrender?" }, { text: "Wie viele Punkte?" }]);
    const b = model.encodeInputs([{ text: "黑豹队的防守丢了多少分？" }]);
    worker.postMessage({ id: 7, batch: a } satisfies EmbedRequest);
    worker.postMessage({ id: 3, batch: b } satisfies EmbedRequest);
    const [first, second] = [await next(), await next()];
    assert.deepEqual(first, { type: "done", id: 7, data: await mainThread(a) });
    assert.deepEqual(second, { type: "done", id: 3, data: await mainThread(b) });
    assert.equal((first as { data: Float32Array }).data.length, 2 * model.dim);

    // One id fewer than the batch's shape says.
    const short: EncodedBatch = { ...b, inputIds: b.inputIds.subarray(1) };
    worker.postMessage({ id: 1, batch: short } satisfies EmbedRequest);
    const reply = await next();
    assert.equal(reply.type, "error");
    assert.equal((reply as { id: number }).id, 1);
    assert.match((reply as { error: string }).error, SHAPE_ERROR);
    worker.postMessage({ id: 2, batch: b } satisfies EmbedRequest);
    assert.deepEqual(await next(), { type: "done", id: 2, data: await mainThread(b) });
  } finally {
    await worker.terminate();
  }
});

test("a worker that cannot start says why, with no request id", async () => {
  const { worker, next } = start({ parts: model.parts(), backend: "nope" as "wasm" });
  try {
    const reply = await next();
    assert.equal(reply.type, "error");
    assert.equal((reply as { id: number | null }).id, null);
    assert.match((reply as { error: string }).error, /^unknown backend 'nope'/);
  } finally {
    await worker.terminate();
  }
});
