import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { evaluate } from "../../src/eval/evaluate.js";
import type { EvaluationResult, MetricSummary } from "../../src/eval/result.js";
import type { EvalTask, Scorer } from "../../src/eval/types.js";
import { mulberry32, randomInt, type Random } from "../../src/util/random.js";

/** A Scorer over a precomputed [numQueries × numCandidates] matrix. */
class MatrixScorer implements Scorer {
  readonly blocks: [number, number][] = [];
  constructor(
    readonly scores: Float32Array,
    readonly numQueries: number,
    readonly numCandidates: number,
  ) {}
  scoreBlock(start: number, count: number, out: Float32Array): void {
    this.blocks.push([start, count]);
    out.set(this.scores.subarray(start * this.numCandidates, (start + count) * this.numCandidates));
  }
}

/**
 * The same, answering a tick later as a worker pool would, so `evaluate` double-buffers; writing
 * late also catches a block being read before its scores arrive.
 */
class AsyncMatrixScorer extends MatrixScorer {
  override async scoreBlock(start: number, count: number, out: Float32Array): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    super.scoreBlock(start, count, out);
  }
}

const close = (actual: number | null, expected: number | null, what: string, eps = 1e-12): void => {
  if (expected === null || actual === null) {
    assert.equal(actual, expected, what);
    return;
  }
  assert.ok(Math.abs(actual - expected) <= eps, `${what}: ${actual} ≠ ${expected}`);
};

/**
 * Languages x, y, z; candidates c0 x, c1 x, c2 y, c3 y, c4 z.
 * q0 (x) → {c0, c2}: no answer in z, so the x→z cell has no query.
 * q1 (y) → {c1, c3, c4}.  q2 (x) → {c1} only.  q3 (z) → {c4} only.
 */
function handTask(): { task: EvalTask; scorer: MatrixScorer } {
  const task: EvalTask = {
    languages: ["x", "y", "z"],
    queryLang: Int32Array.from([0, 1, 0, 2]),
    candidateLang: Int32Array.from([0, 0, 1, 1, 2]),
    relevant: [Int32Array.from([0, 2]), Int32Array.from([1, 3, 4]), Int32Array.from([1]), Int32Array.from([4])],
    queryIds: ["q0", "q1", "q2", "q3"],
  };
  // prettier-ignore
  const scores = Float32Array.from([
    // c0    c1    c2    c3    c4
    0.9,  0.95, 0.8,  0.8,  0.99, // q0
    0.65, 0.6,  0.3,  0.7,  0.6,  // q1
    0.2,  0.1,  0.3,  0.4,  0.5,  // q2
    0,    0,    0,    0,    0,    // q3
  ]);
  return { task, scorer: new MatrixScorer(scores, 4, 5) };
}

describe("evaluate on a hand-computed task", () => {
  // Per query and setting (ranks pessimistic; float32 ties are exact):
  // q0 mono x {c0 .9, c1 .95}: c0 rank 2 → AP 1/2, RR 1/2, R@1 0.
  //    x→y {c2 .8*, c3 .8}: tie → rank 2, AP 1/2, R@1 0.   x→z: no relevant, skipped.
  //    multi: c4 .99, c1 .95, c0* .9, c2* .8, c3 .8 → ranks 3, 5: AP (1/3 + 2/5)/2 = 11/30,
  //    RR 1/3, R@1 0, distance 2.
  // q1 mono y {c2 .3, c3* .7}: AP 1.   y→x {c0 .65, c1* .6}: AP 1/2, R@1 0.   y→z {c4*}: AP 1.
  //    multi: c3* .7, c0 .65, c1* .6, c4* .6, c2 .3 → ranks 1, 4, 4: AP (1 + 3/4 + 3/4)/3 = 5/6,
  //    RR 1, R@1 1/3, distance 3.
  // q2 mono x {c0 .2, c1* .1}: AP 1/2, RR 1/2.  No cross target.  multi: rank 5, AP 1/5;
  //    one relevant → no distance.
  // q3 mono z {c4*}: AP 1.  multi: all tied → rank 5, AP 1/5, RR 1/5; no distance.
  const run = async (): Promise<EvaluationResult> => {
    const { task, scorer } = handTask();
    return evaluate(task, scorer, { recallKs: [10, 1], blockSize: 3, keepPerQuery: true });
  };

  test("mono: per language mean, macro mean over languages", async () => {
    const r = await run();
    assert.deepEqual(r.recallKs, [1, 10]);
    const [x, y, z] = r.mono.perLanguage;
    close(x.map, 1 / 2, "mono x"); // (q0 1/2 + q2 1/2) / 2
    close(x.mrr, 1 / 2, "mono x mrr");
    close(x.recall["1"], 0, "mono x R@1");
    assert.equal(x.queries, 2);
    close(y.map, 1, "mono y");
    close(z.map, 1, "mono z");
    close(r.mono.mean.map, (1 / 2 + 1 + 1) / 3, "mono mean");
    assert.equal(r.mono.mean.queries, 4);
  });

  test("cross: grid cells, skipped cells, row means, macro mean", async () => {
    const r = await run();
    const m = r.cross.matrix;
    assert.deepEqual(m.languages, ["x", "y", "z"]);
    assert.deepEqual(m.queries, [
      [2, 1, 0],
      [1, 1, 1],
      [0, 0, 1],
    ]);
    close(m.map[0][1], 1 / 2, "x→y");
    assert.equal(m.map[0][2], null); // nobody in x has an answer in z
    close(m.map[1][0], 1 / 2, "y→x");
    close(m.map[1][2], 1, "y→z");
    assert.equal(m.map[2][0], null);
    close(m.map[0][0], 1 / 2, "diagonal = mono");
    close(m.recallAt1[0][1], 0, "x→y R@1");
    close(m.recallAt1[1][2], 1, "y→z R@1");
    const [x, y, z] = r.cross.perLanguage;
    close(x.map, 1 / 2, "cross x"); // its only cell
    close(y.map, (1 / 2 + 1) / 2, "cross y");
    close(y.recall["1"], (0 + 1) / 2, "cross y R@1");
    assert.equal(z.map, null); // z's only query has no cross answer
    assert.equal(z.queries, 0);
    close(r.cross.mean.map, (1 / 2 + 3 / 4) / 2, "cross mean skips z");
    assert.equal(r.cross.mean.queries, 3);
  });

  test("multi and language bias", async () => {
    const r = await run();
    const [x, y, z] = r.multi.perLanguage;
    close(x.map, (11 / 30 + 1 / 5) / 2, "multi x");
    close(x.mrr, (1 / 3 + 1 / 5) / 2, "multi x mrr");
    close(y.map, 5 / 6, "multi y");
    close(y.recall["1"], 1 / 3, "multi y R@1");
    close(z.map, 1 / 5, "multi z");
    close(r.multi.mean.map, ((11 / 30 + 1 / 5) / 2 + 5 / 6 + 1 / 5) / 3, "multi mean");
    close(r.multi.mean.recall["10"], 1, "multi R@10");

    assert.deepEqual(
      r.languageBias.perLanguage.map((l) => [l.lang, l.meanRankDistance, l.queries]),
      [
        ["x", 2, 1],
        ["y", 3, 1],
        ["z", null, 0],
      ],
    );
    close(r.languageBias.mean, 2.5, "bias mean");
  });

  test("per-query columns, and the whole result is plain JSON", async () => {
    const r = await run();
    const pq = r.perQuery!;
    assert.deepEqual(pq.queryIndex, [0, 1, 2, 3]);
    assert.deepEqual(pq.queryId, ["q0", "q1", "q2", "q3"]);
    assert.deepEqual(pq.lang, ["x", "y", "x", "z"]);
    assert.deepEqual(pq.monoAP, [0.5, 1, 0.5, 1]);
    assert.deepEqual(pq.crossAP, [0.5, 0.75, null, null]);
    [11 / 30, 5 / 6, 0.2, 0.2].forEach((v, q) => close(pq.multiAP[q], v, `multiAP ${q}`));
    assert.deepEqual(pq.rankDistance, [2, 3, null, null]);
    // Best pool rank per language (x, y, z), from the ranks in the comment above.
    assert.deepEqual(pq.poolRank, [
      [3, 5, null],
      [4, 1, 4],
      [5, null, null],
      [null, null, 5],
    ]);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  });

  test("asks for blocks in order, reports progress, omits perQuery unless asked", async () => {
    const { task, scorer } = handTask();
    const progress: [number, number][] = [];
    const r = await evaluate(task, scorer, { blockSize: 3, onProgress: (d, t) => progress.push([d, t]) });
    assert.deepEqual(scorer.blocks, [
      [0, 3],
      [3, 1],
    ]);
    assert.deepEqual(progress, [
      [3, 4],
      [4, 4],
    ]);
    assert.equal(r.perQuery, undefined);
    assert.deepEqual(r.recallKs, [1, 5, 10, 100]);
  });

  test("an asynchronous scorer gets the same result, one block in flight at a time", async () => {
    const { task } = handTask();
    const sync = handTask().scorer;
    let inFlight = 0;
    const scores = sync.scores;
    const asyncScorer: Scorer = {
      numQueries: 4,
      numCandidates: 5,
      scoreBlock: async (start, count, out) => {
        assert.equal(++inFlight, 1);
        await new Promise((resolve) => setTimeout(resolve, 5));
        out.set(scores.subarray(start * 5, (start + count) * 5));
        inFlight--;
      },
    };
    const a = await evaluate(task, asyncScorer, { blockSize: 1, keepPerQuery: true });
    const b = await evaluate(task, sync, { blockSize: 1, keepPerQuery: true });
    assert.deepEqual(a, b);
  });

  test("a failing asynchronous scorer rejects evaluate", async () => {
    const { task } = handTask();
    const failing: Scorer = {
      numQueries: 4,
      numCandidates: 5,
      scoreBlock: async (start) => {
        if (start > 0) throw new Error("scorer broke");
      },
    };
    await assert.rejects(evaluate(task, failing, { blockSize: 2 }), /scorer broke/);
  });

  test("rejects bad input naming the value", async () => {
    const { task, scorer } = handTask();
    await assert.rejects(evaluate(task, scorer, { recallKs: [0] }), /recallKs: 0/);
    await assert.rejects(evaluate(task, scorer, { blockSize: 1.5 }), /blockSize: 1.5/);
    await assert.rejects(evaluate({ ...task, relevant: task.relevant.slice(1) }, scorer), /task.relevant has length 3/);
    const unsorted = { ...task, relevant: [Int32Array.from([2, 0]), ...task.relevant.slice(1)] };
    await assert.rejects(evaluate(unsorted, scorer), /task.relevant\[0\]/);
    const nan = new MatrixScorer(Float32Array.from({ length: 20 }, (_, i) => (i === 7 ? NaN : 0)), 4, 5);
    await assert.rejects(evaluate(task, nan), /query 1: score of candidate 2 is NaN/);
  });
});

// ---------------------------------------------------------------------------------------------
// An independent, straightforward implementation of the protocol: for every query and setting,
// sort the setting's candidates and walk the ranking tie block by tie block.

interface Walk {
  ap: number;
  /** Pessimistic rank per relevant candidate in the setting. */
  ranks: number[];
}

function walkRanking(row: Float32Array, candidates: number[], relevant: Set<number>): Walk | null {
  const rel = candidates.filter((c) => relevant.has(c));
  if (rel.length === 0) return null;
  const sorted = [...candidates].sort((a, b) => row[b] - row[a]);
  let ap = 0;
  let seen = 0;
  let hits = 0;
  const ranks: number[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    let blockHits = 0;
    while (j < sorted.length && row[sorted[j]] === row[sorted[i]]) {
      if (relevant.has(sorted[j])) blockHits++;
      j++;
    }
    seen = j;
    hits += blockHits;
    ap += (blockHits / rel.length) * (hits / seen);
    for (let b = 0; b < blockHits; b++) ranks.push(seen);
    i = j;
  }
  return { ap, ranks };
}

interface RefStats {
  ap: number;
  rr: number;
  recall: number[];
  r1: number;
}

function stats(walk: Walk, ks: number[]): RefStats {
  const recall = (k: number): number => walk.ranks.filter((r) => r <= k).length / walk.ranks.length;
  return { ap: walk.ap, rr: 1 / Math.min(...walk.ranks), recall: ks.map(recall), r1: recall(1) };
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null);
const meanStats = (xs: RefStats[], ks: number[]) =>
  xs.length === 0
    ? null
    : {
        ap: mean(xs.map((x) => x.ap))!,
        rr: mean(xs.map((x) => x.rr))!,
        recall: ks.map((_, i) => mean(xs.map((x) => x.recall[i]))!),
        r1: mean(xs.map((x) => x.r1))!,
        n: xs.length,
      };

function reference(task: EvalTask, scores: Float32Array, ks: number[]) {
  const L = task.languages.length;
  const N = task.candidateLang.length;
  const Q = task.queryLang.length;
  const cands = (l: number | null) => [...Array(N).keys()].filter((c) => l === null || task.candidateLang[c] === l);
  const cell: RefStats[][][] = [...Array(L)].map(() => [...Array(L)].map(() => []));
  const multi: RefStats[][] = [...Array(L)].map(() => []);
  const dist: number[][] = [...Array(L)].map(() => []);
  const perQuery = {
    mono: [] as (number | null)[],
    cross: [] as (number | null)[],
    multi: [] as (number | null)[],
    dist: [] as (number | null)[],
    poolRank: [] as (number | null)[][],
  };
  for (let q = 0; q < Q; q++) {
    const row = scores.subarray(q * N, (q + 1) * N);
    const rel = new Set(task.relevant[q]);
    const a = task.queryLang[q];
    const crossAps: number[] = [];
    perQuery.mono.push(null);
    for (let b = 0; b < L; b++) {
      const w = walkRanking(row, cands(b), rel);
      if (!w) continue;
      cell[a][b].push(stats(w, ks));
      if (b === a) perQuery.mono[q] = w.ap;
      else crossAps.push(w.ap);
    }
    perQuery.cross.push(mean(crossAps));
    const w = walkRanking(row, cands(null), rel);
    perQuery.multi.push(w ? w.ap : null);
    // Best pool rank per language: walk the pool once per language, counting only that language's answers as relevant.
    perQuery.poolRank.push(
      [...Array(L).keys()].map((b) => {
        const inB = new Set([...rel].filter((c) => task.candidateLang[c] === b));
        const wb = inB.size === 0 ? null : walkRanking(row, cands(null), inB);
        return wb === null ? null : Math.min(...wb.ranks);
      }),
    );
    if (w) multi[a].push(stats(w, ks));
    if (w && w.ranks.length >= 2) {
      dist[a].push(Math.max(...w.ranks) - Math.min(...w.ranks));
      perQuery.dist.push(Math.max(...w.ranks) - Math.min(...w.ranks));
    } else perQuery.dist.push(null);
  }
  const cellMeans = cell.map((row) => row.map((xs) => meanStats(xs, ks)));
  const crossRows = cellMeans.map((row, a) => {
    const cells = row.filter((c, b) => b !== a && c !== null).map((c) => c!);
    return cells.length === 0
      ? null
      : {
          ap: mean(cells.map((c) => c.ap))!,
          rr: mean(cells.map((c) => c.rr))!,
          recall: ks.map((_, i) => mean(cells.map((c) => c.recall[i]))!),
          n: cells.reduce((s, c) => s + c.n, 0),
        };
  });
  return {
    mono: cellMeans.map((row, a) => row[a]),
    cross: crossRows,
    matrix: cellMeans,
    multi: multi.map((xs) => meanStats(xs, ks)),
    bias: dist.map((xs) => mean(xs)),
    perQuery,
  };
}

type RefRow = { ap: number; rr: number; recall: number[]; n: number } | null;

function compareSetting(name: string, got: { perLanguage: readonly MetricSummary[]; mean: MetricSummary }, want: RefRow[], ks: number[]) {
  const eps = 1e-9;
  want.forEach((w, a) => {
    const g = got.perLanguage[a];
    close(g.map, w ? w.ap : null, `${name}[${a}].map`, eps);
    close(g.mrr, w ? w.rr : null, `${name}[${a}].mrr`, eps);
    ks.forEach((k, i) => close(g.recall[String(k)], w ? w.recall[i] : null, `${name}[${a}].R@${k}`, eps));
    assert.equal(g.queries, w ? w.n : 0, `${name}[${a}].queries`);
  });
  const present = want.filter((w): w is NonNullable<RefRow> => w !== null);
  close(got.mean.map, mean(present.map((w) => w.ap)), `${name}.mean.map`, eps);
  close(got.mean.mrr, mean(present.map((w) => w.rr)), `${name}.mean.mrr`, eps);
  ks.forEach((k, i) => close(got.mean.recall[String(k)], mean(present.map((w) => w.recall[i])), `${name}.mean.R@${k}`, eps));
}

/**
 * A synthetic 3-language task: candidates in interleaved languages; each query has 0–2 relevant
 * candidates per language (so cross cells get skipped and AP sees several relevant items);
 * scores on a coarse grid so ties are everywhere.
 */
function randomTask(rand: Random, numQueries: number, numCandidates: number): { task: EvalTask; scores: Float32Array } {
  const L = 3;
  const candidateLang = Int32Array.from({ length: numCandidates }, (_, c) =>
    c < L ? c : rand() < 0.3 ? randomInt(rand, L) : Math.floor((c / numCandidates) * L),
  );
  const byLang = [...Array(L).keys()].map((l) => [...Array(numCandidates).keys()].filter((c) => candidateLang[c] === l));
  const queryLang = Int32Array.from({ length: numQueries }, () => randomInt(rand, L));
  const relevant = [...Array(numQueries)].map(() => {
    const rel = new Set<number>();
    for (let l = 0; l < L; l++) {
      const k = rand() < 0.25 ? 0 : rand() < 0.8 ? 1 : 2;
      for (let i = 0; i < k; i++) rel.add(byLang[l][randomInt(rand, byLang[l].length)]);
    }
    return Int32Array.from(rel).sort();
  });
  const levels = 2 + randomInt(rand, 12);
  const scores = Float32Array.from({ length: numQueries * numCandidates }, () => randomInt(rand, levels) / levels - 0.5);
  return { task: { languages: ["aa", "bb", "cc"], queryLang, candidateLang, relevant }, scores };
}

describe("evaluate against a sort-and-walk reference implementation", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`random 3-language task, seed ${seed}`, async () => {
      const rand = mulberry32(seed);
      const Q = 20 + randomInt(rand, 60);
      const N = 10 + randomInt(rand, 120);
      const { task, scores } = randomTask(rand, Q, N);
      const ks = [1, 3, 10];
      // Odd seeds take the asynchronous, double-buffered path.
      const scorer = seed % 2 ? new AsyncMatrixScorer(scores, Q, N) : new MatrixScorer(scores, Q, N);
      const got = await evaluate(task, scorer, {
        recallKs: ks,
        blockSize: 1 + randomInt(rand, 16),
        keepPerQuery: true,
      });
      const want = reference(task, scores, ks);

      compareSetting("mono", got.mono, want.mono, ks);
      compareSetting("cross", got.cross, want.cross, ks);
      compareSetting("multi", got.multi, want.multi, ks);
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) {
          const w = want.matrix[a][b];
          close(got.cross.matrix.map[a][b], w ? w.ap : null, `matrix.map[${a}][${b}]`, 1e-9);
          close(got.cross.matrix.recallAt1[a][b], w ? w.r1 : null, `matrix.R@1[${a}][${b}]`, 1e-9);
          assert.equal(got.cross.matrix.queries[a][b], w ? w.n : 0);
        }
        close(got.languageBias.perLanguage[a].meanRankDistance, want.bias[a], `bias[${a}]`, 1e-9);
      }
      close(got.languageBias.mean, mean(want.bias.filter((b): b is number => b !== null)), "bias.mean", 1e-9);
      const pq = got.perQuery!;
      for (let q = 0; q < Q; q++) {
        close(pq.monoAP[q], want.perQuery.mono[q], `monoAP[${q}]`, 1e-9);
        close(pq.crossAP[q], want.perQuery.cross[q], `crossAP[${q}]`, 1e-9);
        close(pq.multiAP[q], want.perQuery.multi[q], `multiAP[${q}]`, 1e-9);
        close(pq.rankDistance[q], want.perQuery.dist[q], `rankDistance[${q}]`, 1e-9);
        assert.deepEqual(pq.poolRank[q], want.perQuery.poolRank[q], `poolRank[${q}]`);
      }
    });
  }
});
