import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { initBackend } from "../../src/compute/backend.js";
import { resolveThreads } from "../../src/compute/threads.js";
import { loadDataset } from "../../src/data/lareqa.js";
import type { RetrievalDataset } from "../../src/data/types.js";
import { EmbedPool, liveEmbedWorkers, withEmbedPool } from "../../src/model/embed-pool.js";
import type { TextInput } from "../../src/model/inputs.js";
import { createMiniEncoder } from "../../src/model/mini.js";
import { loadSentenceEncoder, type SentenceEncoder } from "../../src/model/sentence-encoder.js";
import { silentLogger } from "../../src/util/logger.js";
import { assertSameBits } from "./helpers.js";

const TINY_BERT = join(import.meta.dirname, "../../../test/fixtures/parity/tiny-bert");

let ds: RetrievalDataset;
let texts: TextInput[];
before(async () => {
  await initBackend("wasm", silentLogger);
  ds = await loadDataset("xquad-r", { languages: ["en", "de", "zh", "ar"], maxQuestionIds: 25 });
  texts = [...ds.questions.map((q) => ({ text: q.text })), ...ds.candidates.map((c) => ({ text: c.text, context: c.context }))].slice(0, 200);
});
after(() => assert.equal(liveEmbedWorkers(), 0, "no embedding worker outlives the tests"));


async function sameOnWorkers(model: SentenceEncoder): Promise<void> {
  const options = { batchSize: 16, maxLength: 64, prefix: "Passage: " };
  const serial = await model.embed(texts, { ...options, threads: 1 });
  const parallel = await withEmbedPool(model, 2, async (pool) => {
    assert.equal(pool?.size, 2);
    return pool!.embed(texts, options);
  });
  assertSameBits(parallel, serial);
  assert.ok(serial.some((x) => x !== 0));
}

test("mini: 200 XQuAD-R texts embed to the same bits on two workers as on one thread", async () => {
  assert.equal(texts.length, 200);
  const model = await createMiniEncoder({ corpus: texts.flatMap((t) => [t.text, t.context ?? ""]), seed: 3 });
  try {
    await sameOnWorkers(model);
  } finally {
    model.dispose();
  }
});

test("tiny-bert (with a Dense module): the same bits on two workers as on one thread", async () => {
  const model = await loadSentenceEncoder(TINY_BERT);
  try {
    await sameOnWorkers(model);
  } finally {
    model.dispose();
  }
});

test("an aborted call rejects with the signal's reason and terminates its workers", async () => {
  const model = await createMiniEncoder({ corpus: texts.map((t) => t.text), seed: 7 });
  try {
    const controller = new AbortController();
    const reason = new Error("stop here");
    await assert.rejects(
      model.embed(texts, { batchSize: 4, maxLength: 32, threads: 2, signal: controller.signal, onProgress: (done) => done >= 8 && controller.abort(reason) }),
      (error) => error === reason,
    );
    await waitFor(() => liveEmbedWorkers() === 0);
    assert.equal(liveEmbedWorkers(), 0);
  } finally {
    model.dispose();
  }
});

test("a worker that cannot start is a clear error, and none of the pool's workers stays", async () => {
  const model = await createMiniEncoder({ corpus: ["Hello World!"], seed: 1 });
  try {
    await assert.rejects(EmbedPool.start(model, 2, { backend: "nope" as "wasm" }), /embedding worker \d: unknown backend 'nope'/);
    await waitFor(() => liveEmbedWorkers() === 0);
    assert.equal(liveEmbedWorkers(), 0);
  } finally {
    model.dispose();
  }
});

test("resolveThreads: the option, else HYBRID_IR_THREADS, else the cores; anything else is an error naming its source", () => {
  assert.equal(resolveThreads(3, { HYBRID_IR_THREADS: "1" }), 3);
  assert.equal(resolveThreads(undefined, { HYBRID_IR_THREADS: "1" }), 1);
  assert.ok(resolveThreads(undefined, {}) >= 1);
  assert.throws(() => resolveThreads(undefined, { HYBRID_IR_THREADS: "two" }), /HYBRID_IR_THREADS: 'two' is not a positive integer/);
  assert.throws(() => resolveThreads("0", {}), /threads: '0'/);
});

/** Exit events arrive asynchronously after terminate(); polls without a deadline of its own (the test runner's applies). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}
