import assert from "node:assert/strict";
import { test } from "node:test";
import { initBackend } from "../../src/compute/backend.js";
import { wasmKernelsInstalled } from "../../src/compute/wasm-kernels.js";

test("auto takes the first backend that starts, logging one line per candidate skipped and the choice", async () => {
  const lines: string[] = [];
  const chosen = await initBackend("auto", (line) => lines.push(line));
  assert.match(lines.at(-1) ?? "", new RegExp(`^backend ${chosen} chosen`));
  if (chosen !== "wasm") return; // a machine with the TensorFlow binding or a GPU
  // Here: no tfjs-node-gpu, tfjs-node only as danfojs's alias of plain tfjs, Dawn without an adapter.
  assert.equal(lines.length, 4, lines.join("\n"));
  assert.match(lines[0], /^backend @tensorflow\/tfjs-node-gpu: .*; trying the next one$/);
  assert.match(lines[1], /^backend @tensorflow\/tfjs-node: .*; trying the next one$/);
  assert.match(lines[2], /^backend webgpu: .*; trying the next one$/);
  assert.equal(lines[3], "backend wasm chosen");
  assert.deepEqual(wasmKernelsInstalled(), { overrides: true, additions: true });
});

test("a named backend is honoured, and one that cannot start is an error naming why", async () => {
  const lines: string[] = [];
  assert.equal(await initBackend("cpu", (line) => lines.push(line)), "cpu");
  assert.equal(await initBackend("wasm", (line) => lines.push(line)), "wasm");
  assert.deepEqual(lines, [], "only auto logs");
  if ((await initBackend("auto", () => {})) === "wasm") {
    await assert.rejects(initBackend("tensorflow"), /no tfjs backend could start \(@tensorflow\/tfjs-node-gpu: .*; @tensorflow\/tfjs-node: /);
    await assert.rejects(initBackend("webgpu"), /no tfjs backend could start \(webgpu: /);
  }
});

test("an unknown backend is refused, listing the known ones", async () => {
  // @ts-expect-error: checking the run-time guard for callers outside TypeScript
  await assert.rejects(initBackend("gpu"), /unknown backend 'gpu' \(expected one of: auto, tensorflow, webgpu, wasm, cpu\)/);
});
