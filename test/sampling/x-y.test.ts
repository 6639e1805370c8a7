import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildPools } from "../../src/sampling/pools.js";
import { CrossLingualSampler } from "../../src/sampling/x-y.js";
import type { TrainingRecord } from "../../src/train-data/format.js";
import { assertBatchInvariants, chiSquare, mlqaPools, take } from "./helpers.js";

describe("x-y sampler on MLQA-R", () => {
  test("2,000 batches: every pair crosses languages; full batches, no group or cluster twice", async () => {
    const pools = await mlqaPools();
    const sampler = new CrossLingualSampler(pools, { batchSize: 100, seed: 1 });
    for (const batch of take(sampler, 2000)) {
      assert.equal(batch.kind, "cross");
      assertBatchInvariants(pools, batch, 100);
    }
  });

  test("length is floor(ordered cross pairs / batchSize)", async () => {
    assert.equal(new CrossLingualSampler(await mlqaPools(), { batchSize: 100, seed: 1 }).length, 115);
  });

  test("a group's language pair is uniform over the ordered pairs it offers", async () => {
    const pools = await mlqaPools();
    const sampler = new CrossLingualSampler(pools, { batchSize: 100, seed: 4 });
    const groupOf = new Map(pools.groups.map((g) => [g.id, g]));
    // Cell (q, p) = positions of the two languages among the group's sorted languages, for the 820 groups in 4 languages.
    const cells = new Array(16).fill(0);
    for (const batch of take(sampler, 2000)) {
      for (const pair of batch.pairs) {
        const g = groupOf.get(pair.group)!;
        if (g.langs.length === 4) cells[g.langs.indexOf(pair.queryLang) * 4 + g.langs.indexOf(pair.passageLang)] += 1;
      }
    }
    const diagonal = [0, 5, 10, 15];
    assert.deepEqual(diagonal.map((i) => cells[i]), [0, 0, 0, 0]);
    const offDiagonal = cells.filter((_, i) => !diagonal.includes(i));
    const total = offDiagonal.reduce((a, b) => a + b, 0);
    // χ² with 11 degrees of freedom: 31.26 is its 99.9% quantile.
    assert.ok(chiSquare(offDiagonal, offDiagonal.map(() => total / 12)) < 31.26, offDiagonal.join(","));
  });

  test("groups in one language are never drawn; too few cross groups for a batch is an error", () => {
    const r = (group: string, lang: string): TrainingRecord => ({ group, lang, query: `${group} ${lang}?`, positive: `${group} ${lang}.` });
    const pools = buildPools([r("a", "en"), r("a", "de"), r("b", "en"), r("b", "es"), r("c", "en"), r("d", "de"), r("d", "es")]);
    const sampler = new CrossLingualSampler(pools, { batchSize: 3, seed: 1 });
    for (const batch of take(sampler, 50)) assert.deepEqual(batch.pairs.map((p) => p.group).sort(), ["a", "b", "d"]);
    assert.throws(() => new CrossLingualSampler(pools, { batchSize: 4, seed: 1 }), /x-y needs groups in two or more languages from at least batchSize = 4 clusters \(have 3\)/);
  });
});
