import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/compute/backend.js";
import {
  activeBlas,
  blasLibraryCandidates,
  describeMatMul,
  matMulChoiceFromEnv,
  matMulProvenance,
  useBlas,
  useXnnpack,
  withBlasThreads,
  withBlasThreadsSync,
  type ActiveBlas,
} from "../../src/compute/blas.js";
import { Encoder } from "../../src/model/encoder.js";
import { randomWeights } from "../../src/model/mini.js";
import { MINI_CONFIG } from "../../src/model/presets.js";
import { mulberry32 } from "../../src/util/random.js";
import { silentLogger } from "../../src/util/logger.js";

const SRC = join(import.meta.dirname, "../../src");
const url = (path: string) => pathToFileURL(join(SRC, path)).href;

test("HYBRID_IR_MATMUL: unset or empty is auto; the three choices; anything else names the variable", () => {
  assert.equal(matMulChoiceFromEnv({}), "auto");
  assert.equal(matMulChoiceFromEnv({ HYBRID_IR_MATMUL: " " }), "auto");
  assert.equal(matMulChoiceFromEnv({ HYBRID_IR_MATMUL: "blas" }), "blas");
  assert.equal(matMulChoiceFromEnv({ HYBRID_IR_MATMUL: " xnnpack " }), "xnnpack");
  assert.throws(() => matMulChoiceFromEnv({ HYBRID_IR_MATMUL: "openblas" }), /HYBRID_IR_MATMUL=openblas: expected one of auto, blas, xnnpack/);
});

test("BLAS libraries tried: the variable alone when set; OpenBLAS first and never reference BLAS", () => {
  assert.deepEqual(blasLibraryCandidates({ HYBRID_IR_BLAS_LIBRARY: "/opt/lib/libmine.so" }), ["/opt/lib/libmine.so"]);
  const linux = blasLibraryCandidates({}, "linux");
  assert.equal(linux[0], "libopenblas.so.0");
  assert.ok(!linux.some((l) => l.startsWith("libblas")));
  assert.ok(blasLibraryCandidates({}, "darwin").some((l) => l.includes("Accelerate")));
});

/** A fresh process (the BLAS opens once per process) reporting what initBackend chose, or its error. */
function child(env: Record<string, string>): { products?: string; error?: string } {
  const script = `
import { initBackend } from "${url("compute/backend.js")}";
import { describeMatMul } from "${url("compute/blas.js")}";
import { silentLogger } from "${url("util/logger.js")}";
try {
  await initBackend("wasm", silentLogger);
  console.log(JSON.stringify({ products: describeMatMul() }));
} catch (error) {
  console.log(JSON.stringify({ error: error.message }));
}
`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: join(import.meta.dirname, "../../.."), env: { ...process.env, ...env }, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { products?: string; error?: string };
}

test("a BLAS that does not open: auto keeps XNNPACK, HYBRID_IR_MATMUL=blas is an error saying why", () => {
  const missing = { HYBRID_IR_BLAS_LIBRARY: "/nonexistent/libopenblas.so.0" };
  assert.deepEqual(child({ ...missing, HYBRID_IR_MATMUL: "auto" }), { products: "XNNPACK" });
  const { error } = child({ ...missing, HYBRID_IR_MATMUL: "blas" });
  // Not a quiet fall back to the cpu backend either.
  assert.match(error ?? "", /HYBRID_IR_MATMUL=blas: (no BLAS library opened \(.*nonexistent.*\)|the native BLAS module is not built)/);
  assert.deepEqual(child({ HYBRID_IR_MATMUL: "xnnpack" }), { products: "XNNPACK" });
});

test("the threaded wasm build keeps XNNPACK (its heap is shared memory); asking for the BLAS there is an error", () => {
  assert.deepEqual(child({ HYBRID_IR_WASM_THREADS: "2" }), { products: "XNNPACK" });
  assert.match(child({ HYBRID_IR_WASM_THREADS: "2", HYBRID_IR_MATMUL: "blas" }).error ?? "", /needs the single-threaded wasm build/);
});

describe("the BLAS engine", () => {
  let blas: ActiveBlas | null = null;
  let chosen: ActiveBlas | null = null;
  let skip: string | false = false;
  before(async () => {
    await initBackend("wasm", silentLogger);
    chosen = activeBlas();
    try {
      blas = useBlas(1);
    } catch (error) {
      // CI builds the native module and installs OpenBLAS (.ci/run): there it must run.
      if (process.env.CI) throw error;
      skip = `no BLAS here: ${(error as Error).message}`;
    }
  });
  after(() => (chosen === null ? useXnnpack() : void useBlas(chosen.threads)));
  const it = (name: string, body: () => Promise<void> | void) => test(name, async (t) => (skip ? t.skip(skip) : body()));

  it("auto takes the BLAS when it opens, on 1 thread unless $HYBRID_IR_BLAS_THREADS says otherwise; provenance and logs say so", () => {
    assert.deepEqual(child({ HYBRID_IR_THREADS: "3" }).products, `BLAS ${blas!.library}, 1 thread`);
    assert.deepEqual(child({ HYBRID_IR_BLAS_THREADS: "3" }).products, `BLAS ${blas!.library}, 3 threads`);
    assert.match(child({ HYBRID_IR_BLAS_THREADS: "0" }).error ?? "", /HYBRID_IR_BLAS_THREADS=0: expected a whole number from 1 to 64/);
    assert.deepEqual(matMulProvenance(), { engine: "blas", threads: 1, library: blas!.library });
    assert.equal(describeMatMul({ engine: "xnnpack", threads: null, library: null }), "XNNPACK");
  });

  it("products run on it, and the same inputs give the same bits for each thread count", async () => {
    const rand = mulberry32(3);
    const a = tf.tensor2d(Float32Array.from({ length: 256 * 384 }, () => rand() - 0.5), [256, 384]);
    const b = tf.tensor2d(Float32Array.from({ length: 384 * 300 }, () => rand() - 0.5), [384, 300]);
    const product = async () => {
      const c = tf.matMul(a, b);
      const data = (await c.data()) as Float32Array;
      c.dispose();
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    };
    const calls = blas!.calls;
    const one = await product();
    assert.equal(blas!.calls, calls + 1);
    assert.deepEqual(await product(), one);
    const two = await withBlasThreads(2, product);
    assert.deepEqual(await withBlasThreads(2, product), two);
    assert.equal(activeBlas()!.threads, 1, "withBlasThreads puts the count back");
    assert.equal(withBlasThreadsSync(2, () => activeBlas()!.threads), 2);
    a.dispose();
    b.dispose();
  });

  it("the native module refuses operands outside the heap and shared memory, without writing anything", () => {
    const heap = new ArrayBuffer(1024);
    const base = { heap, a: 0, b: 64, out: 128, bias: -1, batch: 1, strideA: 0, strideB: 0, m: 4, n: 4, k: 4, transposeA: false, transposeB: false };
    blas!.run(base); // in bounds: fine
    assert.throws(() => blas!.run({ ...base, out: 1020 }), /outside the heap/);
    assert.throws(() => blas!.run({ ...base, batch: 100, strideA: 16 }), /outside the heap/);
    assert.throws(() => blas!.run({ ...base, a: 2 }), /outside the heap/);
    assert.throws(() => blas!.run({ ...base, m: 0 }), /sizes must be positive/);
    assert.throws(() => blas!.run({ ...base, heap: new SharedArrayBuffer(1024) }), /not a SharedArrayBuffer/);
  });

  it("an encoder's loss and gradients on the BLAS match XNNPACK's to float32 rounding", async () => {
    const config = { ...MINI_CONFIG, vocabSize: 500, numLayers: 2 };
    const encoder = Encoder.fromWeights(config, randomWeights(config, 7), { dropout: 0.1 });
    const [batch, seq] = [8, 32];
    const ids = tf.tensor2d(Int32Array.from({ length: batch * seq }, (_, i) => 3 + ((i * 7919) % 490)), [batch, seq], "int32");
    const mask = tf.tensor2d(Int32Array.from({ length: batch * seq }, (_, i) => (i % seq < seq - (i / seq) % 9 ? 1 : 0)), [batch, seq], "int32");
    const step = async () => {
      const { value, grads } = tf.variableGrads(() => encoder.forward({ inputIds: ids, attentionMask: mask }, { training: true, seed: 5 }).square().mean(), encoder.variables());
      const out = [await value.data(), ...(await Promise.all(encoder.variables().map((v) => grads[v.name].data())))] as Float32Array[];
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const onBlas = await step();
    useXnnpack();
    const onXnnpack = await step();
    useBlas(1);
    onBlas.forEach((values, i) => {
      let [scale, worst] = [1e-6, 0];
      values.forEach((v, j) => {
        scale = Math.max(scale, Math.abs(onXnnpack[i][j]));
        worst = Math.max(worst, Math.abs(v - onXnnpack[i][j]));
      });
      assert.ok(worst <= 1e-4 * scale + 1e-8, `tensor ${i}: max |BLAS − XNNPACK| = ${worst}, scale ${scale}`);
    });
    tf.dispose([ids, mask]);
    encoder.dispose();
  });
});
