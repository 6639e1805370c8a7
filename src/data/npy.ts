/**
 * NumPy `.npy` files (format versions 1–3), the exchange format for embeddings: a Python
 * model can write them with `np.save` and the evaluator scores them here.
 */
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../util/atomic-write.js";
import { DataError } from "../util/errors.js";

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
  if (bytes.length < 10) throw new DataError(file, `truncated: ${bytes.length} bytes, shorter than a .npy preamble`);
  const major = bytes[6];
  if (major < 1 || major > 3) throw new DataError(file, `unsupported .npy format version ${major}`);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) throw new DataError(file, `truncated: ${bytes.length} bytes, shorter than a version ${major} preamble`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerStart + headerLen > bytes.length) {
    throw new DataError(file, `header length ${headerLen} runs past the end of the file (${bytes.length} bytes): truncated or corrupt`);
  }
  let header: string;
  try {
    header = new TextDecoder(major === 3 ? "utf-8" : "latin1", { fatal: true }).decode(bytes.subarray(headerStart, headerStart + headerLen));
  } catch {
    throw new DataError(file, `the header is not valid UTF-8`);
  }
  const { descr, fortran, shape } = parseHeader(header, file);
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
    // A float64 beyond float32's range becomes Infinity here: refused alike.
    if (!Number.isFinite(data[dst])) {
      throw new DataError(file, `row ${Math.floor(dst / cols)}, column ${dst % cols} is ${v} (embeddings must be finite numbers)`);
    }
  }
  return { data, rows, cols };
}

/**
 * The header dict, as NumPy writes it: exactly the keys 'descr', 'fortran_order' and 'shape',
 * once each, and nothing else (so a damaged header is refused, never half-read).
 */
function parseHeader(header: string, file: string): { descr: string; fortran: boolean; shape: number[] } {
  const malformed = (why: string): never => {
    throw new DataError(file, `malformed .npy header (${why}): ${JSON.stringify(header.trim().slice(0, 200))}`);
  };
  const body = /^\{(.*)\}\s*$/s.exec(header.trimStart())?.[1] ?? malformed("not a {...} dict");
  const fields = new Map<string, string>();
  const rest = body.replace(/\s*'(descr|fortran_order|shape)'\s*:\s*('[^']*'|True|False|\([^()]*\))\s*(,|$)/g, (_all, key: string, value: string) => {
    if (fields.has(key)) malformed(`'${key}' given twice`);
    fields.set(key, value);
    return "";
  });
  if (rest.trim() !== "") malformed(`unexpected ${JSON.stringify(rest.trim().slice(0, 40))}`);
  const descr = fields.get("descr");
  const fortran = fields.get("fortran_order");
  const shapeText = fields.get("shape");
  if (descr === undefined || !descr.startsWith("'")) return malformed("no 'descr' string");
  if (fortran !== "True" && fortran !== "False") return malformed("no 'fortran_order' True/False");
  if (shapeText === undefined || !shapeText.startsWith("(")) return malformed("no 'shape' tuple");
  const parts = shapeText.slice(1, -1).split(",").map((x) => x.trim());
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  if (parts.length === 1 && parts[0] === "") parts.pop();
  if (!parts.every((x) => /^\d+$/.test(x))) malformed(`shape entries must be whole numbers`);
  return { descr: descr.slice(1, -1), fortran: fortran === "True", shape: parts.map(Number) };
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
