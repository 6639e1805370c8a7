/** Shared fixtures for the sampler tests: MLQA-R as training records, and the batch invariants. */
import assert from "node:assert/strict";
import { loadDataset } from "../../src/data/lareqa.js";
import { buildPools, type TrainingPools } from "../../src/sampling/pools.js";
import type { Batch, BatchSampler } from "../../src/sampling/types.js";
import { fromRetrievalDataset } from "../../src/train-data/from-squad.js";

let cached: Promise<TrainingPools> | undefined;

export function mlqaPools(): Promise<TrainingPools> {
  cached ??= loadDataset("mlqa-r").then((ds) => buildPools(fromRetrievalDataset(ds)));
  return cached;
}

/** The next `n` batches, running into following epochs as needed. */
export function take(sampler: BatchSampler, n: number): Batch[] {
  const out: Batch[] = [];
  while (out.length < n) {
    for (const batch of sampler) {
      out.push(batch);
      if (out.length === n) break;
    }
  }
  return out;
}

/**
 * What every batch must satisfy: full size; indices that point at records of the stated group
 * and languages; mono pairs in one language, the same for the whole batch; cross pairs across
 * two; no group, and no cluster, twice.
 */
export function assertBatchInvariants(pools: TrainingPools, batch: Batch, batchSize: number): void {
  assert.equal(batch.pairs.length, batchSize);
  const clusterOf = new Map(pools.groups.map((g) => [g.id, g.cluster]));
  assert.equal(new Set(batch.pairs.map((p) => p.group)).size, batchSize, "a group repeats");
  assert.equal(new Set(batch.pairs.map((p) => clusterOf.get(p.group))).size, batchSize, "a cluster repeats");
  for (const p of batch.pairs) {
    const [q, d] = [pools.records[p.query], pools.records[p.passage]];
    assert.deepEqual([q.group, q.lang, d.group, d.lang], [p.group, p.queryLang, p.group, p.passageLang]);
    if (batch.kind === "mono") {
      assert.equal(p.query, p.passage);
      assert.equal(p.queryLang, batch.pairs[0].queryLang, "a mono batch mixes languages");
    } else {
      assert.notEqual(p.queryLang, p.passageLang);
    }
  }
}

/** Pearson's χ² statistic of observed counts against expected ones. */
export function chiSquare(observed: readonly number[], expected: readonly number[]): number {
  return observed.reduce((sum, o, i) => sum + (o - expected[i]) ** 2 / expected[i], 0);
}
