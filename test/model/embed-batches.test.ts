import assert from "node:assert/strict";
import { test } from "node:test";
import { loadDataset } from "../../src/data/lareqa.js";
import { embedBatches } from "../../src/model/embed-batches.js";
import type { TextInput } from "../../src/model/inputs.js";

const inputs = (...texts: string[]): TextInput[] => texts.map((text) => ({ text }));

test("longest text first, cut into batches of batchSize, the last one shorter", () => {
  assert.deepEqual(embedBatches(inputs("bb", "a", "dddd", "ccc", "eeeee"), 2), [[4, 2], [3, 0], [1]]);
  assert.deepEqual(embedBatches(inputs("bb", "a", "dddd"), 3), [[2, 0, 1]]);
  assert.deepEqual(embedBatches(inputs("bb", "a", "dddd"), 10), [[2, 0, 1]]);
  assert.deepEqual(embedBatches(inputs("bb", "a", "dddd"), 1), [[2], [0], [1]]);
  assert.deepEqual(embedBatches([], 4), []);
});

test("equal lengths keep their input order", () => {
  assert.deepEqual(embedBatches(inputs("xx", "y", "zz", "w", "vv"), 2), [[0, 2], [4, 1], [3]]);
});

test("a candidate's context counts towards its length", () => {
  const batch: TextInput[] = [{ text: "aaaa" }, { text: "b", context: "bbbbbb" }, { text: "cc", context: "" }];
  assert.deepEqual(embedBatches(batch, 2), [[1, 0], [2]]);
});

test("on XQuAD-R: every index exactly once, lengths never increase, batches full but the last", async () => {
  const ds = await loadDataset("xquad-r", { languages: ["en", "zh"], maxQuestionIds: 20 });
  const texts: TextInput[] = ds.candidates.map((c) => ({ text: c.text, context: c.context }));
  const length = (i: number) => texts[i].text.length + (texts[i].context?.length ?? 0);
  const batches = embedBatches(texts, 7);
  assert.deepEqual(batches.flat().sort((a, b) => a - b), texts.map((_, i) => i));
  assert.equal(batches.length, Math.ceil(texts.length / 7));
  batches.slice(0, -1).forEach((b) => assert.equal(b.length, 7));
  const flat = batches.flat();
  for (let k = 1; k < flat.length; k++) {
    const [prev, cur] = [flat[k - 1], flat[k]];
    assert.ok(length(prev) > length(cur) || (length(prev) === length(cur) && prev < cur), `position ${k}: ${prev} then ${cur}`);
  }
});

test("a batch size that is not a positive integer is a RangeError naming it", () => {
  for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => embedBatches(inputs("a"), bad), (err: unknown) => err instanceof RangeError && err.message === `batchSize: ${bad} is not a positive integer`);
  }
});
