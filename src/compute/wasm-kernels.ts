/**
 * Kernel overrides and additions for tfjs's wasm backend, so that training an encoder on it is
 * practical. What tfjs-backend-wasm 4.22 does that motivates each:
 *
 * - BatchMatMul reaches XNNPACK (about 25 GFLOP/s here) only when neither operand is transposed
 *   and both have batch size 1; anything else runs a naive blocked loop in C++ (about 2 GFLOP/s).
 *   Every matMul gradient uses transposeA or transposeB, and attention is a batched matMul.
 *   Override: explicit Transpose, then XNNPACK — one call when b is shared by the batch, else
 *   one call per batch slice on views of the operands (no copies). Same for _FusedMatMul.
 * - Identity (every `clone`, so every tensor a gradient saves) copies the buffer; the override
 *   shares it, as the cpu backend does.
 * - Sum over leading axes (bias and LayerNorm gradients) transposes first, at about 9 ns a
 *   value; the override sums in JS.
 * - GatherV2 (embedding lookup) computes an index per value, about 35 ns each; the override
 *   copies whole rows.
 * - UnsortedSegmentSum, which the gradient of `gather` (embedding lookup) needs, is missing.
 *
 * While blas.ts has a BLAS active, BatchMatMul and _FusedMatMul (bias only) run on it instead of
 * XNNPACK, transposes included, reading and writing the heap in place (`blasProduct`).
 *
 * `installWasmKernels` swaps these in (initBackend does, on choosing wasm);
 * `uninstallWasmKernels` restores tfjs's own kernels for before/after benchmarks.
 *
 * The overrides reach into the backend's internals (`dataIdMap`, `wasm.tfjs.registerTensor`,
 * the C++ `BatchMatMul` signature behind `cwrap`), which tfjs does not keep stable: package.json
 * pins the exact tfjs versions, and test/compute/wasm-kernels.test.ts names what changed when a
 * new version breaks what this module relies on.
 */
import * as tf from "@tensorflow/tfjs";
import { activeBlas, type ActiveBlas, type ProductShape } from "./blas.js";

/** What this module needs of tfjs-backend-wasm's `BackendWasm`, which it types loosely. */
interface WasmBackend {
  readonly wasm: {
    cwrap(name: string, returnType: null, argTypes: readonly string[]): (...args: unknown[]) => void;
    readonly tfjs: {
      registerTensor(id: number, size: number, memoryOffset: number): void;
      disposeData(id: number): void;
    };
  };
  readonly dataIdMap: { get(dataId: tf.DataId): { id: number; memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: tf.DataId): void;
  disposeData(dataId: tf.DataId): boolean;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** The C++ `BatchMatMul` entry point: (aId, aShape, aRank, bId, bShape, bRank, transA, transB, outId). */
type WasmBatchMatMul = (...args: [number, Uint8Array, number, number, Uint8Array, number, boolean, boolean, number]) => void;

const BACKEND = "wasm";

/**
 * The cwrap argument types of tfjs-backend-wasm's own `BatchMatMul` setup (kernels/BatchMatMul.js),
 * which this module repeats to call the C++ entry point on views. Exported for the test that
 * compares them with the installed package's.
 */
export const BATCH_MAT_MUL_ARG_TYPES: readonly string[] = ["number", "array", "number", "number", "array", "number", "number", "number", "number"];

/**
 * Ids for the temporary view tensors of the batched matMul, far above the ids the backend hands
 * out (it counts up from 1 per tensor, so it would need two billion tensors to get here). Each is
 * registered, used for one XNNPACK call and disposed before the next registration; disposing
 * also frees the XNNPACK operator that the C++ side caches per weights id, which would otherwise
 * hold the previous slice's packed values under the same id.
 */
const VIEW_A = 0x7fff_fff0;
const VIEW_B = 0x7fff_fff1;
const VIEW_OUT = 0x7fff_fff2;

const cwrapped = new WeakMap<WasmBackend, WasmBatchMatMul>();

function wasmBatchMatMul(backend: WasmBackend): WasmBatchMatMul {
  let f = cwrapped.get(backend);
  if (f === undefined) {
    // Registered after the backend started, so no setupFunc runs for us: wrap lazily.
    f = backend.wasm.cwrap("BatchMatMul", null, BATCH_MAT_MUL_ARG_TYPES) as WasmBatchMatMul;
    cwrapped.set(backend, f);
  }
  return f;
}

function shapeBytes(shape: readonly number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

function dataOf(backend: WasmBackend, info: tf.TensorInfo): { id: number; memoryOffset: number } {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new Error("wasm kernel: input tensor is not on the wasm backend");
  return data;
}

function product(xs: readonly number[]): number {
  return xs.reduce((p, x) => p * x, 1);
}

/** The kernels tfjs registered, captured before they are overridden. */
interface Originals {
  readonly batchMatMul: tf.KernelConfig;
  readonly fusedMatMul: tf.KernelConfig;
  readonly identity: tf.KernelConfig;
  readonly sum: tf.KernelConfig;
  readonly gather: tf.KernelConfig;
  /** Not overridden; called directly from the matMul overrides. */
  readonly transpose: tf.KernelConfig;
}

/** Captured at the first install and kept, so overrides can be removed and put back. */
let originals: Originals | null = null;
let overridesOn = false;
let additionsOn = false;

/** x with its last two axes swapped, as a new tensor: [..., r, c] → [..., c, r]. */
function transposeLastTwo(x: tf.TensorInfo, backend: WasmBackend, o: Originals): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
  return o.transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
}

/**
 * Runs `body` on a and b with their transpose flags applied as explicit Transpose kernels, then
 * frees the transposed copies. A transpose costs one pass over the operand; the C++ loop it
 * avoids costs about ten times the matMul on XNNPACK.
 */
function withPlainOperands(
  args: KernelArgs,
  o: Originals,
  body: (a: tf.TensorInfo, b: tf.TensorInfo) => tf.TensorInfo,
): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const attrs = args.attrs as { transposeA: boolean; transposeB: boolean };
  const aPlain = attrs.transposeA ? transposeLastTwo(a, backend, o) : a;
  const bPlain = attrs.transposeB ? transposeLastTwo(b, backend, o) : b;
  try {
    return body(aPlain, bPlain);
  } finally {
    if (aPlain !== a) backend.disposeData(aPlain.dataId);
    if (bPlain !== b) backend.disposeData(bPlain.dataId);
  }
}

/** A product's sizes as the BLAS takes them, and its output's shape. */
interface BlasOperands extends ProductShape {
  readonly outShape: number[];
}

/**
 * The shape of a × b with the transpose flags applied, when the BLAS path covers it: float32,
 * no empty dimension, and outer batch shapes that are equal or all ones on one side (one slice
 * then serves the whole batch). Other broadcasts are rare enough to leave to XNNPACK.
 */
function blasOperands(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): BlasOperands | null {
  if (a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length < 2 || b.shape.length < 2) return null;
  const [ra, ca] = a.shape.slice(-2);
  const [rb, cb] = b.shape.slice(-2);
  const [m, k] = transposeA ? [ca, ra] : [ra, ca];
  const [kb, n] = transposeB ? [cb, rb] : [rb, cb];
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = product(outerA);
  const batchB = product(outerB);
  if (k !== kb || m * n * k * batchA * batchB === 0) return null;
  const sameBatch = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
  if (!sameBatch && batchA !== 1 && batchB !== 1) return null;
  const outShape = [...tf.backend_util.assertAndGetBroadcastShape(outerA, outerB), m, n];
  return { outShape, batch: Math.max(batchA, batchB), strideA: batchA === 1 ? 0 : m * k, strideB: batchB === 1 ? 0 : k * n, m, n, k };
}

/**
 * Runs a product on the BLAS into a new output tensor. A batched a against a shared b folds
 * into one product of batch·M rows, as the XNNPACK path does. `bias`, when given, holds N values
 * added to every row.
 */
function blasProduct(
  backend: WasmBackend,
  blas: ActiveBlas,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  bias: tf.TensorInfo | null,
  flags: { transposeA: boolean; transposeB: boolean },
  ops: BlasOperands,
): tf.TensorInfo {
  const out = backend.makeOutput(ops.outShape, "float32");
  // Views taken after makeOutput: an allocation may grow (and so replace) the wasm heap.
  const outView = backend.typedArrayFromHeap(out);
  const offset = (x: tf.TensorInfo): number => backend.typedArrayFromHeap(x).byteOffset;
  const fold = ops.strideB === 0 && ops.batch > 1 && !flags.transposeA;
  try {
    blas.run({
      heap: outView.buffer,
      a: offset(a),
      b: offset(b),
      out: outView.byteOffset,
      bias: bias === null ? -1 : offset(bias),
      batch: fold ? 1 : ops.batch,
      strideA: ops.strideA,
      strideB: ops.strideB,
      m: fold ? ops.batch * ops.m : ops.m,
      n: ops.n,
      k: ops.k,
      transposeA: flags.transposeA,
      transposeB: flags.transposeB,
    });
  } catch (error) {
    backend.disposeData(out.dataId);
    throw error;
  }
  return out;
}

/**
 * BatchMatMul: a [...batchA, M, K] × b [...batchB, K, N] → [...batch, M, N]: on the BLAS when
 * one is active and covers the shapes (`blasOperands`), else always on XNNPACK.
 * One product when b is shared by the whole batch (a's batch folds into its rows), one XNNPACK
 * call per slice when both are batched, and tfjs's own kernel for the broadcasts it does not
 * cover (outer batch shapes that are neither equal nor all ones).
 */
function batchMatMul(args: KernelArgs, o: Originals): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const blas = activeBlas();
  if (blas !== null) {
    const flags = args.attrs as { transposeA: boolean; transposeB: boolean };
    const ops = blasOperands(a, b, flags.transposeA, flags.transposeB);
    if (ops !== null) return blasProduct(args.backend as WasmBackend, blas, a, b, null, flags, ops);
  }
  if (a.dtype !== "float32" || b.dtype !== "float32") return o.batchMatMul.kernelFunc(args) as tf.TensorInfo;
  return withPlainOperands(args, o, (a, b) => {
    const backend = args.backend as WasmBackend;
    const [m, k] = a.shape.slice(-2);
    const n = b.shape[b.shape.length - 1];
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const batchA = product(outerA);
    const batchB = product(outerB);
    const plainAttrs = { transposeA: false, transposeB: false };
    if (m * k * n * batchA * batchB === 0) {
      // Empty operands: tfjs's kernel already gets the shape (and the zeros for K = 0) right.
      return o.batchMatMul.kernelFunc({ inputs: { a, b }, backend, attrs: plainAttrs }) as tf.TensorInfo;
    }
    const outShape = [...tf.backend_util.assertAndGetBroadcastShape(outerA, outerB), m, n];
    if (batchB === 1) {
      // [batchA·M, K] × [K, N]: the rows of every a slice meet the same b.
      const a2 = { ...a, shape: [1, batchA * m, k] };
      const b2 = { ...b, shape: [1, k, n] };
      const out = o.batchMatMul.kernelFunc({ inputs: { a: a2, b: b2 }, backend, attrs: plainAttrs }) as tf.TensorInfo;
      return { ...out, shape: outShape };
    }
    const sameBatch = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
    if (!sameBatch && batchA !== 1) {
      return o.batchMatMul.kernelFunc({ inputs: { a, b }, backend, attrs: plainAttrs }) as tf.TensorInfo;
    }
    const out = backend.makeOutput(outShape, "float32");
    const run = wasmBatchMatMul(backend);
    const aOffset = dataOf(backend, a).memoryOffset;
    const bOffset = dataOf(backend, b).memoryOffset;
    const outOffset = dataOf(backend, out).memoryOffset;
    const aShape = shapeBytes([1, m, k]);
    const bShape = shapeBytes([1, k, n]);
    const views = backend.wasm.tfjs;
    for (let i = 0; i < batchB; i++) {
      // 4 bytes per float32; a with batch 1 is broadcast over b's batch.
      views.registerTensor(VIEW_A, m * k, aOffset + (batchA === 1 ? 0 : i * m * k * 4));
      views.registerTensor(VIEW_B, k * n, bOffset + i * k * n * 4);
      views.registerTensor(VIEW_OUT, m * n, outOffset + i * m * n * 4);
      try {
        run(VIEW_A, aShape, 3, VIEW_B, bShape, 3, false, false, VIEW_OUT);
      } finally {
        views.disposeData(VIEW_A);
        views.disposeData(VIEW_B);
        views.disposeData(VIEW_OUT);
      }
    }
    return out;
  });
}

/**
 * _FusedMatMul (matMul + bias + activation, 3-D operands): transposes made explicit, and a
 * batched a against a shared b folded into one product, as in `batchMatMul`.
 */
function fusedMatMul(args: KernelArgs, o: Originals): tf.TensorInfo {
  const blas = activeBlas();
  if (blas !== null) {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean; activation: string };
    const ops = a !== undefined && b !== undefined ? blasOperands(a, b, attrs.transposeA, attrs.transposeB) : null;
    // Bias as one row of N values (what a dense layer has); activations stay with XNNPACK's kernel.
    const rowBias = bias === undefined || (bias.dtype === "float32" && bias.shape[bias.shape.length - 1] === ops?.n && product(bias.shape) === ops.n);
    if (ops !== null && rowBias && attrs.activation === "linear" && preluActivationWeights === undefined) {
      return blasProduct(args.backend as WasmBackend, blas, a!, b!, bias ?? null, attrs, ops);
    }
  }
  return withPlainOperands(args, o, (a, b) => {
    const attrs = { ...args.attrs, transposeA: false, transposeB: false };
    const [batchA, m, k] = a.shape;
    if (b.shape[0] === 1 && batchA > 1) {
      const a2 = { ...a, shape: [1, batchA * m, k] };
      const out = o.fusedMatMul.kernelFunc({ inputs: { ...args.inputs, a: a2, b }, backend: args.backend, attrs }) as tf.TensorInfo;
      return { ...out, shape: [batchA, m, b.shape[2]] };
    }
    return o.fusedMatMul.kernelFunc({ inputs: { ...args.inputs, a, b }, backend: args.backend, attrs }) as tf.TensorInfo;
  });
}

/**
 * Identity (what `clone` runs) sharing the input's buffer instead of copying it, as the cpu
 * backend does and as wasm's own Reshape already does. The engine clones every tensor a
 * gradient saves for the backward pass, so copying doubled the memory of a training step
 * (past wasm's 4 GB for the `mini` encoder at batch 32) and cost hundreds of copies per step.
 * Sharing is safe because no kernel writes into its inputs.
 */
function identity(args: KernelArgs, o: Originals): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === "string") return o.identity.kernelFunc(args) as tf.TensorInfo;
  (args.backend as WasmBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/**
 * Sum over leading axes (x [a, b, …, rest] → [rest]), the reduction in every bias and LayerNorm
 * gradient, as a JS loop over the heap. tfjs's wasm Sum only reduces innermost axes, so it
 * first transposes, and its Transpose runs at about 9 ns a value: 10 ms for a [4096, 256]
 * gradient, against under 2 ms here. Other reductions go to tfjs's kernel.
 */
function sum(args: KernelArgs, o: Originals): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
  const rank = x.shape.length;
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
  if (x.dtype !== "float32" || !leading) return o.sum.kernelFunc(args) as tf.TensorInfo;
  const rows = product(x.shape.slice(0, axes.length));
  const rest = x.shape.slice(axes.length);
  const cols = product(rest);
  const out = backend.makeOutput(keepDims ? [...axes.map(() => 1), ...rest] : rest, "float32");
  if (rows * cols === 0) {
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  const values = backend.typedArrayFromHeap(x);
  // float64 accumulators: thousands of rows summed in float32 would drift.
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let j = 0; j < cols; j++) acc[j] += values[base + j];
  }
  backend.typedArrayFromHeap(out).set(acc);
  return out;
}

/**
 * GatherV2 of whole rows (axis 0, no batch dims) — every embedding lookup — as one row copy per
 * index. tfjs's wasm kernel computes an index per value, at about 35 ns a value: 45 ms to look up
 * 5120 tokens of 256 floats, against about 2 ms here. Other gathers go to tfjs's kernel.
 */
function gather(args: KernelArgs, o: Originals): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
  const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
  const rank = x.shape.length;
  const rowsOnly = (axis === 0 || axis === -rank) && batchDims === 0 && rank >= 1;
  if (!rowsOnly || (x.dtype !== "float32" && x.dtype !== "int32") || indices.dtype !== "int32") {
    return o.gather.kernelFunc(args) as tf.TensorInfo;
  }
  const numRows = x.shape[0];
  const inner = product(x.shape.slice(1));
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  // Views taken after makeOutput: an allocation may grow (and so replace) the wasm heap.
  const ids = backend.typedArrayFromHeap(indices);
  const table = backend.typedArrayFromHeap(x);
  const rows = backend.typedArrayFromHeap(out);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!(id >= 0 && id < numRows)) {
      backend.disposeData(out.dataId);
      throw new Error(`GatherV2: the index value ${id} is not in [0, ${numRows - 1}]`);
    }
    rows.set(table.subarray(id * inner, (id + 1) * inner), i * inner);
  }
  return out;
}

/**
 * UnsortedSegmentSum: out[segmentIds[i], ...] += x[i, ...], with segmentIds' shape a prefix of
 * x's. Ids outside [0, numSegments) are dropped, as TensorFlow's kernel does on CPU. A plain JS
 * loop over the heap: the gradient of an embedding lookup sums batch·seq rows of `hidden`
 * floats, a few million adds at most, well under the cost of the matMuls around it.
 */
function unsortedSegmentSum(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = args.attrs as { numSegments: number };
  if (x.dtype !== "float32" && x.dtype !== "int32") {
    throw new Error(`UnsortedSegmentSum on wasm supports float32 and int32, not ${x.dtype}`);
  }
  const rows = product(segmentIds.shape);
  const inner = product(x.shape.slice(segmentIds.shape.length));
  const out = backend.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
  // Views taken after makeOutput: an allocation may grow (and so replace) the wasm heap.
  const values = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const sums = backend.typedArrayFromHeap(out);
  sums.fill(0);
  for (let r = 0; r < rows; r++) {
    const segment = ids[r];
    if (segment < 0 || segment >= numSegments) continue;
    const from = r * inner;
    const to = segment * inner;
    for (let j = 0; j < inner; j++) sums[to + j] += values[from + j];
  }
  return out;
}

/** Kernel names this module registers on wasm: replacements of tfjs's, then missing ones. */
export const WASM_KERNEL_OVERRIDES = ["BatchMatMul", "_FusedMatMul", "Identity", "Sum", "GatherV2"] as const;
export const WASM_KERNEL_ADDITIONS = ["UnsortedSegmentSum"] as const;

/** Which of this module's kernels are registered now. */
export function wasmKernelsInstalled(): { overrides: boolean; additions: boolean } {
  return { overrides: overridesOn, additions: additionsOn };
}

function capture(): Originals {
  const get = (name: string): tf.KernelConfig => {
    const config = tf.getKernel(name, BACKEND);
    if (config === undefined) {
      throw new Error(`installWasmKernels: wasm has no ${name} kernel (import @tensorflow/tfjs-backend-wasm first)`);
    }
    return config;
  };
  return {
    batchMatMul: get("BatchMatMul"),
    fusedMatMul: get("_FusedMatMul"),
    identity: get("Identity"),
    sum: get("Sum"),
    gather: get("GatherV2"),
    transpose: get("Transpose"),
  };
}

function replaceKernel(config: tf.KernelConfig): void {
  tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
}

/**
 * Registers this module's kernels on the wasm backend (what is already registered is left as
 * is) and returns their names. The wasm backend must be registered, i.e.
 * `@tensorflow/tfjs-backend-wasm` imported; it need not be active.
 *
 * @example
 * await import("@tensorflow/tfjs-backend-wasm");
 * await tf.setBackend("wasm");
 * installWasmKernels(); // ["BatchMatMul", "_FusedMatMul", "Identity", "Sum", "GatherV2", "UnsortedSegmentSum"]
 */
export function installWasmKernels(): readonly string[] {
  const o = (originals ??= capture());
  if (!overridesOn) {
    replaceKernel({ kernelName: "BatchMatMul", backendName: BACKEND, kernelFunc: (args) => batchMatMul(args, o) });
    replaceKernel({ kernelName: "_FusedMatMul", backendName: BACKEND, kernelFunc: (args) => fusedMatMul(args, o) });
    replaceKernel({ kernelName: "Identity", backendName: BACKEND, kernelFunc: (args) => identity(args, o) });
    replaceKernel({ kernelName: "Sum", backendName: BACKEND, kernelFunc: (args) => sum(args, o) });
    replaceKernel({ kernelName: "GatherV2", backendName: BACKEND, kernelFunc: (args) => gather(args, o) });
    overridesOn = true;
  }
  if (!additionsOn) {
    for (const name of WASM_KERNEL_ADDITIONS) {
      // A tfjs release that adds its own should be looked at, not silently shadowed.
      if (tf.getKernel(name, BACKEND) !== undefined) {
        throw new Error(`installWasmKernels: wasm already has ${name}; this module expected to add it`);
      }
    }
    tf.registerKernel({ kernelName: "UnsortedSegmentSum", backendName: BACKEND, kernelFunc: unsortedSegmentSum });
    additionsOn = true;
  }
  return [...WASM_KERNEL_OVERRIDES, ...WASM_KERNEL_ADDITIONS];
}

/**
 * Puts tfjs's own kernels (WASM_KERNEL_OVERRIDES) back, for before/after comparisons. With "all"
 * (the default) also removes the added kernels, after which nothing that needs them (the
 * gradient of `gather`) runs on wasm. `installWasmKernels` puts everything back.
 */
export function uninstallWasmKernels(which: "overrides" | "all" = "all"): void {
  if (originals !== null && overridesOn) {
    for (const config of [originals.batchMatMul, originals.fusedMatMul, originals.identity, originals.sum, originals.gather]) replaceKernel(config);
    overridesOn = false;
  }
  if (which === "all" && additionsOn) {
    for (const name of WASM_KERNEL_ADDITIONS) tf.unregisterKernel(name, BACKEND);
    additionsOn = false;
  }
}
