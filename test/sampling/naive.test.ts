import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { uniformityTest } from "../../src/eval/stats.js";
import { auditBatches } from "../../src/report/sampling-figures.js";
import { naiveBatches } from "../../src/sampling/naive.js";
import { buildPools } from "../../src/sampling/pools.js";
import { createSampler } from "../../src/sampling/sampler.js";
import type { TrainingRecord } from "../../src/train-data/format.js";
import { mlqaPools } from "./helpers.js";

/** Records for hand-made batches: group g in language l, positives as given. */
function record(group: string, lang: string, positive = `${group} ${lang}.`): TrainingRecord {
  return { group, lang, query: `${group} ${lang}?`, positive };
}

describe("naiveBatches", () => {
  test("naive batches: full size, distinct pairs, x-x in one language, hybrid mixing both kinds", async () => {
    const pools = await mlqaPools();
    for (const name of ["x-x", "x-y", "hybrid"] as const) {
      const batches = naiveBatches(pools, name, 200, { batchSize: 32, seed: 7 });
      assert.equal(batches.length, 200);
      for (const b of batches) {
        assert.equal(b.pairs.length, 32);
        assert.equal(new Set(b.pairs.map((p) => `${p.query}:${p.passage}`)).size, 32, "a pair drawn twice");
        for (const p of b.pairs) {
          assert.deepEqual([pools.records[p.query].group, pools.records[p.passage].group], [p.group, p.group]);
          assert.equal(p.queryLang === p.passageLang, b.kind === "mono");
        }
        if (b.kind === "mono") assert.equal(new Set(b.pairs.map((p) => p.queryLang)).size, 1);
      }
      const kinds = new Set(batches.map((b) => b.kind));
      assert.deepEqual([...kinds].sort(), name === "x-x" ? ["mono"] : name === "x-y" ? ["cross"] : ["cross", "mono"]);
    }
    assert.deepEqual(naiveBatches(pools, "x-y", 3, { batchSize: 4, seed: 9 }), naiveBatches(pools, "x-y", 3, { batchSize: 4, seed: 9 }));
  });

  test("a naive batch is a uniform draw: every unordered pair of records equally likely", () => {
    const pools = buildPools(["a", "b", "c", "d"].map((g) => record(g, "en")));
    const counts = new Map<string, number>();
    for (const b of naiveBatches(pools, "x-x", 6000, { batchSize: 2, seed: 3 })) {
      const key = b.pairs.map((p) => p.group).sort().join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    assert.equal(counts.size, 6);
    // χ² with 5 degrees of freedom: 20.52 is its 99.9% quantile.
    assert.ok(uniformityTest([...counts].flatMap(([k, n]) => Array<string>(n).fill(k)), [...counts.keys()]).chi2 < 20.52, JSON.stringify([...counts]));
  });

  test("naive x-x repeats a positive when two groups share one, which the real sampler keeps apart", () => {
    // Groups a and b answer with the same sentence; a batch of 2 from 2 English records must hold both.
    const pools = buildPools([record("a", "en", "Same."), record("b", "en", "Same."), record("c", "en")]);
    const naive = auditBatches(naiveBatches(pools, "x-x", 20, { batchSize: 3, seed: 1 }), pools.records);
    assert.equal(naive.batchesSharingPositive, 20);
    assert.throws(() => createSampler("x-x", pools, { batchSize: 3, seed: 1 }), /x-x needs a language with groups in at least batchSize = 3 clusters/);
  });
});
