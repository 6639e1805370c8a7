/**
 * The safetensors checkpoint format: a u64 little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}`,
 * then the tensor bytes (offsets are relative to the end of the header).
 *
 * Floating-point tensors (F64, F32, F16, BF16) come back as float32; anything else (the I64
 * `position_ids` buffer some transformers versions save, quantised weights) is listed in
 * `skipped` so the caller decides whether it matters.
 */
import { mkdir, open, rename, rm } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { endianness } from "node:os";
import { dirname } from "node:path";
import { DataError } from "../util/errors.js";
import { isPlainObject } from "../util/json-fields.js";
import type { NamedTensor } from "./types.js";

/** A tensor the reader did not convert because its dtype is not floating point. */
export interface SkippedTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
}

/** One header entry, before any bytes are read. */
export interface TensorEntry {
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Byte range within the data section (after the header), end exclusive. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  /** Every tensor the file holds, whatever its dtype. */
  readonly entries: ReadonlyMap<string, TensorEntry>;
  readonly metadata: Readonly<Record<string, string>>;
  /** Where the data section starts in the file: 8 + N. */
  readonly dataStart: number;
}

export interface SafetensorsContents {
  /** The floating-point tensors (those `select` kept), converted to float32. */
  readonly tensors: Map<string, NamedTensor>;
  /** Every tensor with a dtype that is not F64/F32/F16/BF16, selected or not. */
  readonly skipped: SkippedTensor[];
  readonly metadata: Readonly<Record<string, string>>;
}

export interface ReadSafetensorsOptions {
  /**
   * Which tensors to convert; the others are validated in the header but their bytes are never
   * read, so e.g. a 768 MB `lm_head.decoder.weight` costs nothing when only the encoder is wanted.
   */
  readonly select?: (name: string) => boolean;
}

const FLOAT_WIDTH: Readonly<Record<string, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2 };

/** Widths of the non-float dtypes the Python library defines, so their sizes are checked too. */
const OTHER_WIDTH: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  I32: 4,
  U32: 4,
  I64: 8,
  U64: 8,
};

// Typed-array views reinterpret bytes in host order and the format is little-endian; every
// platform Node ships for is little-endian, so refuse loudly rather than corrupt silently.
const HOST_IS_LITTLE_ENDIAN = endianness() === "LE";

function requireLittleEndian(): void {
  if (!HOST_IS_LITTLE_ENDIAN) throw new Error("safetensors I/O assumes a little-endian host");
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Parses and validates the JSON header. `dataLength` is the number of bytes after the header
 * (the file size minus 8 + N), against which every tensor's range is checked.
 */
export function parseSafetensorsHeader(headerBytes: Uint8Array, dataLength: number, file: string): SafetensorsHeader {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch (err) {
    throw new DataError(file, `safetensors header is not valid UTF-8 JSON (${(err as Error).message}); not a safetensors file, or corrupt`);
  }
  if (!isPlainObject(json)) throw new DataError(file, "safetensors header is not a JSON object");
  const entries = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json)) {
    if (name === "__metadata__") {
      if (!isPlainObject(raw) || !Object.values(raw).every((v) => typeof v === "string")) {
        throw new DataError(file, "safetensors __metadata__ must map strings to strings");
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    if (!isPlainObject(raw)) throw new DataError(file, `tensor '${name}': header entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = raw;
    if (typeof dtype !== "string") throw new DataError(file, `tensor '${name}': dtype is missing`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw new DataError(file, `tensor '${name}': shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) {
      throw new DataError(file, `tensor '${name}': data_offsets ${JSON.stringify(offsets)} is not [begin, end]`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLength) {
      throw new DataError(
        file,
        `tensor '${name}': data_offsets [${begin}, ${end}] lie outside the ${dataLength}-byte data section (truncated file?)`,
      );
    }
    const width = FLOAT_WIDTH[dtype] ?? OTHER_WIDTH[dtype];
    // An unknown dtype is refused, as the Python library does: read as "not a float, skipped" a
    // damaged "F32" would silently drop a weight.
    if (width === undefined) {
      throw new DataError(file, `tensor '${name}': dtype '${dtype}' is not a safetensors dtype (${[...Object.keys(FLOAT_WIDTH), ...Object.keys(OTHER_WIDTH)].join(", ")})`);
    }
    const dims = shape as number[];
    if ((end - begin) !== product(dims) * width) {
      throw new DataError(
        file,
        `tensor '${name}': ${end - begin} bytes but shape [${dims.join(", ")}] of ${dtype} needs ${product(dims) * width}`,
      );
    }
    entries.set(name, { dtype, shape: dims, begin, end });
  }
  // As the Python library requires: the tensors tile the data section, in order of their offsets,
  // with no gap, overlap or trailing bytes (overlapping tensors would read each other's bytes).
  let at = 0;
  for (const [name, e] of [...entries].sort(([, a], [, b]) => a.begin - b.begin || a.end - b.end)) {
    if (e.begin !== at) {
      throw new DataError(file, `tensor '${name}': data_offsets begin at ${e.begin}, but the previous tensor ends at ${at} (${e.begin < at ? "overlap" : "gap"})`);
    }
    at = e.end;
  }
  if (at !== dataLength) throw new DataError(file, `the tensors end at byte ${at} of a ${dataLength}-byte data section (trailing bytes: corrupt or truncated header)`);
  return { entries, metadata, dataStart: 8 + headerBytes.length };
}

/** The Python library's limit; a larger "header" means the bytes are something else. */
const MAX_HEADER_BYTES = 100_000_000n;

/** Reads the u64 header length, refusing values no real header has (a wrong file, most likely). */
function headerLength(prefix: Uint8Array, fileLength: number, file: string): number {
  if (fileLength < 8) throw new DataError(file, `is ${fileLength} bytes, too short for a safetensors file`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > MAX_HEADER_BYTES) {
    throw new DataError(file, `safetensors header claims ${n} bytes, over the ${MAX_HEADER_BYTES} the format allows (not a safetensors file?)`);
  }
  if (n > BigInt(fileLength - 8)) {
    throw new DataError(file, `safetensors header claims ${n} bytes but only ${fileLength - 8} follow (truncated, or not a safetensors file)`);
  }
  return Number(n);
}

let f16Table: Uint32Array | undefined;

/**
 * float32 bit patterns of all 65536 half-precision values. Built from bits rather than
 * arithmetic so NaN payloads and -0 survive and every value is exact (f16 ⊂ f32).
 */
function halfToFloatBits(): Uint32Array {
  if (f16Table) return f16Table;
  const table = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    let mant = h & 0x3ff;
    if (exp === 0x1f) {
      table[h] = sign | 0x7f800000 | (mant << 13);
    } else if (exp !== 0) {
      table[h] = sign | ((exp - 15 + 127) << 23) | (mant << 13);
    } else if (mant === 0) {
      table[h] = sign;
    } else {
      // Subnormal half (mant × 2^-24) is a normal float: shift the leading 1 into the implicit bit.
      let e = -14;
      while ((mant & 0x400) === 0) {
        mant <<= 1;
        e--;
      }
      table[h] = sign | ((e + 127) << 23) | ((mant & 0x3ff) << 13);
    }
  }
  f16Table = table;
  return table;
}

/** Converts one tensor's raw little-endian bytes to float32. */
function decode(dtype: string, bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  if (dtype === "F32") {
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === "F64") {
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
    return out;
  }
  const bits = new Uint32Array(out.buffer);
  if (dtype === "BF16") {
    // bfloat16 is the top half of a float32.
    for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
    return out;
  }
  const table = halfToFloatBits();
  for (let i = 0; i < count; i++) bits[i] = table[view.getUint16(i * 2, true)];
  return out;
}

/** Splits the header into tensors to convert (in file order) and non-float ones to list. */
function plan(header: SafetensorsHeader, options: ReadSafetensorsOptions): { read: Array<[string, TensorEntry]>; skipped: SkippedTensor[] } {
  const read: Array<[string, TensorEntry]> = [];
  const skipped: SkippedTensor[] = [];
  for (const [name, entry] of header.entries) {
    if (FLOAT_WIDTH[entry.dtype] === undefined) skipped.push({ name, dtype: entry.dtype, shape: entry.shape });
    else if (!options.select || options.select(name)) read.push([name, entry]);
  }
  read.sort(([, a], [, b]) => a.begin - b.begin);
  return { read, skipped };
}

/** Parses a whole safetensors file held in memory. */
export function parseSafetensors(bytes: Uint8Array, file: string, options: ReadSafetensorsOptions = {}): SafetensorsContents {
  requireLittleEndian();
  const n = headerLength(bytes, bytes.length, file);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + n), bytes.length - 8 - n, file);
  const { read, skipped } = plan(header, options);
  const tensors = new Map<string, NamedTensor>();
  for (const [name, e] of read) {
    const raw = bytes.subarray(header.dataStart + e.begin, header.dataStart + e.end);
    tensors.set(name, { shape: e.shape, data: decode(e.dtype, raw, product(e.shape)) });
  }
  return { tensors, skipped, metadata: header.metadata };
}

async function readExactly(fh: FileHandle, length: number, position: number, target?: Uint8Array): Promise<Uint8Array> {
  const buf = target ?? new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buf.subarray(0, done);
}

async function openForReading(file: string): Promise<FileHandle> {
  try {
    return await open(file, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(file, code === "ENOENT" ? "file is missing" : `cannot be opened (${code ?? String(err)})`);
  }
}

/** Reads and validates only the header: names, dtypes and shapes without touching the data. */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const fh = await openForReading(file);
  try {
    return await readHeaderFrom(fh, file);
  } finally {
    await fh.close();
  }
}

async function readHeaderFrom(fh: FileHandle, file: string): Promise<SafetensorsHeader> {
  const size = (await fh.stat()).size;
  const n = headerLength(await readExactly(fh, Math.min(8, size), 0), size, file);
  return parseSafetensorsHeader(await readExactly(fh, n, 8), size - 8 - n, file);
}

/**
 * Reads a safetensors file tensor by tensor straight into float32 arrays, so the file is never
 * held in memory whole (fs.readFile stops at 2 GiB, under XLM-R large's 2.2 GB checkpoint).
 */
export async function readSafetensors(file: string, options: ReadSafetensorsOptions = {}): Promise<SafetensorsContents> {
  requireLittleEndian();
  const fh = await openForReading(file);
  try {
    const header = await readHeaderFrom(fh, file);
    const { read, skipped } = plan(header, options);
    const tensors = new Map<string, NamedTensor>();
    for (const [name, e] of read) {
      const count = product(e.shape);
      const length = e.end - e.begin;
      // F32 bytes land directly in the output array; other dtypes go through one scratch copy.
      const out = e.dtype === "F32" ? new Float32Array(count) : undefined;
      const raw = await readExactly(fh, length, header.dataStart + e.begin, out && new Uint8Array(out.buffer));
      if (raw.length !== length) throw new DataError(file, `tensor '${name}': file ends early (truncated?)`);
      tensors.set(name, { shape: e.shape, data: out ?? decode(e.dtype, raw, count) });
    }
    return { tensors, skipped, metadata: header.metadata };
  } finally {
    await fh.close();
  }
}

/**
 * The header as the Python library writes it: `__metadata__` first, tensors sorted by name with
 * contiguous offsets, compact JSON padded with spaces to a multiple of 8 bytes.
 */
function formatHeader(
  tensors: ReadonlyMap<string, NamedTensor>,
  metadata: Readonly<Record<string, string>>,
): { header: Uint8Array; names: string[] } {
  const names = [...tensors.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const json: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    if (t.data.length !== product(t.shape)) {
      throw new Error(`tensor '${name}': ${t.data.length} values do not fill shape [${t.shape.join(", ")}]`);
    }
    json[name] = { dtype: "F32", shape: [...t.shape], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const text = new TextEncoder().encode(JSON.stringify(json));
  const padded = Math.ceil(text.length / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(text, 8);
  return { header, names };
}

// transformers' from_pretrained refuses a safetensors file whose metadata lacks format "pt".
const DEFAULT_METADATA: Readonly<Record<string, string>> = { format: "pt" };

/** Serialises float32 tensors to safetensors bytes. */
export function formatSafetensors(
  tensors: ReadonlyMap<string, NamedTensor>,
  metadata: Readonly<Record<string, string>> = DEFAULT_METADATA,
): Uint8Array {
  requireLittleEndian();
  const { header, names } = formatHeader(tensors, metadata);
  const total = names.reduce((s, n) => s + tensors.get(n)!.data.byteLength, header.length);
  const out = new Uint8Array(total);
  out.set(header, 0);
  let pos = header.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

/** FileHandle.write may write less than asked (Linux caps one write near 2 GiB). */
async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += (await fh.write(bytes, done, bytes.length - done)).bytesWritten;
}

/**
 * Writes a safetensors file atomically (temp file + rename, as writeFileAtomic does), streaming
 * tensor by tensor so a 2 GB checkpoint is not copied into one buffer first.
 */
export async function writeSafetensors(
  file: string,
  tensors: ReadonlyMap<string, NamedTensor>,
  metadata: Readonly<Record<string, string>> = DEFAULT_METADATA,
): Promise<void> {
  requireLittleEndian();
  const { header, names } = formatHeader(tensors, metadata);
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fh = await open(tmp, "w");
    try {
      await writeAll(fh, header);
      for (const name of names) {
        const d = tensors.get(name)!.data;
        await writeAll(fh, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      }
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
