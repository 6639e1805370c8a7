import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bySizeAlpha, HybridSampler } from "../../src/sampling/hybrid.js";
import { buildPools } from "../../src/sampling/pools.js";
import { MonolingualSampler } from "../../src/sampling/x-x.js";
import { CrossLingualSampler } from "../../src/sampling/x-y.js";
import { assertBatchInvariants, mlqaPools, take } from "./helpers.js";

describe("hybrid sampler on MLQA-R", () => {
  for (const alpha of [0.5, 0.3, 0.8]) {
    test(`alpha ${alpha}: the share of monolingual batches over 2,000 is within 3 standard errors`, async () => {
      const pools = await mlqaPools();
      const n = 2000;
      const batches = take(new HybridSampler(pools, { batchSize: 100, seed: 11, alpha }), n);
      for (const batch of batches) assertBatchInvariants(pools, batch, 100);
      const share = batches.filter((b) => b.kind === "mono").length / n;
      const se = Math.sqrt((alpha * (1 - alpha)) / n);
      assert.ok(Math.abs(share - alpha) < 3 * se, `mono share ${share}, alpha ${alpha}, se ${se.toFixed(4)}`);
    });
  }

  test('"by-size": alpha = |mono| / (|mono| + |cross|) = 4199 / 15747, and the batches follow it', async () => {
    const pools = await mlqaPools();
    const sampler = new HybridSampler(pools, { batchSize: 100, seed: 5, alpha: "by-size" });
    assert.equal(sampler.alpha, 4199 / (4199 + 11548));
    assert.equal(bySizeAlpha(pools), pools.monoPairs / (pools.monoPairs + pools.crossPairs));
    const n = 2000;
    const share = take(sampler, n).filter((b) => b.kind === "mono").length / n;
    assert.ok(Math.abs(share - sampler.alpha) < 3 * Math.sqrt((sampler.alpha * (1 - sampler.alpha)) / n), String(share));
  });

  test("length: floor((|mono| + |cross|) / batchSize)", async () => {
    assert.equal(new HybridSampler(await mlqaPools(), { batchSize: 100, seed: 1 }).length, Math.floor(15747 / 100));
  });

  test("it is built from the x-x and x-y samplers: its batches of each kind are theirs, in order", async () => {
    const pools = await mlqaPools();
    const options = { batchSize: 50, seed: 9 };
    const hybrid = new HybridSampler(pools, { ...options, alpha: 0.5 });
    hybrid.setEpoch(2);
    const batches = [...hybrid];
    const mono = batches.filter((b) => b.kind === "mono");
    const cross = batches.filter((b) => b.kind === "cross");
    const xx = new MonolingualSampler(pools, options).stream(2);
    const xy = new CrossLingualSampler(pools, options).stream(2);
    assert.deepEqual(mono, mono.map(() => xx.next().value));
    assert.deepEqual(cross, cross.map(() => xy.next().value));
    assert.ok(mono.length > new MonolingualSampler(pools, options).length, "the hybrid draws past x-x's own epoch length");
  });

  test("alpha 1 or 0 needs only the pool it draws from", () => {
    const r = (group: string) => ({ group, lang: "en", query: `${group}?`, positive: `${group}.` });
    const monolingualOnly = buildPools(["a", "b", "c", "d"].map(r));
    const one = new HybridSampler(monolingualOnly, { batchSize: 2, seed: 1, alpha: 1 });
    assert.equal(one.crossLingual, undefined);
    assert.ok(take(one, 20).every((b) => b.kind === "mono"));
    assert.equal(new HybridSampler(monolingualOnly, { batchSize: 2, seed: 1, alpha: "by-size" }).alpha, 1);
    assert.throws(
      () => new HybridSampler(monolingualOnly, { batchSize: 2, seed: 1, alpha: 0.5 }),
      /hybrid with alpha = 0.5 draws x-y batches, but x-y needs groups in two or more languages/,
    );
  });
});
