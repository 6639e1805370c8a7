/**
 * Keeping training, validation and evaluation text apart. Validation is split off by article,
 * because questions on one paragraph share answer sentences and translations share meaning: a
 * split by question would put near-copies on both sides and make validation loss optimistic.
 * The contamination check guards the other border, training data against a benchmark.
 */
import type { RetrievalDataset } from "../data/types.js";
import { mulberry32 } from "../util/random.js";
import type { TrainingRecord } from "./format.js";

export interface SplitOptions {
  /** Share of the records to hold out, in (0, 1); reached by whole units, so it may overshoot by one unit. */
  readonly validationFraction: number;
  readonly seed: number;
}

export interface TrainValidationSplit {
  /** Both sides keep the input order. */
  readonly train: TrainingRecord[];
  readonly validation: TrainingRecord[];
  /** Units the records fell into (see splitByArticle) and how many went to validation. */
  readonly units: number;
  readonly validationUnits: number;
}

/**
 * Splits into train and validation so that no article and no group has records on both sides.
 * Records are joined into units: a group joins every article its records name (article titles
 * differ across languages, so the group is what ties a German article to its English original),
 * and an article joins every group asked about it. A record without `article` is held together
 * with its group only. The units are shuffled with `seed` and moved to validation until it holds
 * at least `validationFraction` of the records.
 *
 * @example
 * const { train, validation } = splitByArticle(records, { validationFraction: 0.1, seed: 1 });
 */
export function splitByArticle(records: readonly TrainingRecord[], options: SplitOptions): TrainValidationSplit {
  const { validationFraction, seed } = options;
  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new Error(`validationFraction must lie in (0, 1), got ${validationFraction}`);
  }
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);

  // Union-find over group and article keys; the prefixes keep a group id and a title apart.
  const parent = new Map<string, string>();
  const find = (key: string): string => {
    let root = key;
    while (parent.get(root) !== root) root = parent.get(root)!;
    for (let k = key; k !== root; ) {
      const next = parent.get(k)!;
      parent.set(k, root); // path compression keeps later finds short
      k = next;
    }
    return root;
  };
  const add = (key: string) => {
    if (!parent.has(key)) parent.set(key, key);
  };
  for (const r of records) {
    const g = `g\u0000${r.group}`;
    add(g);
    if (r.article !== undefined) {
      const a = `a\u0000${r.article}`;
      add(a);
      const [rg, ra] = [find(g), find(a)];
      if (rg !== ra) parent.set(ra, rg);
    }
  }

  const unitOf = records.map((r) => find(`g\u0000${r.group}`));
  const units: string[] = [...new Set(unitOf)]; // first-appearance order, so the split depends only on the input
  const sizes = new Map<string, number>();
  for (const u of unitOf) sizes.set(u, (sizes.get(u) ?? 0) + 1);

  const rand = mulberry32(seed);
  for (let i = units.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [units[i], units[j]] = [units[j], units[i]];
  }
  const target = validationFraction * records.length;
  const held = new Set<string>();
  let heldRecords = 0;
  for (const u of units) {
    if (heldRecords >= target) break;
    held.add(u);
    heldRecords += sizes.get(u)!;
  }
  if (held.size === units.length) {
    throw new Error(
      `cannot split ${records.length} records into train and validation: they form ${units.length} article unit(s) and validation would take all`,
    );
  }
  const train: TrainingRecord[] = [];
  const validation: TrainingRecord[] = [];
  records.forEach((r, i) => (held.has(unitOf[i]) ? validation : train).push(r));
  return { train, validation, units: units.length, validationUnits: held.size };
}

/** The text identity used to compare training and evaluation text: NFKC, lower case, whitespace collapsed. */
export function normalizeText(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}

export interface ContaminationOptions {
  /** Report overlap instead of refusing it (e.g. when the overlap has been inspected and is benign). */
  readonly allowOverlap?: boolean;
}

/** One training text equal to an evaluation text. */
export interface Overlap {
  /** Index of the training record. */
  readonly record: number;
  readonly group: string;
  readonly lang: string;
  readonly field: "query" | "positive" | "negative";
  readonly text: string;
  /** What it equals in the evaluation set. */
  readonly matches: "question" | "candidate";
}

export interface ContaminationReport {
  readonly evalSet: string;
  readonly records: number;
  /** Training records whose query, positive, or at least one negative equals an evaluation text. */
  readonly queryOverlaps: number;
  readonly positiveOverlaps: number;
  readonly negativeOverlaps: number;
  /** Records with any overlap, by language. */
  readonly byLanguage: Readonly<Record<string, number>>;
  /** The first three overlaps in record order. */
  readonly examples: readonly Overlap[];
}

export class ContaminationError extends Error {
  override name = "ContaminationError";
  constructor(readonly report: ContaminationReport) {
    super(describeContamination(report));
  }
}

/**
 * Finds training queries, positives and hard negatives whose normalised text equals a question
 * or a candidate sentence of `evalSet`, in any language (a query that equals an evaluation
 * sentence is as much a leak as a positive that does). Throws a ContaminationError when any is
 * found, unless `allowOverlap`.
 */
export function checkContamination(
  train: readonly TrainingRecord[],
  evalSet: RetrievalDataset,
  options: ContaminationOptions = {},
): ContaminationReport {
  const evalText = new Map<string, "question" | "candidate">();
  for (const c of evalSet.candidates) evalText.set(normalizeText(c.text), "candidate");
  for (const q of evalSet.questions) evalText.set(normalizeText(q.text), "question");

  const counts = { query: 0, positive: 0, negative: 0 };
  const byLanguage: Record<string, number> = {};
  const examples: Overlap[] = [];
  train.forEach((r, i) => {
    const found: Overlap[] = [];
    const probe = (field: Overlap["field"], text: string) => {
      const matches = evalText.get(normalizeText(text));
      if (matches !== undefined) found.push({ record: i, group: r.group, lang: r.lang, field, text, matches });
    };
    probe("query", r.query);
    probe("positive", r.positive);
    for (const n of r.negatives ?? []) probe("negative", n);
    if (found.length === 0) return;
    for (const field of new Set(found.map((o) => o.field))) counts[field] += 1;
    byLanguage[r.lang] = (byLanguage[r.lang] ?? 0) + 1;
    for (const o of found) if (examples.length < 3) examples.push(o);
  });

  const report: ContaminationReport = {
    evalSet: evalSet.name,
    records: train.length,
    queryOverlaps: counts.query,
    positiveOverlaps: counts.positive,
    negativeOverlaps: counts.negative,
    byLanguage,
    examples,
  };
  if (examples.length > 0 && !options.allowOverlap) throw new ContaminationError(report);
  return report;
}

export function describeContamination(report: ContaminationReport): string {
  const total = Object.values(report.byLanguage).reduce((a, b) => a + b, 0);
  const head =
    `${total} of ${report.records} training records share normalised text with ${report.evalSet} ` +
    `(queries: ${report.queryOverlaps}, positives: ${report.positiveOverlaps}, negatives: ${report.negativeOverlaps})`;
  const lines = report.examples.map(
    (o) => `  record ${o.record} (group ${o.group}, ${o.lang}) ${o.field} = ${report.evalSet} ${o.matches}: ${JSON.stringify(clip(o.text))}`,
  );
  return [head, ...lines].join("\n");
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
