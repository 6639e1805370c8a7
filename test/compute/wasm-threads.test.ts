import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { MAX_WASM_THREADS, startThreadedWasm, wasmThreadsFromEnv } from "../../src/compute/wasm-threads.js";

const SRC = join(import.meta.dirname, "../../src");
const url = (path: string) => pathToFileURL(join(SRC, path)).href;

/**
 * One process per thread count (the wasm module is one per process): a 2-layer × 256 encoder's
 * forward pass and the gradients of every variable for batches of 16 × 64 tokens, hashed bit for bit.
 */
const CHILD = `
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "${url("compute/backend.js")}";
import { Encoder } from "${url("model/encoder.js")}";
import { randomWeights } from "${url("model/mini.js")}";
import { MINI_CONFIG } from "${url("model/presets.js")}";
await initBackend("wasm");
const { getThreadsCount } = await import("@tensorflow/tfjs-backend-wasm");
const config = { ...MINI_CONFIG, vocabSize: 4000, numLayers: 2 };
const encoder = Encoder.fromWeights(config, randomWeights(config, 7), { dropout: 0.1 });
const [batch, seq] = [16, 64];
const ids = tf.tensor2d(Int32Array.from({ length: batch * seq }, (_, i) => 3 + ((i * 7919) % 3990)), [batch, seq], "int32");
const mask = tf.tensor2d(Int32Array.from({ length: batch * seq }, (_, i) => (i % seq < seq - (i / seq) % 9 ? 1 : 0)), [batch, seq], "int32");
const started = performance.now();
const { value, grads } = tf.variableGrads(() => encoder.forward({ inputIds: ids, attentionMask: mask }, { training: true, seed: 5 }).square().mean(), encoder.variables());
let h = 2166136261;
const mix = (a) => { for (const w of new Uint32Array(a.buffer, a.byteOffset, a.length)) h = Math.imul(h ^ w, 16777619); };
mix(await value.data());
for (const v of encoder.variables()) mix(await grads[v.name].data());
console.log(JSON.stringify({ threads: getThreadsCount(), hash: h >>> 0, ms: Math.round(performance.now() - started) }));
`;

function run(threads: string): { threads: number; hash: number; ms: number } {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", CHILD], {
    cwd: join(import.meta.dirname, "../../.."),
    // XNNPACK on both sides: the threaded build has no BLAS path (compute/blas.ts).
    env: { ...process.env, HYBRID_IR_WASM_THREADS: threads, HYBRID_IR_MATMUL: "xnnpack" },
    encoding: "utf8",
    timeout: 300_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

test("the threaded wasm build starts in Node with the threads asked for, and a training step's gradients equal one thread's bit for bit", () => {
  const one = run("1");
  const two = run("2");
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  assert.equal(two.hash, one.hash);
});

test("HYBRID_IR_WASM_THREADS: unset or empty is 1; anything but 1-8 is an error naming it", async () => {
  assert.equal(wasmThreadsFromEnv({}), 1);
  assert.equal(wasmThreadsFromEnv({ HYBRID_IR_WASM_THREADS: " " }), 1);
  assert.equal(wasmThreadsFromEnv({ HYBRID_IR_WASM_THREADS: "2" }), 2);
  for (const bad of ["0", "9", "1.5", "two"]) {
    assert.throws(() => wasmThreadsFromEnv({ HYBRID_IR_WASM_THREADS: bad }), new RegExp(`^Error: HYBRID_IR_WASM_THREADS=${bad}: expected a whole number from 1 to ${MAX_WASM_THREADS}$`));
  }
  await assert.rejects(startThreadedWasm(1), /threaded wasm needs 2 to 8 threads, got 1/);
});
