/**
 * Long notebook cells: `withProgress` stops between items once the kernel gets SIGINT (what
 * Kernel → Interrupt sends), and the signal after an interrupt is a fresh one.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { interruptSignal, withProgress } from "../../src/report/cell.js";

test("withProgress runs every item in order and returns their results", async () => {
  const seen: number[] = [];
  const out = await withProgress("square", [1, 2, 3], async (x, i) => {
    seen.push(i);
    return x * x;
  }, new AbortController().signal);
  assert.deepEqual(out, [1, 4, 9]);
  assert.deepEqual(seen, [0, 1, 2]);
});

test("an aborted signal stops withProgress before the next item", async () => {
  const controller = new AbortController();
  const done: number[] = [];
  await assert.rejects(
    withProgress("items", [0, 1, 2, 3, 4], (x) => {
      done.push(x);
      if (x === 1) controller.abort(new Error("stop here"));
    }, controller.signal),
    /stop here/,
  );
  assert.deepEqual(done, [0, 1]);
});

test("SIGINT aborts the current interrupt signal; the next call gets a fresh one", async () => {
  const first = interruptSignal();
  assert.equal(interruptSignal(), first, "one signal until an interrupt");
  // The listener is attached on the next turn (see cell.ts).
  await new Promise((resolve) => setImmediate(resolve));
  process.kill(process.pid, "SIGINT");
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(first.aborted, true);
  assert.match(String(first.reason), /interrupted/);
  const second = interruptSignal();
  assert.notEqual(second, first);
  assert.equal(second.aborted, false);
});
