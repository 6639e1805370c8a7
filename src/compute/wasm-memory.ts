/**
 * What to tell a user whose command died because tfjs-wasm ran out of memory. wasm32 addresses at
 * most 4 GiB; past it the module aborts with a bare "memory access out of bounds" (or "Aborted()")
 * that says nothing of memory, the batch or what to change.
 */

/** The advice for an error that is wasm running out of memory, or null for any other error. */
export function wasmMemoryHint(err: unknown): string | null {
  if (!(err instanceof Error) || err.name !== "RuntimeError") return null;
  if (!/memory access out of bounds|^Aborted|out of memory/i.test(err.message)) return null;
  return (
    "the wasm backend ran out of memory (it addresses at most 4 GiB). Lower the batch, or turn on gradient caching " +
    "with a smaller chunk (--grad-cache-chunk N), or shorten maxPassageLength, or train only the top layers " +
    "(model.trainLayers). See README, \"Batches larger than memory\"."
  );
}
