import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EpochSampler } from "../../src/sampling/epoch-sampler.js";
import { HybridSampler } from "../../src/sampling/hybrid.js";
import type { TrainingPools } from "../../src/sampling/pools.js";
import { createSampler, SAMPLER_NAMES, type Batch, type SamplerOptions, type SamplerState } from "../../src/sampling/sampler.js";
import { MonolingualSampler } from "../../src/sampling/x-x.js";
import { mlqaPools, take } from "./helpers.js";

const OPTIONS = { batchSize: 64, seed: 17, alpha: 0.5 } as const;

/**
 * The base class alone: a stream whose batch i of epoch e is labelled "e:i" (one pair, group
 * "e:i"), so every position the base hands out can be read off the batch.
 */
class Labelled extends EpochSampler {
  readonly name = "x-x" as const;
  /** The epochs whose stream was started, in order. */
  readonly streamed: number[] = [];

  constructor(
    readonly length: number,
    options: SamplerOptions = { batchSize: 2, seed: 1 },
  ) {
    super({} as TrainingPools, options); // the stream below never reads the pools
  }

  *stream(epoch: number): Generator<Batch, never, undefined> {
    this.streamed.push(epoch);
    for (let i = 0; ; i++) yield { kind: "mono", pairs: [{ group: `${epoch}:${i}`, queryLang: "en", passageLang: "en", query: i, passage: i }] };
  }
}

const labels = (batches: readonly Batch[]) => batches.map((b) => b.pairs[0].group);

describe("EpochSampler", () => {
  test("an epoch is the first `length` batches of its stream; each loop runs the next epoch", () => {
    const sampler = new Labelled(3);
    assert.deepEqual(labels([...sampler]), ["0:0", "0:1", "0:2"]);
    assert.deepEqual(labels([...sampler]), ["1:0", "1:1", "1:2"]);
    sampler.setEpoch(7);
    assert.deepEqual(labels([...sampler]), ["7:0", "7:1", "7:2"]);
    assert.deepEqual(sampler.streamed, [0, 1, 7]);
    assert.deepEqual(sampler.state(), { sampler: "x-x", seed: 1, epoch: 8, batch: 0 });
  });

  test("the position moves before a batch is handed out: a state taken while it is used resumes after it", () => {
    const sampler = new Labelled(3);
    sampler.setEpoch(2);
    const seen: [string, SamplerState][] = [];
    for (const batch of sampler) seen.push([batch.pairs[0].group, sampler.state()]);
    assert.deepEqual(
      seen.map(([label, s]) => [label, s.epoch, s.batch]),
      [
        ["2:0", 2, 1],
        ["2:1", 2, 2],
        ["2:2", 3, 0],
      ],
    );
    const resumed = new Labelled(3);
    resumed.restore(seen[0][1]);
    assert.deepEqual(labels([...resumed]), ["2:1", "2:2"]);
    assert.deepEqual(resumed.streamed, [2], "the skipped batch is replayed from the epoch's own stream");
  });

  test("options, epochs and positions are checked, naming the bad value", () => {
    assert.throws(() => new Labelled(3, { batchSize: 1, seed: 1 }), { name: "RangeError", message: "batchSize must be an integer ≥ 2, got 1" });
    assert.throws(() => new Labelled(3, { batchSize: 2, seed: 2 ** 53 }), { name: "RangeError", message: `seed must be an integer, got ${2 ** 53}` });
    const sampler = new Labelled(3);
    assert.throws(() => sampler.setEpoch(1.5), { name: "RangeError", message: "epoch must be an integer ≥ 0, got 1.5" });
    assert.throws(() => sampler.restore({ sampler: "x-x", seed: 1, epoch: -1, batch: 0 }), { name: "RangeError", message: "epoch must be an integer ≥ 0, got -1" });
    for (const batch of [-1, 0.5]) {
      assert.throws(() => sampler.restore({ sampler: "x-x", seed: 1, epoch: 0, batch }), {
        name: "RangeError",
        message: `batch ${batch} is outside epoch length 3 (did the training data change?)`,
      });
    }
    assert.deepEqual(sampler.state(), { sampler: "x-x", seed: 1, epoch: 0, batch: 0 }, "a refused restore moves nothing");
  });
});

describe("every sampler: seeds, epochs, resume", () => {
  for (const name of SAMPLER_NAMES) {
    test(`${name}: same seed, same batches; another seed or another epoch, other batches`, async () => {
      const pools = await mlqaPools();
      const a = take(createSampler(name, pools, OPTIONS), 300);
      const b = take(createSampler(name, pools, OPTIONS), 300);
      const c = take(createSampler(name, pools, { ...OPTIONS, seed: 18 }), 300);
      assert.deepEqual(a, b);
      assert.notDeepEqual(groupsOf(a), groupsOf(c));
      const s = createSampler(name, pools, OPTIONS);
      s.setEpoch(1);
      assert.notDeepEqual(groupsOf([...s]), groupsOf(a.slice(0, s.length)));
    });

    test(`${name}: epoch e depends on (seed, e) only, not on the epochs run before`, async () => {
      const pools = await mlqaPools();
      const through = createSampler(name, pools, OPTIONS);
      const epochs: Batch[][] = [];
      for (let e = 0; e < 3; e++) {
        assert.deepEqual(through.state(), { sampler: name, seed: 17, epoch: e, batch: 0 });
        epochs.push([...through]); // each loop runs one epoch and moves to the next
        assert.equal(epochs[e].length, through.length);
      }
      const jump = createSampler(name, pools, OPTIONS);
      jump.setEpoch(2);
      assert.deepEqual([...jump], epochs[2]);
    });

    test(`${name}: a state taken mid-run and restored (through JSON) gives exactly the rest of the uninterrupted run`, async () => {
      const pools = await mlqaPools();
      const length = createSampler(name, pools, OPTIONS).length;
      const total = 2 * length + 5;
      const uninterrupted = take(createSampler(name, pools, OPTIONS), total);
      for (const stop of [1, Math.floor(length / 2), length - 1, length, length + 3, 2 * length]) {
        const first = createSampler(name, pools, OPTIONS);
        const before = take(first, stop);
        const saved = JSON.parse(JSON.stringify(first.state())) as SamplerState;
        assert.deepEqual(saved, { sampler: name, seed: 17, epoch: Math.floor(stop / length), batch: stop % length });
        const resumed = createSampler(name, pools, OPTIONS);
        resumed.restore(saved);
        assert.deepEqual([...before, ...take(resumed, total - stop)], uninterrupted, `stopped after ${stop}`);
      }
    });
  }

  test("breaking out of a loop keeps the position: the batch handed out last is not handed out again", async () => {
    const sampler = createSampler("x-x", await mlqaPools(), OPTIONS);
    const all = [...createSampler("x-x", await mlqaPools(), OPTIONS)];
    const got: Batch[] = [];
    for (const batch of sampler) {
      got.push(batch);
      if (got.length === 10) break;
    }
    for (const batch of sampler) got.push(batch);
    assert.deepEqual(got, all);
  });

  test("restore refuses a state of another sampler or seed, or past the epoch's end", async () => {
    const pools = await mlqaPools();
    const sampler = new HybridSampler(pools, OPTIONS);
    assert.throws(() => sampler.restore({ sampler: "x-x", seed: 17, epoch: 0, batch: 0 }), /cannot restore a x-x sampler with seed 17 into a hybrid sampler with seed 17/);
    assert.throws(() => sampler.restore({ sampler: "hybrid", seed: 1, epoch: 0, batch: 0 }), /with seed 1 into a hybrid sampler with seed 17/);
    assert.throws(() => sampler.restore({ sampler: "hybrid", seed: 17, epoch: 0, batch: sampler.length + 1 }), /outside epoch length/);
    assert.throws(() => sampler.setEpoch(-1), /epoch must be an integer ≥ 0/);
    sampler.restore({ sampler: "hybrid", seed: 17, epoch: 3, batch: sampler.length });
    assert.deepEqual(sampler.state(), { sampler: "hybrid", seed: 17, epoch: 4, batch: 0 });
  });

  test("resuming is cheap: restoring into epoch 5 replays that epoch's stream only, up to the batch", async () => {
    const pools = await mlqaPools();
    const sampler = new MonolingualSampler(pools, { batchSize: 2, seed: 1 }); // 2,099 batches per epoch
    const reference = new MonolingualSampler(pools, { batchSize: 2, seed: 1 }).stream(5);
    for (let i = 0; i < sampler.length - 1; i++) reference.next();
    const want = reference.next().value;
    const streamed: number[] = [];
    let built = 0;
    const stream = sampler.stream.bind(sampler);
    sampler.stream = function* (epoch: number) {
      streamed.push(epoch);
      for (const batch of stream(epoch)) {
        built++;
        yield batch;
      }
    } as unknown as typeof sampler.stream;
    sampler.restore({ sampler: "x-x", seed: 1, epoch: 5, batch: sampler.length - 1 });
    const rest = [...sampler];
    assert.deepEqual(rest, [want], "the one batch left is the epoch's last");
    assert.deepEqual(streamed, [5], "no earlier epoch is replayed");
    assert.equal(built, sampler.length, "the skipped batches are built once each, no more");
  });
});

function groupsOf(batches: readonly Batch[]): string[][] {
  return batches.map((b) => b.pairs.map((p) => `${p.group}/${p.queryLang}/${p.passageLang}`));
}
