import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DataError } from "../../src/util/errors.js";
import { formatSafetensors, parseSafetensors, readSafetensors, writeSafetensors } from "../../src/model/safetensors.js";
import type { NamedTensor } from "../../src/model/types.js";

/** A safetensors file built by hand from a header object and raw data bytes. */
function build(header: Record<string, unknown>, data: Uint8Array, pad = 0): Uint8Array {
  const text = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(pad));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

function u16le(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  values.forEach((v, i) => new DataView(out.buffer).setUint16(i * 2, v, true));
  return out;
}

/** Asserts fn throws a DataError about `file` whose message matches `re`. */
function throwsData(fn: () => unknown, file: string, re: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DataError, `expected DataError, got ${String(err)}`);
    assert.equal(err.file, file);
    assert.ok(err.message.startsWith(`${file}: `));
    assert.match(err.message, re);
    return true;
  });
}

/** Same values, with NaN equal to NaN and -0 distinct from 0. */
function sameValues(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Object.is(actual[i], expected[i]), `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

/** Slow, obvious IEEE half → number, to check the table-driven conversion against. */
function halfByArithmetic(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  if (exp === 0) return sign * mant * 2 ** -24;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

describe("safetensors", () => {
  test("F32 round trip keeps every value, including -0, NaN, Infinity and subnormals", () => {
    const a: NamedTensor = { shape: [2, 3], data: Float32Array.from([1.5, -0, NaN, Infinity, 1e-45, -3.25]) };
    const b: NamedTensor = { shape: [], data: Float32Array.from([7]) };
    const empty: NamedTensor = { shape: [0, 4], data: new Float32Array(0) };
    const bytes = formatSafetensors(new Map([["z.weight", a], ["a.bias", b], ["m", empty]]));
    const { tensors, skipped, metadata } = parseSafetensors(bytes, "x.safetensors");
    assert.deepEqual(metadata, { format: "pt" });
    assert.deepEqual(skipped, []);
    assert.deepEqual([...tensors.keys()], ["a.bias", "m", "z.weight"]);
    assert.deepEqual(tensors.get("z.weight")!.shape, [2, 3]);
    sameValues(tensors.get("z.weight")!.data, a.data);
    sameValues(tensors.get("a.bias")!.data, [7]);
    assert.deepEqual(tensors.get("m")!.shape, [0, 4]);
  });

  test("the header is laid out as the Python library writes it", () => {
    const t: NamedTensor = { shape: [1], data: Float32Array.from([1]) };
    const bytes = formatSafetensors(new Map([["b", t], ["a", t]]));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(n % 8, 0);
    assert.equal(bytes.length, 8 + n + 8);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    const json = '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    assert.equal(header, json.padEnd(n, " "));
  });

  test("F16 decodes exactly: normals, subnormals, ±Infinity, NaN, -0", () => {
    const halves = [0x3c00, 0xc000, 0x7bff, 0x3555, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x7e00, 0x8000, 0x0000];
    const expected = [1, -2, 65504, 0.333251953125, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, Infinity, -Infinity, NaN, -0, 0];
    const file = build({ h: { dtype: "F16", shape: [3, 4], data_offsets: [0, 24] } }, u16le(halves), 3);
    const t = parseSafetensors(file, "h.safetensors").tensors.get("h")!;
    assert.deepEqual(t.shape, [3, 4]);
    sameValues(t.data, expected);
  });

  test("F16 table agrees with plain arithmetic on all 65536 values", () => {
    const all = Array.from({ length: 65536 }, (_, i) => i);
    const file = build({ h: { dtype: "F16", shape: [65536], data_offsets: [0, 131072] } }, u16le(all));
    sameValues(parseSafetensors(file, "h.safetensors").tensors.get("h")!.data, all.map(halfByArithmetic));
  });

  test("BF16 decodes exactly: normals, subnormals, extremes, ±Infinity, NaN, -0", () => {
    const halves = [0x3f80, 0xc049, 0x0001, 0x7f7f, 0x7f80, 0xff80, 0x7fc0, 0x8000];
    const expected = [1, -3.140625, 2 ** -133, (2 - 2 ** -7) * 2 ** 127, Infinity, -Infinity, NaN, -0];
    const file = build({ b: { dtype: "BF16", shape: [8], data_offsets: [0, 16] } }, u16le(halves));
    sameValues(parseSafetensors(file, "b.safetensors").tensors.get("b")!.data, expected);
  });

  test("F64 is rounded to float32; other dtypes are listed as skipped, not converted", () => {
    const f64 = new Uint8Array(new Float64Array([0.1, -2.5]).buffer);
    const i64 = new Uint8Array(new BigInt64Array([0n, 1n, 2n]).buffer);
    const data = new Uint8Array(40);
    data.set(f64, 0);
    data.set(i64, 16);
    const file = build(
      {
        __metadata__: { format: "pt", note: "x" },
        d: { dtype: "F64", shape: [2], data_offsets: [0, 16] },
        "embeddings.position_ids": { dtype: "I64", shape: [1, 3], data_offsets: [16, 40] },
      },
      data,
    );
    const { tensors, skipped, metadata } = parseSafetensors(file, "d.safetensors");
    sameValues(tensors.get("d")!.data, [Math.fround(0.1), -2.5]);
    assert.deepEqual(skipped, [{ name: "embeddings.position_ids", dtype: "I64", shape: [1, 3] }]);
    assert.deepEqual(metadata, { format: "pt", note: "x" });
  });

  test("bad files give a DataError naming the file", () => {
    const four = new Uint8Array(4);
    throwsData(() => parseSafetensors(new Uint8Array(5), "short.st"), "short.st", /too short/);
    const notJson = build({}, four);
    notJson.set(new TextEncoder().encode("{oops"), 8);
    throwsData(() => parseSafetensors(notJson, "json.st"), "json.st", /header is not valid UTF-8 JSON/);
    throwsData(() => parseSafetensors(build([] as unknown as Record<string, unknown>, four), "arr.st"), "arr.st", /not a JSON object/);
    throwsData(
      () => parseSafetensors(build({ t: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, four), "range.st"),
      "range.st",
      /tensor 't': data_offsets \[0, 8\] lie outside the 4-byte data section/,
    );
    throwsData(
      () => parseSafetensors(build({ t: { dtype: "F32", shape: [2], data_offsets: [4, 0] } }, four), "order.st"),
      "order.st",
      /data_offsets \[4, 0\]/,
    );
    throwsData(
      () => parseSafetensors(build({ t: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, four), "size.st"),
      "size.st",
      /tensor 't': 4 bytes but shape \[2\] of F32 needs 8/,
    );
    throwsData(
      () => parseSafetensors(build({ t: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, four), "shape.st"),
      "shape.st",
      /shape \[-1\] is not a list of non-negative integers/,
    );
    throwsData(
      () => parseSafetensors(build({ __metadata__: { n: 1 } }, four), "meta.st"),
      "meta.st",
      /__metadata__ must map strings to strings/,
    );
    const whole = formatSafetensors(new Map([["t", { shape: [4], data: new Float32Array(4) }]]));
    throwsData(() => parseSafetensors(whole.subarray(0, whole.length - 1), "trunc.st"), "trunc.st", /outside the 15-byte data section \(truncated/);
    throwsData(() => parseSafetensors(whole.subarray(0, 20), "cut.st"), "cut.st", /header claims \d+ bytes but only 12 follow/);
    // torch.save's zip archive, renamed: the "length" is the zip magic, far past the format's cap.
    const zip = new Uint8Array(64);
    zip.set([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x08]);
    throwsData(() => parseSafetensors(zip, "bin.st"), "bin.st", /header claims \d+ bytes, over the 100000000 the format allows/);
  });

  test("formatSafetensors refuses data that does not fill its shape", () => {
    assert.throws(() => formatSafetensors(new Map([["t", { shape: [2, 2], data: new Float32Array(3) }]])), /3 values do not fill shape \[2, 2\]/);
  });
});

describe("safetensors files", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "safetensors-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("write → read round trip, byte-identical to formatSafetensors, with no temp file left", async () => {
    const tensors = new Map<string, NamedTensor>([
      ["w", { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }],
      ["b", { shape: [2], data: Float32Array.from([-1, 0.5]) }],
    ]);
    const file = join(dir, "sub", "m.safetensors");
    await writeSafetensors(file, tensors);
    assert.deepEqual(new Uint8Array(await readFile(file)), formatSafetensors(tensors));
    assert.deepEqual(await readdir(join(dir, "sub")), ["m.safetensors"]);
    const back = await readSafetensors(file);
    assert.deepEqual([...back.tensors.keys()].sort(), ["b", "w"]);
    sameValues(back.tensors.get("w")!.data, [1, 2, 3, 4]);
    sameValues(back.tensors.get("b")!.data, [-1, 0.5]);
  });

  test("select reads only the chosen tensors; F16 is converted when read from a file", async () => {
    const file = join(dir, "mixed.safetensors");
    const data = new Uint8Array(8 + 4);
    data.set(new Uint8Array(Float32Array.from([3, 4]).buffer), 0);
    data.set(u16le([0x3c00, 0xc000]), 8);
    await writeFile(
      file,
      build({ f: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, h: { dtype: "F16", shape: [2], data_offsets: [8, 12] } }, data, 5),
    );
    const onlyH = await readSafetensors(file, { select: (n) => n === "h" });
    assert.deepEqual([...onlyH.tensors.keys()], ["h"]);
    sameValues(onlyH.tensors.get("h")!.data, [1, -2]);
    sameValues((await readSafetensors(file)).tensors.get("f")!.data, [3, 4]);
  });

  test("a truncated or missing file gives a DataError naming it", async () => {
    const file = join(dir, "trunc.safetensors");
    const whole = formatSafetensors(new Map([["t", { shape: [4], data: new Float32Array(4) }]]));
    await writeFile(file, whole.subarray(0, whole.length - 2));
    await assert.rejects(readSafetensors(file), (err: unknown) => err instanceof DataError && err.file === file && /truncated/.test(err.message));
    const missing = join(dir, "none.safetensors");
    await assert.rejects(readSafetensors(missing), (err: unknown) => err instanceof DataError && err.file === missing && /missing/.test(err.message));
  });
});
