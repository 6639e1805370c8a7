/**
 * Cross-lingual alignment of a model's embeddings, measured on a LAReQA benchmark's parallel
 * structure: does training *align* the languages in embedding space, or only rerank them?
 *
 * Translations: a question id's relevant candidates in two languages are the sentences holding
 * its answer in each, i.e. translations of one another; every such (candidate in a, candidate in
 * b) pair over all question ids, de-duplicated, is a translation pair. A candidate may have more
 * than one translation in a language (sentence splits differ between languages).
 *
 * Every measure works on L2-normalised rows (cosine geometry, what the scorer of a normalising
 * model such as `mini` uses); the inputs are never modified.
 * - bitext retrieval: P@1 of finding a translation of a candidate of language a among *all*
 *   candidates of language b (the nearest by cosine; ties go to the first in candidate order),
 *   per ordered language pair, over the candidates of a that have a translation in b;
 * - translation cosine: mean cosine over translation pairs, against the mean over every other
 *   pair of candidates of two different languages (computed exactly, from per-language sums);
 * - language probe: a linear softmax classifier of the candidate's language, trained on a seeded
 *   half of each language's candidates (standardised features, full-batch Adam) and tested on
 *   the other half: the accuracy says how much language identity the embeddings still carry;
 * - centroids: Euclidean distances between the per-language means of the candidates;
 * - centroid removal: every question and candidate minus the mean of its side (questions or
 *   candidates) in its language, renormalised, then the full protocol again: does the pool's mAP
 *   rise when language identity, as far as a mean captures it, is taken out?
 */
import * as tf from "@tensorflow/tfjs";
import type { AlignedEmbeddings } from "../data/embeddings-dir.js";
import type { Matrix } from "../data/npy.js";
import type { RetrievalDataset } from "../data/types.js";
import { mulberry32 } from "../util/random.js";
import { DenseScorer } from "./dense-scorer.js";
import { evaluate } from "./evaluate.js";
import type { EvaluationResult } from "./result.js";
import { taskFromDataset } from "./task.js";

/** The parallel structure the measures need, in the dataset's candidate order. */
export interface ParallelStructure {
  readonly languages: readonly string[];
  /** Per candidate: index into `languages`. */
  readonly candidateLang: Int32Array;
  /** Translation pairs as candidate indices [i, j], i < j, languages different; sorted, unique. */
  readonly translations: readonly (readonly [number, number])[];
}

/** The translation pairs of a benchmark (see the module comment). */
export function parallelStructure(ds: RetrievalDataset): ParallelStructure {
  const langIndex = new Map(ds.languages.map((l, i) => [l, i] as const));
  const candidateIndex = new Map(ds.candidates.map((c, i) => [c.uid, i] as const));
  const candidateLang = Int32Array.from(ds.candidates, (c) => {
    const l = langIndex.get(c.lang);
    if (l === undefined) throw new Error(`${ds.name}: candidate ${c.uid} has language '${c.lang}', not one of ${ds.languages.join(", ")}`);
    return l;
  });
  const answersOfId = new Map<string, Set<number>>();
  for (const q of ds.questions) {
    let set = answersOfId.get(q.id);
    if (!set) answersOfId.set(q.id, (set = new Set()));
    for (const uid of ds.relevance.get(q.uid) ?? []) {
      const c = candidateIndex.get(uid);
      if (c === undefined) throw new Error(`${ds.name}: question ${q.uid} names unknown candidate ${uid}`);
      set.add(c);
    }
  }
  const seen = new Set<number>();
  const n = ds.candidates.length;
  const translations: [number, number][] = [];
  for (const set of answersOfId.values()) {
    const list = [...set].sort((a, b) => a - b);
    for (let x = 0; x < list.length; x++) {
      for (let y = x + 1; y < list.length; y++) {
        const [i, j] = [list[x], list[y]];
        if (candidateLang[i] === candidateLang[j]) continue;
        const key = i * n + j;
        if (seen.has(key)) continue;
        seen.add(key);
        translations.push([i, j]);
      }
    }
  }
  translations.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { languages: [...ds.languages], candidateLang, translations };
}

/** A copy with every row scaled to unit length (a zero row stays zero). */
export function normalizedRows(m: Matrix): Matrix {
  const data = new Float32Array(m.data.length);
  for (let r = 0; r < m.rows; r++) {
    let norm = 0;
    for (let k = r * m.cols; k < (r + 1) * m.cols; k++) norm += m.data[k] * m.data[k];
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let k = r * m.cols; k < (r + 1) * m.cols; k++) data[k] = m.data[k] * inv;
  }
  return { data, rows: m.rows, cols: m.cols };
}

export interface BitextResult {
  /** accuracy[a][b]: P@1 of a's candidates finding a translation among b's; null on the diagonal and where a has no translation in b. */
  readonly accuracy: (number | null)[][];
  /** sources[a][b]: the candidates of a with a translation in b (the denominator). */
  readonly sources: number[][];
  /** Macro mean over the non-null off-diagonal cells. */
  readonly mean: number | null;
}

/**
 * Bitext retrieval P@1 over every ordered language pair. Cost: one [n_a × N] similarity block
 * per language (tfjs matMul on the current backend), N the number of candidates.
 *
 * @param candidates [N × d], rows in `structure.candidateLang` order (normalised here)
 */
export function bitextRetrieval(candidates: Matrix, structure: ParallelStructure): BitextResult {
  checkRows(candidates, structure);
  const L = structure.languages.length;
  const emb = normalizedRows(candidates);
  const byLang = indicesByLanguage(structure.candidateLang, L);
  const translationsOf = new Map<number, number[]>();
  for (const [i, j] of structure.translations) {
    for (const [x, y] of [[i, j], [j, i]] as const) {
      const list = translationsOf.get(x);
      if (list) list.push(y);
      else translationsOf.set(x, [y]);
    }
  }
  const hits = matrixOf(L, 0);
  const sources = matrixOf(L, 0);
  const all = tf.tensor2d(emb.data, [emb.rows, emb.cols]);
  try {
    for (let a = 0; a < L; a++) {
      const rows = byLang[a].filter((c) => translationsOf.has(c));
      if (rows.length === 0) continue;
      // Per target language, the index (within that language) of each source's nearest candidate.
      const best: (Int32Array | null)[] = byLang.map(() => null);
      const sims = tf.tidy(() => tf.matMul(tf.gather(all, rows), tf.transpose(all))); // [|rows| × N]
      try {
        byLang.forEach((cols, b) => {
          if (b === a || cols.length === 0) return;
          const arg = tf.tidy(() => tf.argMax(tf.gather(sims, cols, 1), 1));
          best[b] = arg.dataSync() as Int32Array;
          arg.dispose();
        });
      } finally {
        sims.dispose();
      }
      rows.forEach((c, r) => {
        const targets = translationsOf.get(c)!;
        for (let b = 0; b < L; b++) {
          if (b === a || best[b] === null) continue;
          const inB = targets.filter((t) => structure.candidateLang[t] === b);
          if (inB.length === 0) continue;
          sources[a][b] += 1;
          if (inB.includes(byLang[b][best[b]![r]])) hits[a][b] += 1;
        }
      });
    }
  } finally {
    all.dispose();
  }
  const accuracy = hits.map((row, a) => row.map((h, b) => (a === b || sources[a][b] === 0 ? null : h / sources[a][b])));
  return { accuracy, sources, mean: meanOf(accuracy.flat()) };
}

export interface TranslationCosine {
  /** Mean cosine over translation pairs. */
  readonly translation: number | null;
  /** Mean cosine over all other pairs of candidates of different languages. */
  readonly nonTranslation: number | null;
  /** translation − nonTranslation: how much closer a translation is than a random other-language sentence. */
  readonly gap: number | null;
  readonly translationPairs: number;
  readonly nonTranslationPairs: number;
}

/**
 * Mean cosine of translation pairs against non-translation pairs of different languages. The
 * latter is exact over all such pairs: Σ over language pairs a < b of s_a · s_b (s_l the sum of
 * l's normalised rows) is the sum of every cross-language cosine; the translations' part is
 * subtracted.
 */
export function translationCosine(candidates: Matrix, structure: ParallelStructure): TranslationCosine {
  checkRows(candidates, structure);
  const emb = normalizedRows(candidates);
  const L = structure.languages.length;
  const d = emb.cols;
  const sums = Array.from({ length: L }, () => new Float64Array(d));
  const counts = new Array<number>(L).fill(0);
  for (let r = 0; r < emb.rows; r++) {
    const l = structure.candidateLang[r];
    counts[l] += 1;
    for (let k = 0; k < d; k++) sums[l][k] += emb.data[r * d + k];
  }
  let crossSum = 0;
  let crossPairs = 0;
  for (let a = 0; a < L; a++) {
    for (let b = a + 1; b < L; b++) {
      for (let k = 0; k < d; k++) crossSum += sums[a][k] * sums[b][k];
      crossPairs += counts[a] * counts[b];
    }
  }
  let translationSum = 0;
  for (const [i, j] of structure.translations) translationSum += dot(emb, i, j);
  const t = structure.translations.length;
  const translation = t === 0 ? null : translationSum / t;
  const others = crossPairs - t;
  const nonTranslation = others === 0 ? null : (crossSum - translationSum) / others;
  return {
    translation,
    nonTranslation,
    gap: translation === null || nonTranslation === null ? null : translation - nonTranslation,
    translationPairs: t,
    nonTranslationPairs: others,
  };
}

export interface ProbeOptions {
  /** Seeds the train/test split (default 0). */
  readonly seed?: number;
  /** Full-batch Adam steps (default 200). */
  readonly steps?: number;
  /** Adam's learning rate (default 0.05). */
  readonly learningRate?: number;
}

export interface LanguageProbe {
  /** Accuracy on the held-out half. */
  readonly accuracy: number;
  /** Accuracy of always answering the training half's most frequent language: the floor. */
  readonly majority: number;
  /** Held-out accuracy per language (`languages` order); null for a language without test rows. */
  readonly perLanguage: (number | null)[];
  readonly train: number;
  readonly test: number;
  readonly steps: number;
}

/**
 * A linear language-identification probe: softmax regression W·x + b on the candidates'
 * normalised embeddings (standardised with the training half's mean and deviation), trained
 * from zero weights by full-batch Adam on the cross-entropy; each language's candidates are
 * split in half by a seeded shuffle (the extra one of an odd count goes to training).
 */
export function languageProbe(candidates: Matrix, structure: ParallelStructure, options: ProbeOptions = {}): LanguageProbe {
  checkRows(candidates, structure);
  const steps = options.steps ?? 200;
  const L = structure.languages.length;
  const emb = normalizedRows(candidates);
  const rand = mulberry32(options.seed ?? 0);
  const train: number[] = [];
  const test: number[] = [];
  for (const rows of indicesByLanguage(structure.candidateLang, L)) {
    const shuffled = [...rows];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const half = Math.ceil(shuffled.length / 2);
    train.push(...shuffled.slice(0, half));
    test.push(...shuffled.slice(half));
  }
  if (train.length === 0) throw new RangeError("languageProbe: no candidates");
  const trainLabels = train.map((r) => structure.candidateLang[r]);
  const labelCounts = new Array<number>(L).fill(0);
  for (const l of trainLabels) labelCounts[l] += 1;
  const majorityLang = labelCounts.indexOf(Math.max(...labelCounts));

  const predictions = tf.tidy(() => {
    const all = tf.tensor2d(emb.data, [emb.rows, emb.cols]);
    const xTrain = tf.gather(all, train);
    const mean = xTrain.mean(0);
    // A constant feature has deviation 0: divide by 1 there instead.
    const std = xTrain.sub(mean).square().mean(0).sqrt();
    const scale = tf.where(std.greater(1e-12), std, tf.onesLike(std));
    const standardise = (x: tf.Tensor2D) => x.sub(mean).div(scale) as tf.Tensor2D;
    const x = standardise(xTrain);
    const y = tf.oneHot(tf.tensor1d(trainLabels, "int32"), L).toFloat();
    const w = tf.variable(tf.zeros([emb.cols, L]));
    const b = tf.variable(tf.zeros([L]));
    const optimizer = tf.train.adam(options.learningRate ?? 0.05);
    for (let s = 0; s < steps; s++) {
      const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, x.matMul(w).add(b)) as tf.Scalar, true, [w, b]);
      cost?.dispose();
    }
    const out = test.length === 0 ? tf.zeros([0], "int32") : standardise(tf.gather(all, test)).matMul(w).add(b).argMax(1);
    optimizer.dispose();
    w.dispose();
    b.dispose();
    return out;
  });
  const predicted = predictions.dataSync() as Int32Array;
  predictions.dispose();
  const right = new Array<number>(L).fill(0);
  const total = new Array<number>(L).fill(0);
  let majority = 0;
  test.forEach((r, i) => {
    const l = structure.candidateLang[r];
    total[l] += 1;
    if (predicted[i] === l) right[l] += 1;
    if (l === majorityLang) majority += 1;
  });
  const correct = right.reduce((s, x) => s + x, 0);
  return {
    accuracy: test.length === 0 ? Number.NaN : correct / test.length,
    majority: test.length === 0 ? Number.NaN : majority / test.length,
    perLanguage: right.map((r, l) => (total[l] === 0 ? null : r / total[l])),
    train: train.length,
    test: test.length,
    steps,
  };
}

export interface CentroidDistances {
  /** distance[a][b]: ‖μ_a − μ_b‖, μ_l the mean of l's normalised candidates. */
  readonly distance: number[][];
  /** Mean over a < b. */
  readonly mean: number | null;
  /** ‖μ_l‖ per language: 1 when all of l's candidates coincide, near 0 when they spread evenly. */
  readonly norm: number[];
}

export function centroidDistances(candidates: Matrix, structure: ParallelStructure): CentroidDistances {
  checkRows(candidates, structure);
  const L = structure.languages.length;
  const centroids = languageCentroids(normalizedRows(candidates), structure.candidateLang, L);
  const distance = centroids.map((a) =>
    centroids.map((b) => {
      let s = 0;
      for (let k = 0; k < a.length; k++) s += (a[k] - b[k]) ** 2;
      return Math.sqrt(s);
    }),
  );
  const upper = distance.flatMap((row, a) => row.filter((_, b) => b > a));
  return { distance, mean: meanOf(upper), norm: centroids.map((c) => Math.sqrt(c.reduce((s, x) => s + x * x, 0))) };
}

/**
 * Rows minus the mean (of the normalised rows) of their language, renormalised: the
 * "language-neutral" projection of Libovický et al. (2020).
 *
 * @param lang per row: its language index in [0, numLanguages)
 */
export function removeLanguageCentroids(m: Matrix, lang: Int32Array, numLanguages: number): Matrix {
  if (lang.length !== m.rows) throw new RangeError(`removeLanguageCentroids: ${lang.length} languages for ${m.rows} rows`);
  const emb = normalizedRows(m);
  const centroids = languageCentroids(emb, lang, numLanguages);
  const data = new Float32Array(emb.data.length);
  for (let r = 0; r < emb.rows; r++) {
    const c = centroids[lang[r]];
    for (let k = 0; k < emb.cols; k++) data[r * emb.cols + k] = emb.data[r * emb.cols + k] - c[k];
  }
  return normalizedRows({ data, rows: emb.rows, cols: emb.cols });
}

/** The protocol's headline numbers. */
export interface ProtocolSummary {
  readonly mono: number | null;
  readonly cross: number | null;
  readonly multi: number | null;
  readonly rankDistance: number | null;
}

export interface CentroidRemoval {
  /** Cosine scores of the embeddings as they are. */
  readonly before: ProtocolSummary;
  /** After removing each language's mean from questions and candidates (separately). */
  readonly after: ProtocolSummary;
}

export function protocolSummary(r: EvaluationResult): ProtocolSummary {
  return { mono: r.mono.mean.map, cross: r.cross.mean.map, multi: r.multi.mean.map, rankDistance: r.languageBias.mean };
}

/**
 * The full protocol on cosine scores before and after removing the language centroids (see
 * the module comment). Scored on the current tfjs backend. `before`, when given, is taken as the
 * cosine scores' numbers (a caller that has just evaluated a normalising model has them).
 */
export async function centroidRemoval(ds: RetrievalDataset, emb: AlignedEmbeddings, before?: ProtocolSummary): Promise<CentroidRemoval> {
  const task = taskFromDataset(ds);
  const L = ds.languages.length;
  const score = async (questions: Matrix, candidates: Matrix): Promise<ProtocolSummary> => {
    const scorer = new DenseScorer(questions.data, candidates.data, questions.cols);
    try {
      return protocolSummary(await evaluate(task, scorer));
    } finally {
      scorer.dispose();
    }
  };
  const after = await score(removeLanguageCentroids(emb.questions, task.queryLang, L), removeLanguageCentroids(emb.candidates, task.candidateLang, L));
  return { before: before ?? (await score(normalizedRows(emb.questions), normalizedRows(emb.candidates))), after };
}

/** alignment.json: every measure of one model on one benchmark. */
export interface AlignmentResult {
  readonly dataset: string;
  readonly languages: readonly string[];
  readonly numCandidates: number;
  readonly dim: number;
  readonly bitext: BitextResult;
  readonly translationCosine: TranslationCosine;
  readonly languageProbe: LanguageProbe;
  readonly centroids: CentroidDistances;
  readonly centroidRemoval: CentroidRemoval;
}

export interface AlignmentOptions {
  readonly probe?: ProbeOptions;
  /** The protocol's numbers on cosine scores, if already known (see {@link centroidRemoval}). */
  readonly before?: ProtocolSummary;
}

/**
 * Every measure, on embeddings aligned to `ds` (rows in its question and candidate order).
 *
 * @example
 * const ds = await loadDataset("xquad-r");
 * const result = await measureAlignment(ds, await readEmbeddingsDir("emb/", ds));
 * console.log(formatAlignment(result));
 */
export async function measureAlignment(ds: RetrievalDataset, emb: AlignedEmbeddings, options: AlignmentOptions = {}): Promise<AlignmentResult> {
  const structure = parallelStructure(ds);
  const { candidates } = emb;
  return {
    dataset: ds.name,
    languages: structure.languages,
    numCandidates: candidates.rows,
    dim: candidates.cols,
    bitext: bitextRetrieval(candidates, structure),
    translationCosine: translationCosine(candidates, structure),
    languageProbe: languageProbe(candidates, structure, options.probe),
    centroids: centroidDistances(candidates, structure),
    centroidRemoval: await centroidRemoval(ds, emb, options.before),
  };
}

/** The headline numbers as text, then the bitext matrix. */
export function formatAlignment(r: AlignmentResult): string {
  const f = (v: number | null, digits = 3) => (v === null || Number.isNaN(v) ? "-" : v.toFixed(digits));
  const { before, after } = r.centroidRemoval;
  const lines = [
    `${r.dataset}: ${r.numCandidates} candidates, dim ${r.dim}`,
    `bitext retrieval P@1 (mean over ${r.languages.length * (r.languages.length - 1)} directions): ${f(r.bitext.mean)}`,
    `cosine of translations ${f(r.translationCosine.translation)} vs other cross-language pairs ${f(r.translationCosine.nonTranslation)} (gap ${f(r.translationCosine.gap)})`,
    `language-ID probe accuracy ${f(r.languageProbe.accuracy)} (majority ${f(r.languageProbe.majority)}; ${r.languageProbe.train} train / ${r.languageProbe.test} test)`,
    `language centroids: mean distance ${f(r.centroids.mean)}, norms ${r.centroids.norm.map((x) => x.toFixed(2)).join(" ")}`,
    `removing the language centroids: multi mAP ${f(before.multi)} → ${f(after.multi)}, mono ${f(before.mono)} → ${f(after.mono)}, ` +
      `cross ${f(before.cross)} → ${f(after.cross)}, rank distance ${f(before.rankDistance, 1)} → ${f(after.rankDistance, 1)}`,
    "",
    "bitext P@1, source language (rows) → target language (columns):",
    ["", ...r.languages].map((s) => s.padStart(6)).join(""),
    ...r.bitext.accuracy.map((row, a) => [r.languages[a], ...row.map((v) => f(v))].map((s) => s.padStart(6)).join("")),
  ];
  return lines.join("\n");
}

// ---------------------------------------------------------------- helpers

function checkRows(m: Matrix, structure: ParallelStructure): void {
  if (m.rows !== structure.candidateLang.length) {
    throw new RangeError(`${m.rows} candidate embeddings for ${structure.candidateLang.length} candidates`);
  }
}

function indicesByLanguage(lang: Int32Array, L: number): number[][] {
  const out: number[][] = Array.from({ length: L }, () => []);
  lang.forEach((l, i) => out[l].push(i));
  return out;
}

function languageCentroids(emb: Matrix, lang: Int32Array, L: number): Float64Array[] {
  const sums = Array.from({ length: L }, () => new Float64Array(emb.cols));
  const counts = new Array<number>(L).fill(0);
  for (let r = 0; r < emb.rows; r++) {
    counts[lang[r]] += 1;
    for (let k = 0; k < emb.cols; k++) sums[lang[r]][k] += emb.data[r * emb.cols + k];
  }
  return sums.map((s, l) => (counts[l] === 0 ? s : s.map((x) => x / counts[l])));
}

function dot(m: Matrix, i: number, j: number): number {
  let s = 0;
  for (let k = 0; k < m.cols; k++) s += m.data[i * m.cols + k] * m.data[j * m.cols + k];
  return s;
}

function matrixOf(n: number, value: number): number[][] {
  return Array.from({ length: n }, () => new Array<number>(n).fill(value));
}

function meanOf(values: readonly (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null);
  return v.length === 0 ? null : v.reduce((s, x) => s + x, 0) / v.length;
}
