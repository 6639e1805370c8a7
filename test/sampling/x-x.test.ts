import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildPools } from "../../src/sampling/pools.js";
import { MonolingualSampler } from "../../src/sampling/x-x.js";
import { assertBatchInvariants, chiSquare, mlqaPools, take } from "./helpers.js";

describe("x-x sampler on MLQA-R", () => {
  test("2,000 batches: all monolingual, full, no group or cluster twice", async () => {
    const pools = await mlqaPools();
    const sampler = new MonolingualSampler(pools, { batchSize: 100, seed: 1 });
    for (const batch of take(sampler, 2000)) {
      assert.equal(batch.kind, "mono");
      assertBatchInvariants(pools, batch, 100);
    }
  });

  test("the language of a batch is uniform over the languages, not proportional to their size", async () => {
    const pools = await mlqaPools();
    const sampler = new MonolingualSampler(pools, { batchSize: 100, seed: 2 });
    const n = 2000;
    const counts = new Map(pools.languages.map((l) => [l, 0]));
    for (const batch of take(sampler, n)) counts.set(batch.pairs[0].queryLang, counts.get(batch.pairs[0].queryLang)! + 1);
    const observed = [...counts.values()];
    // χ² with 6 degrees of freedom: 22.46 is its 99.9% quantile.
    assert.ok(chiSquare(observed, observed.map(() => n / 7)) < 22.46, observed.join(","));
    // English has 2.2× the groups of German and still gets no more batches than 3 standard errors allow.
    const se = Math.sqrt(((1 / 7) * (6 / 7)) / n);
    assert.ok(Math.abs(counts.get("en")! / n - 1 / 7) < 3 * se);
  });

  test("length is floor(pairs of the languages drawn / batchSize)", async () => {
    assert.equal(new MonolingualSampler(await mlqaPools(), { batchSize: 100, seed: 3 }).length, Math.floor(4199 / 100));
  });

  test("within an epoch's stream, a language's groups are walked in passes: each comes up as often as another", async () => {
    const pools = await mlqaPools();
    const stream = new MonolingualSampler(pools, { batchSize: 100, seed: 3 }).stream(0);
    const perGroup = new Map<number, number>(); // German records only
    for (let b = 0; b < 3000; b++) {
      const batch = stream.next().value;
      if (batch.pairs[0].queryLang !== "de") continue;
      for (const p of batch.pairs) perGroup.set(p.query, (perGroup.get(p.query) ?? 0) + 1);
    }
    const counts = [...perGroup.values()];
    assert.equal(counts.length, 512, "every German group is drawn");
    // ~430 German batches × 100 / 512 groups ≈ 84 visits each; passes keep them within a visit or two.
    // (Across epochs the spread is wider: each epoch starts fresh passes, and its last pass is partial.)
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 2, `${Math.min(...counts)}..${Math.max(...counts)}`);
  });

  test("a language whose groups cannot fill a batch is skipped and listed", async () => {
    const pools = await mlqaPools();
    const sampler = new MonolingualSampler(pools, { batchSize: 600, seed: 1 });
    assert.deepEqual(sampler.languages, ["en"]);
    assert.deepEqual(sampler.skippedLanguages, ["ar", "de", "es", "hi", "vi", "zh"]);
    assert.equal(sampler.length, 1);
    assert.ok(take(sampler, 5).every((b) => b.pairs.every((p) => p.queryLang === "en")));
    assert.throws(() => new MonolingualSampler(pools, { batchSize: 2000, seed: 1 }), /x-x needs a language with groups in at least batchSize = 2000 clusters \(have ar: 511, de: 507, en: 1140, es: 499, hi: 505, vi: 511, zh: 499\)/);
  });

  test("on a tiny pool every batch is a fresh draw within the no-repeat rule", () => {
    const pools = buildPools(["a", "b", "c"].map((group) => ({ group, lang: "en", query: `${group}?`, positive: `${group}.` })));
    const sampler = new MonolingualSampler(pools, { batchSize: 3, seed: 1 });
    assert.equal(sampler.length, 1);
    for (const batch of take(sampler, 10)) assert.deepEqual(batch.pairs.map((p) => p.group).sort(), ["a", "b", "c"]);
  });
});
