/**
 * NumPy `.npy` files (format versions 1–3), the exchange format for embeddings: a Python
 * model can write them with `np.save` and the evaluator scores them here.
 */
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../util/atomic-write.js";
import { DataError } from "./errors.js";

export interface Matrix {
  /** Row-major [rows × cols]. */
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && MAGIC.every((b, i) => bytes[i] === b);
}

/** Parses a 2-D float32 or float64 array (either byte order, C or Fortran order) into float32. */
export function parseNpy(bytes: Uint8Array, file: string): Matrix {
  if (!isNpy(bytes)) {
    const zip = bytes[0] === 0x50 && bytes[1] === 0x4b;
    throw new DataError(
      file,
      zip ? "is a zip archive (np.savez); save each array with np.save instead" : "not a NumPy .npy file (bad magic bytes)",
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3) throw new DataError(file, `unsupported .npy format version ${major}`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1] === "True";
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || shapeText === undefined) throw new DataError(file, `malformed .npy header: ${header.trim()}`);
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  if (shape.length !== 2) {
    throw new DataError(file, `expected a 2-D array [rows, dim], got shape (${shape.join(", ")})`);
  }
  const [rows, cols] = shape;
  const m = /^([<>|=])([fiu])(\d+)$/.exec(descr);
  if (!m || m[2] !== "f" || (m[3] !== "4" && m[3] !== "8")) {
    throw new DataError(file, `dtype '${descr}' is not supported (expected float32 '<f4' or float64 '<f8')`);
  }
  const width = Number(m[3]);
  const little = m[1] !== ">";
  const offset = headerStart + headerLen;
  const expected = rows * cols * width;
  if (bytes.length - offset !== expected) {
    throw new DataError(file, `holds ${bytes.length - offset} data bytes but shape (${rows}, ${cols}) of ${descr} needs ${expected} (truncated?)`);
  }
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows * cols; i++) {
    const at = offset + i * width;
    const v = width === 4 ? view.getFloat32(at, little) : view.getFloat64(at, little);
    // Fortran order stores column by column; the rest of the suite is row-major.
    const dst = fortran ? (i % rows) * cols + Math.floor(i / rows) : i;
    data[dst] = v;
  }
  return { data, rows, cols };
}

export async function readNpy(file: string): Promise<Matrix> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new DataError(file, "file is missing");
  }
  return parseNpy(bytes, file);
}

/** Serialises a row-major float32 matrix as a version-1 .npy. */
export function formatNpy(matrix: Matrix): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${matrix.rows}, ${matrix.cols}), }`;
  // Pad so the data starts on a 64-byte boundary, as NumPy itself does.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, " ") + "\n";
  const out = new Uint8Array(total + matrix.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(matrix.data.buffer, matrix.data.byteOffset, matrix.data.byteLength), total);
  return out;
}

export async function writeNpy(file: string, matrix: Matrix): Promise<void> {
  if (matrix.data.length !== matrix.rows * matrix.cols) {
    throw new Error(`${file}: data length ${matrix.data.length} does not match shape (${matrix.rows}, ${matrix.cols})`);
  }
  await writeFileAtomic(file, formatNpy(matrix));
}
