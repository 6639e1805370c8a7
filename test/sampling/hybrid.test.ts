import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HybridSampler } from "../../src/sampling/hybrid.js";
import { buildPools } from "../../src/sampling/pools.js";
import type { Batch } from "../../src/sampling/types.js";
import { MonolingualSampler } from "../../src/sampling/x-x.js";
import { CrossLingualSampler } from "../../src/sampling/x-y.js";
import { assertBatchInvariants, mlqaPools, take } from "./helpers.js";

/** What a batch is, read from its pairs rather than its `kind` label: one language throughout, or every pair crossing two. */
function contentKind(batch: Batch): "mono" | "cross" | "mixed" {
  const languages = new Set(batch.pairs.flatMap((p) => [p.queryLang, p.passageLang]));
  if (languages.size === 1) return "mono";
  if (batch.pairs.every((p) => p.queryLang !== p.passageLang)) return "cross";
  return "mixed";
}

/** |observed − n·p| within `z` standard deviations of a binomial(n, p) count. */
function assertBinomial(observed: number, n: number, p: number, what: string, z = 3): void {
  const sd = Math.sqrt(n * p * (1 - p));
  assert.ok(Math.abs(observed - n * p) <= z * sd, `${what}: ${observed} of ${n}, expected ${(n * p).toFixed(1)} ± ${(z * sd).toFixed(1)}`);
}

describe("hybrid sampler on MLQA-R", () => {
  for (const alpha of [0.5, 0.3, 0.8]) {
    test(`alpha ${alpha}: over 2,000 batches the one-language ones are a binomial(α) share, each language among them, the rest all cross`, async () => {
      const pools = await mlqaPools();
      const n = 2000;
      const batches = take(new HybridSampler(pools, { batchSize: 100, seed: 11, alpha }), n);
      for (const batch of batches) {
        assertBatchInvariants(pools, batch, 100);
        assert.equal(contentKind(batch), batch.kind, "a batch's pairs do not match its kind");
      }
      const mono = batches.filter((b) => contentKind(b) === "mono");
      assertBinomial(mono.length, n, alpha, "one-language batches");
      assert.deepEqual(new Set(mono.map((b) => b.pairs[0].queryLang)), new Set(pools.languages), "languages of the X-X batches");
      const cross = batches.filter((b) => contentKind(b) === "cross");
      assert.equal(mono.length + cross.length, n);
      assert.ok(cross.every((b) => new Set(b.pairs.flatMap((p) => [p.queryLang, p.passageLang])).size >= 3), "an X-Y batch with pairs between only two languages");
    });
  }

  test('"by-size": one epoch holds about an x-x epoch of one-language batches and an x-y epoch of crossing ones', async () => {
    const pools = await mlqaPools();
    const options = { batchSize: 20, seed: 5 };
    const hybrid = new HybridSampler(pools, { ...options, alpha: "by-size" });
    const batches = [...hybrid];
    const xx = new MonolingualSampler(pools, options).length;
    const xy = new CrossLingualSampler(pools, options).length;
    const mono = batches.filter((b) => contentKind(b) === "mono").length;
    assertBinomial(mono, batches.length, xx / (xx + xy), "one-language batches in a by-size epoch");
    assert.equal(batches.length - mono, batches.filter((b) => contentKind(b) === "cross").length);
  });

  test("an epoch holds as many pairs as the x-x and x-y epochs together", async () => {
    const pools = await mlqaPools();
    const options = { batchSize: 100, seed: 1 };
    const epoch = [...new HybridSampler(pools, { ...options, alpha: 0.5 })];
    const parts = new MonolingualSampler(pools, options).length + new CrossLingualSampler(pools, options).length;
    assert.ok(epoch.length === parts || epoch.length === parts + 1, `${epoch.length} batches, x-x + x-y: ${parts}`);
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
