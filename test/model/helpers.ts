import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { DataError } from "../../src/util/errors.js";
import type { EncoderConfig } from "../../src/model/types.js";

/** Asserts a DataError about `file` whose message matches every pattern. */
export function rejectsData(promise: Promise<unknown>, file: string, ...res: RegExp[]): Promise<void> {
  return assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof DataError, `expected DataError, got ${String(err)}`);
    assert.equal(err.file, file);
    for (const re of res) assert.match(err.message, re);
    return true;
  });
}

/** Inside a describe(): a temp root removed afterwards, and a new empty directory per call. */
export function freshDirs(prefix: string): () => Promise<string> {
  let root = "";
  let count = 0;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  return async () => {
    const dir = join(root, `m${count++}`);
    await mkdir(dir);
    return dir;
  };
}

/** A two-layer, 8-wide BERT config for checkpoint and layout tests. */
export const TINY: EncoderConfig = {
  modelType: "bert",
  family: "bert",
  vocabSize: 11,
  hiddenSize: 8,
  numLayers: 2,
  numHeads: 2,
  intermediateSize: 16,
  maxPositionEmbeddings: 12,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  padTokenId: 0,
  hiddenAct: "gelu",
};

/** Exact equality of the float32 bits, naming the first element that differs. */
export function assertSameBits(actual: Float32Array, expected: Float32Array): void {
  assert.equal(actual.length, expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const i = a.findIndex((x, k) => x !== e[k]);
  assert.equal(i, -1, `element ${i}: ${actual[i]}, expected ${expected[i]}`);
}
