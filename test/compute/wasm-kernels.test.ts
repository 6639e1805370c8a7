import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/compute/backend.js";
import { activeBlas, useBlas, useXnnpack, type ActiveBlas } from "../../src/compute/blas.js";
import {
  BATCH_MAT_MUL_ARG_TYPES,
  WASM_KERNEL_ADDITIONS,
  WASM_KERNEL_OVERRIDES,
  installWasmKernels,
  uninstallWasmKernels,
  wasmKernelsInstalled,
} from "../../src/compute/wasm-kernels.js";
import { packageRoot } from "../../src/paths.js";
import { mulberry32 } from "../../src/util/random.js";
import { silentLogger } from "../../src/util/logger.js";

/** Uniform values in [-1, 1), seeded: products of up to 64 terms stay near 1 in size. */
function values(seed: number, size: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: size }, () => 2 * rand() - 1);
}

function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** Runs `f` on a backend and returns its result's shape and values (the tensor is freed). */
async function on(backend: "cpu" | "wasm", f: () => tf.Tensor): Promise<{ shape: number[]; data: Float32Array | Int32Array }> {
  await tf.setBackend(backend);
  const t = tf.tidy(f);
  try {
    return { shape: t.shape, data: (await t.data()) as Float32Array | Int32Array };
  } finally {
    t.dispose();
  }
}

/** The same computation on cpu (reference) and wasm (overrides), equal within `tol`. */
async function matchesCpu(f: () => tf.Tensor, tol = 1e-5): Promise<void> {
  const want = await on("cpu", f);
  const got = await on("wasm", f);
  assert.deepEqual(got.shape, want.shape);
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) worst = Math.max(worst, Math.abs(got.data[i] - want.data[i]));
  assert.ok(worst <= tol, `max |wasm − cpu| = ${worst} > ${tol}`);
}

describe("wasm kernels", () => {
  let chosen: ActiveBlas | null = null;
  before(async () => {
    assert.equal(await initBackend("wasm", silentLogger), "wasm");
    assert.deepEqual(wasmKernelsInstalled(), { overrides: true, additions: true });
    chosen = activeBlas();
  });
  /** Back to what initBackend chose, for the tests after. */
  const restoreMatMul = () => (chosen === null ? useXnnpack() : void useBlas(chosen.threads));

  // Every product runs on both engines: XNNPACK (tfjs's, behind the overrides) and the BLAS.
  for (const engine of ["xnnpack", "blas"] as const) {
    describe(`matrix products on ${engine}`, () => {
      let skip: string | false = false;
      before(() => {
        if (engine === "xnnpack") return useXnnpack();
        try {
          useBlas(1);
        } catch (error) {
          // CI builds the native module and installs OpenBLAS (.ci/run): there it must run.
          if (process.env.CI) throw error;
          skip = `no BLAS here: ${(error as Error).message}`;
        }
      });
      after(() => restoreMatMul());
      const it = (name: string, body: () => Promise<void>) => test(name, async (t) => (skip ? t.skip(skip) : body()));
      // [a shape, b shape, transposeA, transposeB]
      const matMulCases: [number[], number[], boolean, boolean][] = [
        [[7, 5], [5, 3], false, false],
        [[5, 7], [5, 3], true, false],
        [[7, 5], [3, 5], false, true],
        [[5, 7], [3, 5], true, true],
        // attention: scores (q·kᵀ), context (p·v) and their gradients
        [[6, 9, 4], [6, 9, 4], false, true],
        [[6, 9, 9], [6, 9, 4], false, false],
        [[6, 9, 9], [6, 9, 4], true, false],
        [[2, 3, 9, 4], [2, 3, 4, 9], false, false],
        // one side broadcast over the other's batch
        [[6, 9, 4], [4, 5], false, false],
        [[6, 9, 4], [1, 5, 4], false, true],
        [[9, 4], [6, 4, 5], false, false],
        [[1, 9, 4], [6, 4, 5], false, false],
        // a broadcast the overrides hand back to tfjs's kernel
        [[2, 1, 3, 4], [1, 3, 4, 5], false, false],
        // a transposed and batched against a shared b (no folding into one product)
        [[6, 4, 9], [4, 5], true, false],
        [[6, 4, 9], [5, 4], true, true],
        // large enough for XNNPACK's and OpenBLAS's blocking to matter
        [[64, 48], [64, 40], true, false],
        [[300, 200], [260, 200], false, true],
        [[3, 130, 70], [70, 90], false, false],
      ];
      for (const [sa, sb, ta, tb] of matMulCases) {
        it(`BatchMatMul [${sa}]${ta ? "ᵀ" : ""} × [${sb}]${tb ? "ᵀ" : ""} matches cpu`, async () => {
          const a = values(1, size(sa));
          const b = values(2, size(sb));
          // Sums of up to 200 terms: float32 rounding grows with the length.
          await matchesCpu(() => tf.matMul(tf.tensor(a, sa), tf.tensor(b, sb), ta, tb), 2e-5 * Math.sqrt(ta ? sa.at(-2)! : sa.at(-1)!));
        });
      }

      it("BatchMatMul with an empty inner dimension gives zeros", async () => {
        await matchesCpu(() => tf.matMul(tf.zeros([2, 3, 0]), tf.zeros([2, 0, 4])));
      });

      it("_FusedMatMul with bias, activation and transposes matches cpu", async () => {
        const cases: [number[], number[], boolean, boolean][] = [
          [[7, 5], [5, 3], false, false],
          [[5, 7], [3, 5], true, true],
          [[4, 7, 5], [5, 3], false, false],
          [[4, 5, 7], [1, 3, 5], true, true],
        ];
        for (const [sa, sb, ta, tb] of cases) {
          const n = tb ? sb.at(-2)! : sb.at(-1)!;
          // tfjs's wasm kernel takes rank-1 biases only: a dense layer's, or none.
          for (const bias of [values(5, n), null]) {
            for (const activation of ["linear", "relu"] as const) {
              await matchesCpu(() =>
                tf.fused.matMul({
                  a: tf.tensor(values(3, size(sa)), sa),
                  b: tf.tensor(values(4, size(sb)), sb),
                  transposeA: ta,
                  transposeB: tb,
                  bias: bias === null ? undefined : tf.tensor1d(bias),
                  activation,
                }),
              );
            }
          }
        }
      });

      it("matMul gradients (transposed products) match cpu", async () => {
        const a = values(6, 3 * 8 * 5);
        const b = values(7, 3 * 5 * 6);
        const grads = (which: 0 | 1) => () => {
          const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y))));
          return g([tf.tensor(a, [3, 8, 5]), tf.tensor(b, [3, 5, 6])])[which];
        };
        await matchesCpu(grads(0), 1e-4);
        await matchesCpu(grads(1), 1e-4);
      });

    });
  }

  test("Sum over leading axes matches cpu; other reductions still work", async () => {
    const x = values(8, 4 * 6 * 5);
    const cases: [number | number[], boolean][] = [[0, false], [[0, 1], false], [0, true], [[1, 0], true], [-1, false], [1, false], [[0, 1, 2], false]];
    for (const [axis, keepDims] of cases) {
      await matchesCpu(() => tf.sum(tf.tensor(x, [4, 6, 5]), axis, keepDims));
    }
    await matchesCpu(() => tf.sum(tf.tensor([1, 2, 3, 4, 5, 6], [3, 2], "int32"), 0));
    await matchesCpu(() => tf.sum(tf.zeros([0, 3]), 0));
  });

  test("Identity shares the buffer: a clone outlives its source", async () => {
    await tf.setBackend("wasm");
    const x = tf.tensor([1, 2, 3]);
    const y = x.clone();
    x.dispose();
    assert.deepEqual(Array.from(await y.data()), [1, 2, 3]);
    y.dispose();
    const s = tf.tensor(["a", "b"]);
    const t = s.clone();
    s.dispose();
    assert.deepEqual(await t.data(), ["a", "b"]);
    t.dispose();
  });

  test("GatherV2 matches cpu: whole rows, other axes, batch dims; an out-of-range index throws", async () => {
    const table = values(13, 6 * 4 * 2);
    const ids = tf.tensor2d([[5, 0, 5], [2, 2, 1]], undefined, "int32");
    await matchesCpu(() => tf.gather(tf.tensor(table, [6, 8]), ids));
    await matchesCpu(() => tf.gather(tf.tensor(table, [6, 4, 2]), ids));
    await matchesCpu(() => tf.gather(tf.tensor(table.slice(0, 6)), ids));
    await matchesCpu(() => tf.gather(tf.tensor([1, 2, 3, 4, 5, 6], [3, 2], "int32"), tf.tensor1d([2, 0], "int32")));
    await matchesCpu(() => tf.gather(tf.tensor(table, [6, 8]), tf.tensor1d([7, 1], "int32"), 1));
    await matchesCpu(() => tf.gather(tf.tensor(table, [2, 3, 8]), tf.tensor2d([[2, 0], [1, 1]], undefined, "int32"), 1, 1));
    await tf.setBackend("wasm");
    assert.throws(() => tf.gather(tf.tensor(table, [6, 8]), tf.tensor1d([1, 6], "int32")), /index value 6 is not in \[0, 5\]/);
  });

  test("UnsortedSegmentSum matches cpu, dropping out-of-range ids", async () => {
    const x = values(9, 7 * 3);
    const ids = [2, 0, 2, -1, 4, 1, 2];
    await matchesCpu(() => tf.unsortedSegmentSum(tf.tensor(x, [7, 3]), tf.tensor1d(ids, "int32"), 4));
    await matchesCpu(() => tf.unsortedSegmentSum(tf.tensor([1, 2, 3, 4], [4], "int32"), tf.tensor1d([1, 1, 0, 1], "int32"), 2));
  });

  test("the gradient of gather (embedding lookup) runs on wasm and matches cpu", async () => {
    const table = values(10, 6 * 4);
    const ids = [[1, 5, 1], [0, 1, 3]];
    await matchesCpu(() => {
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, tf.tensor2d(ids, [2, 3], "int32")))));
      return g(tf.tensor(table, [6, 4]));
    });
  });

  test("uninstall restores tfjs's kernels (results unchanged); install puts ours back", async () => {
    await tf.setBackend("wasm");
    const f = () => tf.matMul(tf.tensor(values(11, 20), [4, 5]), tf.tensor(values(12, 15), [3, 5]), false, true);
    const ours = await on("wasm", f);
    uninstallWasmKernels("overrides");
    assert.deepEqual(wasmKernelsInstalled(), { overrides: false, additions: true });
    const theirs = await on("wasm", f);
    for (let i = 0; i < ours.data.length; i++) assert.ok(Math.abs(ours.data[i] - theirs.data[i]) < 1e-5);
    uninstallWasmKernels("all");
    assert.equal(tf.getKernel("UnsortedSegmentSum", "wasm"), undefined);
    assert.deepEqual(installWasmKernels(), [...WASM_KERNEL_OVERRIDES, ...WASM_KERNEL_ADDITIONS]);
    assert.deepEqual(wasmKernelsInstalled(), { overrides: true, additions: true });
    assert.notEqual(tf.getKernel("UnsortedSegmentSum", "wasm"), undefined);
  });
});

/**
 * What compute/wasm-kernels.ts relies on inside tfjs-backend-wasm, which is not public API. Each
 * check says what changed, so a tfjs upgrade fails here, not as wrong numbers or a heap crash.
 */
describe("tfjs-backend-wasm internals the overrides rely on", () => {
  const require = createRequire(join(packageRoot(), "package.json"));
  const PATCHED = ["@tensorflow/tfjs", "@tensorflow/tfjs-core", "@tensorflow/tfjs-backend-wasm"];

  function installedVersion(name: string): string {
    const manifest = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string };
    return manifest.version;
  }

  before(async () => {
    assert.equal(await initBackend("wasm", silentLogger), "wasm");
  });

  test("package.json pins the exact tfjs versions, and they are the ones installed", () => {
    const manifest = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      optionalDependencies: Record<string, string>;
    };
    const pinned = { ...manifest.optionalDependencies, ...manifest.dependencies };
    const tfjsDeps = Object.entries(pinned).filter(([name]) => name.startsWith("@tensorflow/"));
    assert.ok(tfjsDeps.length >= 2, "package.json lists no @tensorflow/* dependencies");
    for (const [name, range] of tfjsDeps) {
      assert.match(range, /^\d+\.\d+\.\d+$/, `package.json allows ${name}@${range}: wasm-kernels.ts patches tfjs internals, pin an exact version`);
    }
    const want = pinned["@tensorflow/tfjs-backend-wasm"];
    for (const name of PATCHED) {
      assert.equal(installedVersion(name), want, `${name} ${installedVersion(name)} is installed, wasm-kernels.ts was checked against ${want}: run npm ci`);
    }
  });

  test("the BatchMatMul cwrap signature is the one tfjs-backend-wasm itself uses", () => {
    const kernel = join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist", "kernels", "BatchMatMul.js");
    const source = readFileSync(kernel, "utf8");
    const call = /cwrap\(\s*BatchMatMul\s*,\s*null[^,]*,\s*\[([^\]]*)\]/.exec(source);
    assert.ok(call !== null, `${kernel} no longer cwraps BatchMatMul: re-read it against wasm-kernels.ts`);
    const theirs = [...call[1].matchAll(/'(\w+)'/g)].map((m) => m[1]);
    assert.deepEqual(theirs, [...BATCH_MAT_MUL_ARG_TYPES], `tfjs's BatchMatMul argument types changed (${kernel})`);
    const wasm = (tf.backend() as unknown as { wasm: { asm?: Record<string, unknown> } }).wasm;
    const entry = wasm.asm?.["BatchMatMul"];
    assert.equal(typeof entry, "function", "the wasm module exports no BatchMatMul (wasm.asm.BatchMatMul)");
    assert.equal((entry as (...args: unknown[]) => void).length, BATCH_MAT_MUL_ARG_TYPES.length, "the C++ BatchMatMul takes another number of arguments");
  });

  test("the backend's dataIdMap, registerTensor, heap views and output allocation have the shape the overrides use", () => {
    const backend = tf.backend() as unknown as Record<string, unknown> & {
      dataIdMap?: { get?: (id: tf.DataId) => unknown };
      wasm?: { tfjs?: Record<string, unknown>; cwrap?: unknown };
    };
    for (const method of ["makeOutput", "incRef", "disposeData", "typedArrayFromHeap"]) {
      assert.equal(typeof backend[method], "function", `the wasm backend has no ${method}() method`);
    }
    assert.equal(typeof backend.wasm?.cwrap, "function", "the wasm backend's module has no cwrap");
    for (const method of ["registerTensor", "disposeData"]) {
      assert.equal(typeof backend.wasm?.tfjs?.[method], "function", `backend.wasm.tfjs has no ${method}()`);
    }
    assert.equal(typeof backend.dataIdMap?.get, "function", "the wasm backend has no dataIdMap.get()");
    const t = tf.tensor1d([1.5, -2, 3.25]);
    try {
      const data = backend.dataIdMap!.get!(t.dataId) as { id?: unknown; memoryOffset?: unknown } | undefined;
      assert.equal(typeof data?.id, "number", "dataIdMap entries have no numeric id");
      assert.equal(typeof data?.memoryOffset, "number", "dataIdMap entries have no numeric memoryOffset");
      // memoryOffset is a byte offset into the wasm heap, where the float32 values lie.
      const heap = (backend.wasm as unknown as { HEAPF32: Float32Array }).HEAPF32;
      const at = (data!.memoryOffset as number) / 4;
      assert.deepEqual([...heap.subarray(at, at + 3)], [1.5, -2, 3.25], "memoryOffset does not point at the tensor's values");
      const view = (backend.typedArrayFromHeap as (info: tf.TensorInfo) => Float32Array).call(backend, t);
      assert.deepEqual([...view], [1.5, -2, 3.25], "typedArrayFromHeap does not return the tensor's values");
    } finally {
      t.dispose();
    }
  });
});
