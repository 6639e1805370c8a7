/**
 * The paper's four claims, decided on a grid's runs. Elmahdy, Lin and Ahmad (arXiv:2408.10536)
 * report single runs of XLM-R and LaBSE; what they claim from them is:
 *
 * 1. X-X batches give the best monolingual retrieval (above X-Y);
 * 2. X-Y batches give the best cross-lingual retrieval (above X-X);
 * 3. hybrid batches match the better of the two in every setting, and are best on the
 *    multilingual pool;
 * 4. hybrid batches lower the language bias (rank distance) against X-X.
 *
 * Each claim becomes comparisons between configurations (x-x, x-y, hybrid α = 0.5) of one
 * direction, and each comparison gets two tests:
 * - over queries: the paired randomisation test of `significance.ts` on the per-query values,
 *   averaged over seeds, with the macro average over query languages as statistic (level 0.05).
 *   On XQuAD-R, whose languages share every question, that is Table 1's number; on MLQA-R a
 *   query's cross-lingual AP averages over the languages its answer exists in, so the statistic
 *   weights the 42 settings by their queries and differs from Table 1's plain mean of settings
 *   in the third decimal;
 * - over seeds, where both sides have at least `minSeeds` (3): the exact permutation test on the
 *   seeds' own numbers. With three seeds a side it cannot go below p = 0.1, reached when every seed
 *   of one side beats every seed of the other; that complete separation is what it contributes.
 *
 * A comparison that needs "A better than B" is as claimed when the query test is significant in
 * A's favour, a tie when it is not significant, and against the claim when significant in B's
 * favour. One that needs "A not worse than B" is as claimed unless the query test is significant
 * in B's favour. A claim holds when every comparison is as claimed and, where seeds were tested,
 * every "better" comparison's seeds separate in the claimed direction; it holds "over queries
 * only" when the seeds overlap; it is "not significant" when some comparison ties and none goes
 * against it; and it does not hold when any comparison goes against it.
 *
 * @example
 * const verdicts = paperClaims(await loadGridReport(grid));
 * console.log(claimsMarkdown(verdicts));
 */
import {
  pairedTest,
  pairPerQuery,
  seedPermutationTest,
  type PairedTest,
  type PairedTestOptions,
  type PerQueryMetric,
  type SeedTest,
} from "../eval/significance.js";
import { configGroups, directions, groupPerQuery, type ConfigGroup, type GridReport, type RunRecord } from "./grid-report.js";

export type ClaimNumber = 1 | 2 | 3 | 4;

/** The four claims, as this module tests them. */
export const PAPER_CLAIMS: Readonly<Record<ClaimNumber, string>> = {
  1: "X-X is best monolingually (above X-Y)",
  2: "X-Y is best cross-lingually (above X-X)",
  3: "hybrid matches the better of X-X and X-Y in every setting and is best on the multilingual pool",
  4: "hybrid lowers language bias (rank distance) against X-X",
};

/** How one comparison came out on the query test. */
export type QueryOutcome = "as claimed" | "tie" | "against";

/** How the seeds of one comparison came out: null where either side has fewer than minSeeds. */
export type SeedOutcome = "separated as claimed" | "separated against" | "overlap";

export type ClaimOutcome = "holds" | "holds over queries only" | "not significant" | "does not hold";

export interface ClaimComparison {
  readonly metric: PerQueryMetric;
  /** Configuration labels ("x-x", "hybrid α=0.5"). */
  readonly a: string;
  readonly b: string;
  /** What the claim needs of A against B; "better" is lower for rank distance. */
  readonly needs: "better" | "not worse";
  readonly queries: PairedTest;
  readonly queryOutcome: QueryOutcome;
  readonly seeds: SeedTest | null;
  readonly seedOutcome: SeedOutcome | null;
}

export interface ClaimVerdict {
  readonly claim: ClaimNumber;
  readonly statement: string;
  /** "mlqa-r→xquad-r". */
  readonly direction: string;
  /** Seeds of each configuration, e.g. { "x-x": 3, "x-y": 3, "hybrid α=0.5": 3 }. */
  readonly seeds: Readonly<Record<string, number>>;
  readonly comparisons: readonly ClaimComparison[];
  readonly outcome: ClaimOutcome;
}

export interface PaperClaimsOptions extends PairedTestOptions {
  /** Seeds each side needs before the seed test is run (default 3). */
  readonly minSeeds?: number;
  /** The hybrid's α (default 0.5, the paper's); `alpha` (from PairedTestOptions) is the test's level. */
  readonly hybridAlpha?: number;
  /** Which claims (default all four). */
  readonly claims?: readonly ClaimNumber[];
}

const SEED_VALUE: Readonly<Record<PerQueryMetric, (r: RunRecord) => number | null>> = {
  monoAP: (r) => r.row.monoMap,
  crossAP: (r) => r.row.crossMap,
  multiAP: (r) => r.row.multiMap,
  rankDistance: (r) => r.row.rankDistance,
};

/**
 * The verdict on each claim for each direction of the report whose x-x, x-y and hybrid (α =
 * options.hybridAlpha) runs have finished with per-query results. Directions missing one of them
 * are left out; a configuration with only some of its seeds finished is judged on those (and gets
 * no seed test below minSeeds).
 */
export function paperClaims(report: GridReport, options: PaperClaimsOptions = {}): ClaimVerdict[] {
  const hybridAlpha = options.hybridAlpha ?? 0.5;
  const minSeeds = options.minSeeds ?? 3;
  const wanted = options.claims ?? ([1, 2, 3, 4] as const);
  const testOptions: PairedTestOptions = { rounds: 5000, ...options };
  const out: ClaimVerdict[] = [];
  for (const d of directions(report)) {
    const groups = configGroups(report).filter(
      (g) => g.train === d.train && g.eval === d.eval && g.finished.length > 0 && g.finished.every((r) => r.perQuery !== null),
    );
    const pick = (strategy: string, a: number | null) => groups.find((g) => g.strategy === strategy && (a === null || g.alpha === a));
    const xx = pick("x-x", null);
    const xy = pick("x-y", null);
    const hybrid = pick("hybrid", hybridAlpha);
    if (xx === undefined || xy === undefined || hybrid === undefined) continue;
    // Averaged over seeds once; every comparison of the direction reuses them.
    const perQuery = new Map([xx, xy, hybrid].map((g) => [g, groupPerQuery(g)!]));
    const compare = (a: ConfigGroup, b: ConfigGroup, metric: PerQueryMetric, needs: ClaimComparison["needs"]): ClaimComparison => {
      const queries = pairedTest(pairPerQuery(perQuery.get(a)!, perQuery.get(b)!, metric), testOptions);
      const sign = metric === "rankDistance" ? -1 : 1;
      const aAhead = sign * queries.difference > 0;
      const queryOutcome: QueryOutcome =
        needs === "better"
          ? queries.significant ? (aAhead ? "as claimed" : "against") : "tie"
          : queries.significant && !aAhead ? "against" : "as claimed";
      const valuesA = a.finished.map(SEED_VALUE[metric]).filter((v): v is number => v !== null);
      const valuesB = b.finished.map(SEED_VALUE[metric]).filter((v): v is number => v !== null);
      let seeds: SeedTest | null = null;
      let seedOutcome: SeedOutcome | null = null;
      if (valuesA.length >= minSeeds && valuesB.length >= minSeeds) {
        seeds = seedPermutationTest(valuesA, valuesB);
        seedOutcome = !seeds.separated ? "overlap" : sign * seeds.difference > 0 ? "separated as claimed" : "separated against";
      }
      return { metric, a: a.label, b: b.label, needs, queries, queryOutcome, seeds, seedOutcome };
    };
    const mean = (g: ConfigGroup, metric: PerQueryMetric) => {
      const v = g.finished.map(SEED_VALUE[metric]).filter((x): x is number => x !== null);
      return v.reduce((s, x) => s + x, 0) / v.length;
    };
    const better = (metric: PerQueryMetric) => (mean(xx, metric) >= mean(xy, metric) ? xx : xy);
    const comparisons: Record<ClaimNumber, () => ClaimComparison[]> = {
      1: () => [compare(xx, xy, "monoAP", "better")],
      2: () => [compare(xy, xx, "crossAP", "better")],
      3: () => [
        compare(hybrid, better("monoAP"), "monoAP", "not worse"),
        compare(hybrid, better("crossAP"), "crossAP", "not worse"),
        compare(hybrid, xx, "multiAP", "better"),
        compare(hybrid, xy, "multiAP", "better"),
      ],
      4: () => [compare(hybrid, xx, "rankDistance", "better")],
    };
    const seeds = Object.fromEntries([xx, xy, hybrid].map((g) => [g.label, g.finished.length]));
    for (const claim of wanted) {
      const list = comparisons[claim]();
      out.push({ claim, statement: PAPER_CLAIMS[claim], direction: `${d.train}→${d.eval}`, seeds, comparisons: list, outcome: claimOutcome(list) });
    }
  }
  return out;
}

/** The rule of the module comment, from a claim's comparisons. */
export function claimOutcome(comparisons: readonly ClaimComparison[]): ClaimOutcome {
  if (comparisons.some((c) => c.queryOutcome === "against")) return "does not hold";
  if (comparisons.some((c) => c.queryOutcome === "tie")) return "not significant";
  const seedsDisagree = comparisons.some((c) => c.needs === "better" && c.seedOutcome !== null && c.seedOutcome !== "separated as claimed");
  return seedsDisagree ? "holds over queries only" : "holds";
}

const METRIC_NAME: Readonly<Record<PerQueryMetric, string>> = {
  monoAP: "mono mAP",
  crossAP: "cross mAP",
  multiAP: "multi mAP",
  rankDistance: "rank distance",
};

function formatNumber(v: number, metric: PerQueryMetric): string {
  return metric === "rankDistance" ? v.toFixed(1) : v.toFixed(3);
}

/** "p = 0.10 (floor 0.10), every seed as claimed", or "—" without a seed test. */
export function formatSeedTest(c: ClaimComparison): string {
  if (c.seeds === null) return "—";
  const where = { "separated as claimed": "every seed as claimed", "separated against": "every seed against", overlap: "seeds overlap" }[c.seedOutcome!];
  return `p = ${c.seeds.pValue.toFixed(2)} (floor ${c.seeds.minPValue.toFixed(2)}), ${where}`;
}

/** One row per comparison, for tableHtml: the claim, both means, the tests and the outcome. */
export function claimRecords(verdicts: readonly ClaimVerdict[]): Record<string, string | number>[] {
  return verdicts.flatMap((v) =>
    v.comparisons.map((c, i) => ({
      direction: v.direction,
      claim: i === 0 ? `${v.claim}. ${v.statement}` : "",
      comparison: `${c.a} ${c.needs === "better" ? (c.metric === "rankDistance" ? "<" : ">") : "≥"} ${c.b}, ${METRIC_NAME[c.metric]}`,
      A: formatNumber(c.queries.meanA, c.metric),
      B: formatNumber(c.queries.meanB, c.metric),
      "95% CI of A − B": `[${formatNumber(c.queries.ci[0], c.metric)}, ${formatNumber(c.queries.ci[1], c.metric)}]`,
      // A string: p = 0.0002 (the floor at 5,000 rounds) would show as "0.000" at a table's 3 digits.
      "p (queries)": c.queries.pValue.toFixed(4),
      seeds: formatSeedTest(c),
      outcome: c.queryOutcome,
      verdict: i === 0 ? v.outcome : "",
    })),
  );
}

/**
 * One plain sentence per verdict: "mlqa-r→xquad-r, claim 1 (X-X is best …): holds. x-x > x-y,
 * mono mAP: 0.794 vs 0.789, p = 0.0002 over queries; p = 0.10 (floor 0.10), every seed as claimed."
 */
export function claimSummaries(verdicts: readonly ClaimVerdict[]): string[] {
  return verdicts.map((v) => {
    const parts = v.comparisons.map((c) => {
      const op = c.needs === "better" ? (c.metric === "rankDistance" ? "<" : ">") : "≥";
      const seeds = c.seeds === null ? "" : `; ${formatSeedTest(c)}`;
      return `${c.a} ${op} ${c.b}, ${METRIC_NAME[c.metric]}: ${formatNumber(c.queries.meanA, c.metric)} vs ${formatNumber(c.queries.meanB, c.metric)}, p = ${c.queries.pValue.toFixed(4)} over queries${seeds} (${c.queryOutcome})`;
    });
    return `${v.direction}, claim ${v.claim} (${v.statement}): ${v.outcome.toUpperCase()}. ${parts.join(". ")}.`;
  });
}

/** The verdicts as a Markdown table, for README and bench/results. */
export function claimsMarkdown(verdicts: readonly ClaimVerdict[]): string {
  const rows = claimRecords(verdicts);
  if (rows.length === 0) return "(no direction has finished x-x, x-y and hybrid runs)";
  const head = Object.keys(rows[0]);
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const r of rows) lines.push(`| ${Object.values(r).map(String).join(" | ")} |`);
  return lines.join("\n");
}
