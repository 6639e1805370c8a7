import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { initBackend } from "../../src/compute/backend.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { dropoutMask } from "../../src/model/dropout.js";
import { loadSentenceEncoder } from "../../src/model/sentence-encoder.js";
import { sliceBatch } from "../../src/train/grad-cache.js";

const stream = (seed: number, site = 0, rowOffset = 0) => ({ seed, site, rowOffset });

describe("dropoutMask", () => {
  test("keeps each unit with probability 1 − rate, scaled by 1 / (1 − rate)", () => {
    for (const rate of [0.1, 0.5]) {
      const mask = dropoutMask(rate, stream(7), 64, [128, 32], [512, 32]);
      assert.equal(mask.length, 64 * 128 * 32);
      const scale = Math.fround(1 / (1 - rate));
      assert.ok(mask.every((x) => x === 0 || x === scale));
      const kept = mask.filter((x) => x !== 0).length / mask.length;
      // 262,144 units: the standard error of the kept share is under 0.001.
      assert.ok(Math.abs(kept - (1 - rate)) < 0.005, `rate ${rate}: kept ${kept}`);
    }
    assert.ok(dropoutMask(0, stream(7), 4, [8, 8], [8, 8]).every((x) => x === 1));
  });

  test("a row's mask depends on its index in the batch and its coordinates, not on its neighbours or padding", () => {
    const whole = dropoutMask(0.3, stream(11, 2), 10, [6, 16], [40, 16]);
    const first = dropoutMask(0.3, stream(11, 2, 0), 4, [6, 16], [40, 16]);
    const rest = dropoutMask(0.3, stream(11, 2, 4), 6, [6, 16], [40, 16]);
    assert.deepEqual([...whole], [...first, ...rest]);
    // The same rows padded to 9 positions: their first 6 positions are the same units.
    const padded = dropoutMask(0.3, stream(11, 2), 10, [9, 16], [40, 16]);
    for (let r = 0; r < 10; r++) {
      assert.deepEqual([...padded.subarray(r * 9 * 16, r * 9 * 16 + 6 * 16)], [...whole.subarray(r * 6 * 16, (r + 1) * 6 * 16)]);
    }
    // Attention-shaped [heads, seq, seq]: cropping both sequence axes keeps the remaining units.
    const big = dropoutMask(0.3, stream(5), 2, [3, 7, 7], [3, 40, 40]);
    const small = dropoutMask(0.3, stream(5), 2, [3, 4, 4], [3, 40, 40]);
    for (let r = 0; r < 2; r++) for (let h = 0; h < 3; h++) for (let q = 0; q < 4; q++) for (let k = 0; k < 4; k++) {
      assert.equal(small[((r * 3 + h) * 4 + q) * 4 + k], big[((r * 3 + h) * 7 + q) * 7 + k]);
    }
  });

  test("another seed or site draws another mask; the same ones draw the same", () => {
    const a = dropoutMask(0.5, stream(1, 0), 8, [16, 16], [16, 16]);
    assert.deepEqual(a, dropoutMask(0.5, stream(1, 0), 8, [16, 16], [16, 16]));
    for (const other of [stream(2, 0), stream(1, 1)]) {
      const b = dropoutMask(0.5, other, 8, [16, 16], [16, 16]);
      const same = a.filter((x, i) => x === b[i]).length / a.length;
      assert.ok(same > 0.4 && same < 0.6, `agreement ${same}: independent masks agree on about half the units`);
    }
    // Row 0 and row 1 of one call are not copies of each other either.
    const rows = dropoutMask(0.5, stream(3), 2, [64], [64]);
    assert.notDeepEqual([...rows.subarray(0, 64)], [...rows.subarray(64)]);
    assert.throws(() => dropoutMask(1, stream(0), 1, [4], [4]), /not in \[0, 1\)/);
    assert.throws(() => dropoutMask(0.1, stream(0), 1, [5], [4]), /does not fit within bounds/);
  });

  test("the encoder drops the same units for a row whether it runs in the whole batch or in a chunk", async () => {
    await initBackend("wasm");
    const dir = fileURLToPath(new URL("../../../test/fixtures/parity/tiny-xlmr", import.meta.url));
    const model = await loadSentenceEncoder(dir, { encoder: { dropout: 0.2 } });
    try {
      const ds = await loadDataset("xquad-r", { languages: ["de", "th"], maxQuestionIds: 5 });
      const texts = ds.questions.slice(0, 8).map((q) => ({ text: q.text }));
      const batch = model.encodeInputs(texts, { maxLength: 32 });
      const whole = (await model.forward(batch, { training: true, seed: 42 }).array()) as number[][];
      const chunk = (await model.forward(sliceBatch(batch, 3, 8), { training: true, seed: 42, rowOffset: 3 }).array()) as number[][];
      const eval_ = (await model.forward(batch).array()) as number[][];
      let maxDiff = 0;
      let dropoutEffect = 0;
      chunk.forEach((row, i) => row.forEach((x, j) => (maxDiff = Math.max(maxDiff, Math.abs(x - whole[i + 3][j])))));
      whole.forEach((row, i) => row.forEach((x, j) => (dropoutEffect = Math.max(dropoutEffect, Math.abs(x - eval_[i][j])))));
      assert.ok(maxDiff < 1e-5, `chunk vs whole batch: ${maxDiff}`);
      assert.ok(dropoutEffect > 1e-2, "dropout is applied");
      const unshifted = (await model.forward(sliceBatch(batch, 3, 8), { training: true, seed: 42 }).array()) as number[][];
      assert.ok(Math.abs(unshifted[0][0] - whole[3][0]) > 0 || Math.abs(unshifted[1][1] - whole[4][1]) > 0, "without the row offset the chunk's rows draw other masks");
    } finally {
      model.dispose();
    }
  });
});
