import assert from "node:assert/strict";
import { test } from "node:test";
import { initBackend } from "../../src/compute/backend.js";
import { wasmKernelsInstalled } from "../../src/compute/wasm-kernels.js";
import { recordingLogger, silentLogger } from "../../src/util/logger.js";

test("auto takes the first backend that starts, logging each candidate skipped (debug) and the choice (info)", async () => {
  const logger = recordingLogger();
  const chosen = await initBackend("auto", logger);
  const lines = logger.records.map((r) => r.message);
  assert.deepEqual(logger.records.map((r) => r.level), [...lines.slice(1).map(() => "debug"), "info"]);
  assert.match(lines.at(-1) ?? "", new RegExp(`^backend ${chosen} chosen`));
  if (chosen !== "wasm") return; // a machine with the TensorFlow binding or a GPU
  // Here: no tfjs-node-gpu, tfjs-node only as danfojs's alias of plain tfjs, Dawn without an adapter.
  assert.equal(lines.length, 4, lines.join("\n"));
  assert.match(lines[0], /^backend @tensorflow\/tfjs-node-gpu: .*; trying the next one$/);
  assert.match(lines[1], /^backend @tensorflow\/tfjs-node: .*; trying the next one$/);
  assert.match(lines[2], /^backend webgpu: .*; trying the next one$/);
  // The engine of the matrix products: the BLAS where the native module and OpenBLAS are (test/compute/blas.test.ts).
  assert.match(lines[3], /^backend wasm chosen, matrix products on (XNNPACK|BLAS .*, \d+ threads?)$/);
  assert.deepEqual(wasmKernelsInstalled(), { overrides: true, additions: true });
});

test("a named backend is honoured, and one that cannot start is an error naming why", async () => {
  const logger = recordingLogger();
  assert.equal(await initBackend("cpu", logger), "cpu");
  assert.equal(await initBackend("wasm", logger), "wasm");
  assert.deepEqual(logger.records, [], "only auto logs");
  if ((await initBackend("auto", silentLogger)) === "wasm") {
    await assert.rejects(initBackend("tensorflow"), /no tfjs backend could start \(@tensorflow\/tfjs-node-gpu: .*; @tensorflow\/tfjs-node: /);
    await assert.rejects(initBackend("webgpu"), /no tfjs backend could start \(webgpu: /);
  }
});

test("an unknown backend is refused, listing the known ones", async () => {
  // @ts-expect-error: checking the run-time guard for callers outside TypeScript
  await assert.rejects(initBackend("gpu"), /unknown backend 'gpu' \(expected one of: auto, tensorflow, webgpu, wasm, cpu\)/);
});
