import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { test } from "node:test";
import { resolveThreads, singleThreadWorkerEnv, threadCountFromEnv } from "../../src/compute/threads.js";

test("a requested count wins over the environment; numbers and their text alike", () => {
  const env = { HYBRID_IR_THREADS: "5" };
  assert.equal(resolveThreads(3, env), 3);
  assert.equal(resolveThreads("1", env), 1);
  assert.equal(resolveThreads(" 4 ", env), 4);
  assert.equal(resolveThreads("12", {}), 12);
});

test("without a request, $HYBRID_IR_THREADS; without either, the cores Node reports", () => {
  assert.equal(resolveThreads(undefined, { HYBRID_IR_THREADS: "2" }), 2);
  assert.equal(resolveThreads(undefined, { HYBRID_IR_THREADS: " 7" }), 7);
  assert.equal(resolveThreads(undefined, { OTHER: "3" }), availableParallelism());
});

test("anything but a positive integer is a RangeError naming where it came from", () => {
  const refused = (requested: number | string | undefined, env: NodeJS.ProcessEnv, message: string) =>
    assert.throws(() => resolveThreads(requested, env), (err: unknown) => err instanceof RangeError && err.message === message, message);
  refused(0, {}, "threads: '0' is not a positive integer");
  refused(-2, {}, "threads: '-2' is not a positive integer");
  refused(1.5, {}, "threads: '1.5' is not a positive integer");
  refused(Number.NaN, {}, "threads: 'NaN' is not a positive integer");
  refused("", {}, "threads: '' is not a positive integer");
  refused("two", {}, "threads: 'two' is not a positive integer");
  refused("2.5", { HYBRID_IR_THREADS: "2" }, "threads: '2.5' is not a positive integer");
  refused(undefined, { HYBRID_IR_THREADS: "" }, "HYBRID_IR_THREADS: '' is not a positive integer");
  refused(undefined, { HYBRID_IR_THREADS: "0" }, "HYBRID_IR_THREADS: '0' is not a positive integer");
  refused(undefined, { HYBRID_IR_THREADS: "all" }, "HYBRID_IR_THREADS: 'all' is not a positive integer");
});

test("a worker that is one of the threads gets single-threaded wasm and one BLAS thread, and the rest of the environment", () => {
  const env = singleThreadWorkerEnv({ PATH: "/bin", HYBRID_IR_WASM_THREADS: "4", HYBRID_IR_BLAS_THREADS: "2", HYBRID_IR_THREADS: "3" });
  assert.deepEqual(env, { PATH: "/bin", HYBRID_IR_WASM_THREADS: "1", HYBRID_IR_BLAS_THREADS: "1", HYBRID_IR_THREADS: "3" });
});

test("a thread count from the environment: unset or empty is 1, else a whole number up to the limit, named when wrong", () => {
  assert.equal(threadCountFromEnv("N", 8, {}), 1);
  assert.equal(threadCountFromEnv("N", 8, { N: " " }), 1);
  assert.equal(threadCountFromEnv("N", 8, { N: "8" }), 8);
  assert.throws(() => threadCountFromEnv("N", 8, { N: "9" }), /^Error: N=9: expected a whole number from 1 to 8$/);
  assert.throws(() => threadCountFromEnv("N", 8, { N: "1.5" }), /N=1\.5: expected a whole number/);
});
