/**
 * The paper's claims decided on real evaluations: BM25 and random rankings of an XQuAD-R slice
 * dressed as three-seed configurations (grid-fixture.ts), and the shipped e5-small grid
 * (results/pretrained) installed into a temporary output root as the notebooks install it.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { readGrid } from "../../src/ablate/grid.js";
import { installShipped } from "../../src/ablate/shipped.js";
import type { EvaluationResult } from "../../src/eval/result.js";
import { meanOverRuns, pairedTest, pairPerQuery, seedPermutationTest, type PairedTest, type PerQueryMetric } from "../../src/eval/significance.js";
import { configGroups, loadGridReport, type GridReport, type RunRecord } from "../../src/report/grid-report.js";
import { claimOutcome, claimRecords, claimsMarkdown, claimSummaries, paperClaims, type ClaimComparison, type ClaimVerdict } from "../../src/report/paper-claims.js";
import { PRESETS, presetGridPath } from "../../src/presets.js";
import { bm25AndRandom, PRETRAINED_RESULTS, runRecord } from "./grid-fixture.js";

let bm25: EvaluationResult;
let random: EvaluationResult[] = [];

before(async () => {
  ({ bm25, random } = await bm25AndRandom());
});

/** x-x = BM25 in three seeds; x-y and hybrid α 0.5 = the same three random rankings. */
function threeSeeds(): GridReport {
  const seeds = [1, 2, 3];
  return {
    root: "/nowhere",
    runs: [
      ...seeds.map((s) => runRecord("x-x", null, s, bm25)),
      ...seeds.map((s) => runRecord("x-y", null, s, random[s - 1])),
      ...seeds.map((s) => runRecord("hybrid", 0.5, s, random[s - 1])),
    ],
  };
}

/** Each comparison recomputed from the report's runs with the significance module alone. */
function assertFollowsFromTests(report: GridReport, verdicts: readonly ClaimVerdict[], rounds: number): void {
  for (const v of verdicts) {
    for (const c of v.comparisons) {
      const group = (label: string) => configGroups(report).find((g) => `${g.train}→${g.eval}` === v.direction && g.label === label)!;
      const [a, b] = [group(c.a), group(c.b)];
      const averaged = (runs: readonly RunRecord[]) => meanOverRuns(runs.map((r) => r.perQuery!));
      const want: PairedTest = pairedTest(pairPerQuery(averaged(a.finished), averaged(b.finished), c.metric), { rounds });
      assert.deepEqual(c.queries, want, `${v.direction} ${c.a} vs ${c.b} ${c.metric}`);
      const lowerIsBetter = c.metric === "rankDistance";
      const aAhead = (want.difference > 0) !== lowerIsBetter;
      const expected = c.needs === "better" ? (want.significant ? (aAhead ? "as claimed" : "against") : "tie") : want.significant && !aAhead ? "against" : "as claimed";
      assert.equal(c.queryOutcome, expected, `${v.direction} ${c.a} vs ${c.b} ${c.metric}`);
      if (a.finished.length >= 3 && b.finished.length >= 3) {
        const value = (r: RunRecord) => ({ monoAP: r.row.monoMap, crossAP: r.row.crossMap, multiAP: r.row.multiMap, rankDistance: r.row.rankDistance })[c.metric]!;
        assert.deepEqual(c.seeds, seedPermutationTest(a.finished.map(value), b.finished.map(value)));
      } else {
        assert.equal(c.seeds, null, "fewer than three seeds a side: no seed test");
      }
    }
    assert.equal(v.outcome, claimOutcome(v.comparisons));
  }
}

describe("paperClaims on BM25 and random rankings", () => {
  test("BM25 as x-x beats random x-y monolingually in every seed; identical x-y and hybrid tie", () => {
    const report = threeSeeds();
    const verdicts = paperClaims(report, { rounds: 2000 });
    assert.deepEqual(
      verdicts.map((v) => v.claim),
      [1, 2, 3, 4],
    );
    assert.deepEqual(verdicts[0].seeds, { "x-x": 3, "x-y": 3, "hybrid α=0.5": 3 });
    const [one, , three] = verdicts;
    assert.equal(one.outcome, "holds");
    assert.equal(one.comparisons[0].seedOutcome, "separated as claimed");
    assert.equal(one.comparisons[0].seeds!.pValue, 0.1);
    // Claim 3 against the better of x-x (BM25) and x-y: the random hybrid falls far short monolingually.
    assert.equal(three.comparisons[0].b, "x-x");
    assert.equal(three.comparisons[0].queryOutcome, "against");
    assert.equal(three.outcome, "does not hold");
    // hybrid and x-y are the same rankings: difference 0, p = 1, a tie over queries and seeds.
    const same = three.comparisons.find((c) => c.b === "x-y" && c.metric === "multiAP")!;
    assert.equal(same.queries.difference, 0);
    assert.equal(same.queries.pValue, 1);
    assert.equal(same.queryOutcome, "tie");
    assert.equal(same.seedOutcome, "overlap");
    assertFollowsFromTests(report, verdicts, 2000);
  });

  test("a direction without all three strategies gives no verdict; claims can be picked", () => {
    const report = threeSeeds();
    const noHybrid: GridReport = { ...report, runs: report.runs.filter((r) => r.row.strategy !== "hybrid") };
    assert.deepEqual(paperClaims(noHybrid, { rounds: 100 }), []);
    const onlyBias = paperClaims(report, { rounds: 100, claims: [4] });
    assert.deepEqual(
      onlyBias.map((v) => [v.claim, v.comparisons.map((c) => c.metric)]),
      [[4, ["rankDistance"]]],
    );
    // Another α is picked by hybridAlpha (alpha stays the tests' level).
    const otherAlpha: GridReport = {
      ...report,
      runs: report.runs.map((r) => (r.row.strategy === "hybrid" ? { ...r, row: { ...r.row, alpha: 0.25 } } : r)),
    };
    assert.deepEqual(paperClaims(otherAlpha, { rounds: 100 }), []);
    const quarter = paperClaims(otherAlpha, { rounds: 100, hybridAlpha: 0.25, claims: [4] });
    assert.deepEqual(
      quarter.map((v) => v.comparisons[0].a),
      ["hybrid α=0.25"],
    );
    // With one seed a side there is no seed test.
    const oneSeed: GridReport = { ...report, runs: report.runs.filter((r) => r.row.seed === 1) };
    assert.ok(paperClaims(oneSeed, { rounds: 100 }).every((v) => v.comparisons.every((c) => c.seeds === null && c.seedOutcome === null)));
  });
});

describe("claimOutcome", () => {
  const comparison = (needs: ClaimComparison["needs"], queryOutcome: ClaimComparison["queryOutcome"], seedOutcome: ClaimComparison["seedOutcome"]) =>
    ({ needs, queryOutcome, seedOutcome }) as ClaimComparison;
  test("against beats tie beats overlapping seeds; a 'not worse' comparison needs no seed separation", () => {
    const cases: [ClaimComparison[], string][] = [
      [[comparison("better", "as claimed", null)], "holds"],
      [[comparison("better", "as claimed", "separated as claimed")], "holds"],
      [[comparison("better", "as claimed", "overlap")], "holds over queries only"],
      [[comparison("better", "as claimed", "separated against")], "holds over queries only"],
      [[comparison("not worse", "as claimed", "overlap"), comparison("better", "as claimed", "separated as claimed")], "holds"],
      [[comparison("better", "tie", "overlap"), comparison("better", "as claimed", null)], "not significant"],
      [[comparison("better", "tie", null), comparison("not worse", "against", "separated against")], "does not hold"],
    ];
    for (const [list, want] of cases) assert.equal(claimOutcome(list), want, JSON.stringify(list));
  });
});

describe("paperClaims on the shipped e5-small grid (results/pretrained)", () => {
  test("both directions decided, three-seed tests in the main one, each verdict as the tests say", async () => {
    const work = await mkdtemp(join(tmpdir(), "hybrid-ir-claims-"));
    let report: GridReport;
    try {
      const grid = await readGrid(presetGridPath(PRESETS.pretrained), work);
      const install = await installShipped(grid, PRETRAINED_RESULTS);
      assert.equal(install.installed.length, 14, "every run of the grid is shipped");
      report = await loadGridReport(grid);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    const verdicts = paperClaims(report, { rounds: 1000 });
    assert.deepEqual(
      verdicts.map((v) => `${v.direction} ${v.claim}`),
      ["mlqa-r→xquad-r 1", "mlqa-r→xquad-r 2", "mlqa-r→xquad-r 3", "mlqa-r→xquad-r 4", "xquad-r→mlqa-r 1", "xquad-r→mlqa-r 2", "xquad-r→mlqa-r 3", "xquad-r→mlqa-r 4"],
    );
    const main = verdicts.filter((v) => v.direction === "mlqa-r→xquad-r");
    assert.ok(main.every((v) => v.comparisons.every((c) => c.seeds !== null && c.seeds.minPValue === 0.1)), "three seeds a side");
    const reverse = verdicts.filter((v) => v.direction === "xquad-r→mlqa-r");
    assert.ok(reverse.every((v) => v.comparisons.every((c) => c.seeds === null)), "one seed a side");
    // On XQuAD-R the query test's means are Table 1's numbers (every language has every question).
    const xx = configGroups(report).find((g) => g.eval === "xquad-r" && g.strategy === "x-x")!;
    const mono = xx.finished.reduce((s, r) => s + r.row.monoMap!, 0) / xx.finished.length;
    assert.ok(Math.abs(main[0].comparisons[0].queries.meanA - mono) < 1e-6, `${main[0].comparisons[0].queries.meanA} vs ${mono}`);
    assertFollowsFromTests(report, verdicts, 1000);

    const records = claimRecords(verdicts);
    assert.equal(records.length, verdicts.reduce((s, v) => s + v.comparisons.length, 0));
    const md = claimsMarkdown(verdicts).split("\n");
    assert.equal(md.length, records.length + 2);
    assert.ok(md.every((line) => line.split("|").length === md[0].split("|").length), "every row has the header's columns");
    assert.equal(claimsMarkdown([]), "(no direction has finished x-x, x-y and hybrid runs)");
    const sentences = claimSummaries(verdicts);
    assert.equal(sentences.length, verdicts.length);
    for (const [i, v] of verdicts.entries()) {
      assert.ok(sentences[i].startsWith(`${v.direction}, claim ${v.claim} (${v.statement}): ${v.outcome.toUpperCase()}. `), sentences[i]);
      assert.equal(sentences[i].split(" over queries").length - 1, v.comparisons.length, sentences[i]);
    }
    const metrics: PerQueryMetric[] = verdicts.flatMap((v) => v.comparisons.map((c) => c.metric));
    assert.ok(metrics.includes("rankDistance") && metrics.includes("multiAP"));
  });
});
