/**
 * NumPy .npy reading and writing: the format versions, dtypes, byte orders and layouts NumPy
 * writes, and a DataError naming the file and the problem for everything else.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { formatNpy, isNpy, parseNpy, readNpy, writeNpy } from "../../src/data/npy.js";
import { DataError } from "../../src/util/errors.js";

/** A .npy as NumPy writes it, with an arbitrary dtype and raw little/big-endian payload. */
function npyBytes(descr: string, shape: number[], payload: Uint8Array, fortran = false): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortran ? "True" : "False"}, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - 11, " ") + "\n";
  const out = new Uint8Array(total + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(payload, total);
  return out;
}

describe(".npy", () => {
  test("float32 round trip keeps every value", () => {
    const data = Float32Array.from([1.5, -2, 3.25, 0, 1e-8, 7]);
    const m = parseNpy(formatNpy({ data, rows: 2, cols: 3 }), "x.npy");
    assert.deepEqual([m.rows, m.cols], [2, 3]);
    assert.deepEqual([...m.data], [...data]);
  });

  test("float64, big-endian and Fortran order are read as row-major float32", () => {
    const f64 = new Float64Array([1, 2, 3, 4, 5, 6]);
    const m64 = parseNpy(npyBytes("<f8", [3, 2], new Uint8Array(f64.buffer)), "x.npy");
    assert.deepEqual([...m64.data], [1, 2, 3, 4, 5, 6]);

    const be = new Uint8Array(4 * 2);
    const view = new DataView(be.buffer);
    view.setFloat32(0, 0.5, false);
    view.setFloat32(4, -3, false);
    assert.deepEqual([...parseNpy(npyBytes(">f4", [1, 2], be), "x.npy").data], [0.5, -3]);

    // Fortran order: column by column, so [[1, 2, 3], [4, 5, 6]] is stored 1 4 2 5 3 6.
    const f = new Float32Array([1, 4, 2, 5, 3, 6]);
    assert.deepEqual([...parseNpy(npyBytes("<f4", [2, 3], new Uint8Array(f.buffer), true), "x.npy").data], [1, 2, 3, 4, 5, 6]);
  });

  test("bad inputs name the file and the problem", () => {
    const ok = new Uint8Array(new Float32Array([1, 2]).buffer);
    assert.throws(() => parseNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), "a.npy"), /a\.npy: not a NumPy \.npy file/);
    assert.throws(() => parseNpy(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), "a.npz"), /a\.npz: is a zip archive/);
    assert.throws(() => parseNpy(npyBytes("<i4", [1, 2], ok), "b.npy"), /b\.npy: dtype '<i4' is not supported/);
    assert.throws(() => parseNpy(npyBytes("<f4", [2], ok), "c.npy"), /c\.npy: expected a 2-D array/);
    assert.throws(() => parseNpy(npyBytes("<f4", [2, 2], ok), "d.npy"), /d\.npy: holds 8 data bytes but shape \(2, 2\)/);
  });
});


/** A .npy of format `version` with exactly `header` as its header text (no padding added). */
function npyRaw(version: number, header: string | Uint8Array, payload = new Uint8Array(0)): Uint8Array {
  const text = typeof header === "string" ? new TextEncoder().encode(header) : header;
  const start = version === 1 ? 10 : 12;
  const out = new Uint8Array(start + text.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0], 0);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  out.set(text, start);
  out.set(payload, start + text.length);
  return out;
}

const f32 = (...xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);

/** Asserts that parsing `bytes` as `file` throws a DataError whose problem is exactly `problem`. */
function refused(bytes: Uint8Array, problem: string | RegExp, file = "e.npy"): void {
  assert.throws(
    () => parseNpy(bytes, file),
    (err: unknown) => {
      assert.ok(err instanceof DataError, `not a DataError: ${String(err)}`);
      assert.equal(err.file, file);
      if (typeof problem === "string") assert.equal(err.problem, problem);
      else assert.match(err.problem, problem);
      return true;
    },
  );
}

describe(".npy versions, shapes and dtypes", () => {
  test("versions 2 and 3 (a 4-byte header length) read as version 1 does", () => {
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }\n";
    for (const version of [1, 2, 3]) {
      const m = parseNpy(npyRaw(version, header, f32(0.25, -8)), "v.npy");
      assert.deepEqual([m.rows, m.cols, [...m.data]], [1, 2, [0.25, -8]], `version ${version}`);
    }
  });

  test("any key order and spacing NumPy's dict syntax allows; a shape without the trailing comma; zero rows", () => {
    const m = parseNpy(npyRaw(1, "{ 'shape':(2,1) ,'fortran_order':False,'descr':'=f4'}", f32(1, 2)), "x.npy");
    assert.deepEqual([m.rows, m.cols, [...m.data]], [2, 1, [1, 2]]);
    const empty = parseNpy(npyBytes("<f4", [0, 384], new Uint8Array(0)), "x.npy");
    assert.deepEqual([empty.rows, empty.cols, empty.data.length], [0, 384, 0]);
  });

  test("only 2-D float32 and float64 arrays", () => {
    refused(npyBytes("<f4", [], f32(1)), "expected a 2-D array [rows, dim], got shape ()");
    refused(npyBytes("<f4", [1, 1, 2], f32(1, 2)), "expected a 2-D array [rows, dim], got shape (1, 1, 2)");
    for (const descr of ["<f2", "<f16", ">i8", "|u1", "<c8", "|b1", "<U4"]) {
      refused(npyBytes(descr, [1, 2], f32(1, 2)), `dtype '${descr}' is not supported (expected float32 '<f4' or float64 '<f8')`);
    }
  });

  test("NaN and infinities are refused at their row-major place, float64 beyond float32's range too", () => {
    refused(npyBytes("<f4", [2, 2], f32(0, 1, Number.NaN, 3)), "row 1, column 0 is NaN (embeddings must be finite numbers)");
    // Fortran order: the fourth stored value (index 3) is row 1, column 1.
    refused(npyBytes("<f4", [2, 2], f32(0, 1, 2, -Infinity), true), "row 1, column 1 is -Infinity (embeddings must be finite numbers)");
    const big = new Uint8Array(new Float64Array([1, 1e300]).buffer);
    refused(npyBytes("<f8", [1, 2], big), "row 0, column 1 is 1e+300 (embeddings must be finite numbers)");
  });
});

describe("damaged .npy files", () => {
  test("isNpy checks the magic bytes only", () => {
    assert.equal(isNpy(npyBytes("<f4", [1, 1], f32(1))), true);
    assert.equal(isNpy(Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])), true);
    assert.equal(isNpy(Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50])), false);
    assert.equal(isNpy(new TextEncoder().encode("NUMPY and more")), false);
  });

  test("a preamble cut short, an unknown version, a header running past the end", () => {
    const full = npyBytes("<f4", [1, 1], f32(1));
    refused(full.subarray(0, 8), "truncated: 8 bytes, shorter than a .npy preamble");
    refused(npyRaw(2, "").subarray(0, 11), "truncated: 11 bytes, shorter than a version 2 preamble");
    for (const version of [0, 4]) {
      const bytes = full.slice();
      bytes[6] = version;
      refused(bytes, `unsupported .npy format version ${version}`);
    }
    refused(full.subarray(0, 100), "header length 118 runs past the end of the file (100 bytes): truncated or corrupt");
    refused(full.subarray(0, 130), "holds 2 data bytes but shape (1, 1) of <f4 needs 4 (truncated?)");
  });

  test("a version 3 header that is not UTF-8", () => {
    refused(npyRaw(3, Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a])), "the header is not valid UTF-8");
  });

  test("a header dict that is not exactly descr, fortran_order and shape is refused, never half-read", () => {
    const cases: [string, RegExp][] = [
      ["'descr': '<f4', 'fortran_order': False, 'shape': (1, 1)", /^malformed \.npy header \(not a \{\.\.\.\} dict\): /],
      ["{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", /^malformed \.npy header \('descr' given twice\)/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), 'extra': 1, }", /^malformed \.npy header \(unexpected "'extra': 1,"\)/],
      ["{'descr': '<f4', 'shape': (1, 1), }", /^malformed \.npy header \(no 'fortran_order' True\/False\)/],
      ["{'descr': '<f4', 'fortran_order': 0, 'shape': (1, 1), }", /^malformed \.npy header \(unexpected "'fortran_order': 0,"\)/],
      ["{'fortran_order': False, 'shape': (1, 1), }", /^malformed \.npy header \(no 'descr' string\)/],
      ["{'descr': True, 'fortran_order': False, 'shape': (1, 1), }", /^malformed \.npy header \(no 'descr' string\)/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': '1, 1', }", /^malformed \.npy header \(no 'shape' tuple\)/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (1, x), }", /^malformed \.npy header \(shape entries must be whole numbers\)/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (1, -1), }", /^malformed \.npy header \(shape entries must be whole numbers\)/],
    ];
    for (const [header, problem] of cases) refused(npyRaw(1, header + "\n", f32(1)), problem);
    // The message quotes the header itself.
    refused(npyRaw(1, "{'descr': '<f4'}\n"), /: "\{'descr': '<f4'\}"$/);
  });
});

describe("writing .npy", () => {
  test("formatNpy writes NumPy's own version-1 layout: the header dict padded so the data starts on 64 bytes", () => {
    const data = Float32Array.from([1.5, -2, 3.25, 0, 1e-8, 7]);
    const bytes = formatNpy({ data, rows: 2, cols: 3 });
    assert.deepEqual(bytes, npyBytes("<f4", [2, 3], new Uint8Array(data.buffer)));
    assert.equal(bytes.length, 128 + 24);
    const wide = formatNpy({ data: new Float32Array(0), rows: 0, cols: 123456789 });
    assert.equal(wide.length % 64, 0);
    assert.equal(wide[wide.length - 1], 0x0a, "the header ends with a newline");
  });

  test("formatNpy writes only the bytes of a view, not the whole buffer under it", () => {
    const buffer = Float32Array.from([9, 9, 1, 2, 3, 4, 9]);
    const m = parseNpy(formatNpy({ data: buffer.subarray(2, 6), rows: 2, cols: 2 }), "x.npy");
    assert.deepEqual([...m.data], [1, 2, 3, 4]);
  });

  test("writeNpy → readNpy round-trips; a missing file and a data length that does not fit the shape are errors", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "hybrid-ir-npy-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, "sub", "q.npy");
    const data = Float32Array.from({ length: 12 }, (_, i) => i / 7 - 1);
    await writeNpy(file, { data, rows: 4, cols: 3 });
    const m = await readNpy(file);
    assert.deepEqual([m.rows, m.cols, [...m.data]], [4, 3, [...data]]);
    assert.deepEqual(new Uint8Array(await readFile(file)), formatNpy({ data, rows: 4, cols: 3 }));

    await assert.rejects(readNpy(join(dir, "none.npy")), (err: unknown) => err instanceof DataError && err.message === `${join(dir, "none.npy")}: file is missing`);
    await assert.rejects(writeNpy(join(dir, "bad.npy"), { data, rows: 5, cols: 3 }), {
      message: `${join(dir, "bad.npy")}: data length 12 does not match shape (5, 3)`,
    });
    assert.deepEqual((await readdir(dir)).sort(), ["sub"], "nothing written for the bad matrix");
  });
});
