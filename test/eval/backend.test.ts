import assert from "node:assert/strict";
import { test } from "node:test";
import { initBackend } from "../../src/compute/backend.js";

test("auto prefers wasm; a named backend is honoured; an unknown one is refused", async () => {
  assert.equal(await initBackend("auto"), "wasm");
  assert.equal(await initBackend("cpu"), "cpu");
  // @ts-expect-error: checking the run-time guard for callers outside TypeScript
  await assert.rejects(initBackend("gpu"), /unknown backend 'gpu'/);
});
