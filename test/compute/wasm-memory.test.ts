import assert from "node:assert/strict";
import { test } from "node:test";
import { wasmMemoryHint } from "../../src/compute/wasm-memory.js";

/** The engine's own trap class (the project's TypeScript lib has no WebAssembly types). */
const RuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new (message: string) => Error } }).WebAssembly.RuntimeError;

test("wasm's out-of-memory aborts get the advice; other errors, even other wasm traps, do not", () => {
  for (const message of ["memory access out of bounds", "Aborted(). Build with -sASSERTIONS for more info.", "Aborted()", "Out of memory: Cannot allocate Wasm memory"]) {
    const hint = wasmMemoryHint(new RuntimeError(message));
    assert.match(hint ?? "", /ran out of memory \(it addresses at most 4 GiB\).*--grad-cache-chunk/, message);
  }
  assert.equal(wasmMemoryHint(new RuntimeError("unreachable")), null);
  assert.equal(wasmMemoryHint(new RuntimeError("integer divide by zero")), null);
  // The same words in an error that is not a wasm trap say nothing about wasm's memory.
  assert.equal(wasmMemoryHint(new Error("memory access out of bounds")), null);
  assert.equal(wasmMemoryHint(new RangeError("Aborted")), null);
  assert.equal(wasmMemoryHint("memory access out of bounds"), null);
  assert.equal(wasmMemoryHint(undefined), null);
});
