/**
 * Evaluator benchmark: the full XQuAD-R protocol (11 mono + 110 cross settings, the pooled
 * multilingual setting and rank distance) over random 768-d unit embeddings, scored by
 * DenseScorer. Random embeddings are the slow case for the metric pass: relevant candidates score
 * like any other, so most of the row clears the lowest relevant score.
 *
 *   npm run bench                          the real XQuAD-R task from the vendored data (random embeddings)
 *   npm run bench -- --dataset mlqa-r      the same for MLQA-R
 *   npm run bench -- --dataset synthetic   a synthetic task with XQuAD-R's exact shape, no data files
 *   options: --workers N (matMul threads; 0 = DenseScorer on the main thread; default 2),
 *            --block-size N, --seed N, --backend auto|wasm|cpu
 *
 * Prints wall time (total, scoring, metrics), peak RSS and JS heap, then one JSON line.
 * Target: under 20 s and 2 GiB on 2 cores.
 */
import { parseArgs } from "node:util";
import { initBackend, type BackendName } from "../src/compute/backend.js";
import { loadDataset } from "../src/data/lareqa.js";
import { DenseScorer, ParallelDenseScorer } from "../src/eval/dense-scorer.js";
import { evaluate } from "../src/eval/evaluate.js";
import { formatSummaryTable } from "../src/eval/format.js";
import { taskFromDataset } from "../src/eval/task.js";
import type { EvalTask, Scorer } from "../src/eval/types.js";
import { mulberry32, randomNormal, type Random } from "../src/util/random.js";

const DIM = 768;

/** XQuAD-R's shape: 1190 parallel questions per language; candidate sentences per language. */
const XQUAD_R_CANDIDATES: Readonly<Record<string, number>> = {
  ar: 1222, de: 1276, el: 1234, en: 1180, es: 1215, hi: 1244,
  ru: 1219, th: 852, tr: 1167, vi: 1209, zh: 1196,
};
const XQUAD_R_QUESTIONS = 1190;

/**
 * A task with XQuAD-R's shape: candidates grouped by language as the loader emits them, question
 * i of every language relevant to one candidate per language (spread evenly, so several questions
 * share a sentence where a language has fewer sentences than questions, as in the real data).
 */
function syntheticXquadR(): EvalTask {
  const languages = Object.keys(XQUAD_R_CANDIDATES).sort();
  const offsets: number[] = [];
  let numCandidates = 0;
  for (const lang of languages) {
    offsets.push(numCandidates);
    numCandidates += XQUAD_R_CANDIDATES[lang];
  }
  const candidateLang = new Int32Array(numCandidates);
  languages.forEach((lang, l) => candidateLang.fill(l, offsets[l], offsets[l] + XQUAD_R_CANDIDATES[lang]));
  const answerOf = (i: number): Int32Array =>
    Int32Array.from(languages, (lang, l) => offsets[l] + Math.floor((i * XQUAD_R_CANDIDATES[lang]) / XQUAD_R_QUESTIONS));
  const queryLang = new Int32Array(languages.length * XQUAD_R_QUESTIONS);
  const relevant: Int32Array[] = [];
  languages.forEach((_, l) => {
    for (let i = 0; i < XQUAD_R_QUESTIONS; i++) {
      queryLang[l * XQUAD_R_QUESTIONS + i] = l;
      relevant.push(answerOf(i));
    }
  });
  return { languages, queryLang, candidateLang, relevant };
}

async function realTask(name: "xquad-r" | "mlqa-r"): Promise<EvalTask> {
  return taskFromDataset(await loadDataset(name));
}

/** [rows × DIM] rows of i.i.d. normals scaled to unit length. */
function unitRows(rand: Random, rows: number): Float32Array {
  const out = new Float32Array(rows * DIM);
  for (let r = 0; r < rows; r++) {
    const row = out.subarray(r * DIM, (r + 1) * DIM);
    let norm = 0;
    for (let d = 0; d < DIM; d++) {
      row[d] = randomNormal(rand);
      norm += row[d] * row[d];
    }
    const scale = 1 / Math.sqrt(norm);
    for (let d = 0; d < DIM; d++) row[d] *= scale;
  }
  return out;
}

/**
 * Adds up each block's time from request to scores, so with a synchronous scorer the metric pass
 * is the remainder. Keeps the inner scorer's synchronous or asynchronous nature, which decides
 * whether `evaluate` overlaps scoring with metrics.
 */
class TimedScorer implements Scorer {
  seconds = 0;
  constructor(private readonly inner: Scorer) {}
  get numQueries(): number {
    return this.inner.numQueries;
  }
  get numCandidates(): number {
    return this.inner.numCandidates;
  }
  scoreBlock(start: number, count: number, out: Float32Array): void | Promise<void> {
    const t0 = performance.now();
    const done = this.inner.scoreBlock(start, count, out);
    const stop = (): void => void (this.seconds += (performance.now() - t0) / 1000);
    if (done === undefined) return stop();
    return done.then(stop);
  }
}

const MiB = 2 ** 20;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dataset: { type: "string", default: "xquad-r" },
      "block-size": { type: "string" },
      seed: { type: "string", default: "2408" },
      backend: { type: "string", default: "auto" },
      workers: { type: "string", default: "2" },
    },
  });
  const dataset = values.dataset === "synthetic" ? undefined : values.dataset;
  if (dataset !== undefined && dataset !== "xquad-r" && dataset !== "mlqa-r") {
    throw new Error(`--dataset ${dataset}: expected xquad-r, mlqa-r or synthetic`);
  }
  const blockSize = values["block-size"] === undefined ? undefined : Number(values["block-size"]);
  const backend = await initBackend(values.backend as BackendName);

  const tBuild = performance.now();
  const task = dataset ? await realTask(dataset) : syntheticXquadR();
  const rand = mulberry32(Number(values.seed));
  const queries = unitRows(rand, task.queryLang.length);
  const candidates = unitRows(rand, task.candidateLang.length);
  const buildSeconds = (performance.now() - tBuild) / 1000;

  const workers = Number(values.workers);
  const inner =
    workers === 0
      ? new DenseScorer(queries, candidates, DIM)
      : await ParallelDenseScorer.create(queries, candidates, DIM, { workers, backend: values.backend as BackendName });
  const scorer = new TimedScorer(inner);
  globalThis.gc?.();
  let peakHeap = 0;
  const t0 = performance.now();
  const result = await evaluate(task, scorer, {
    blockSize,
    keepPerQuery: true,
    onProgress: () => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)),
  });
  const totalSeconds = (performance.now() - t0) / 1000;
  await inner.dispose();

  const memory = process.memoryUsage();
  const figures = {
    bench: "evaluator",
    task: dataset ?? "synthetic-xquad-r",
    backend,
    workers,
    queries: result.numQueries,
    candidates: result.numCandidates,
    settings: { mono: result.languages.length, cross: result.languages.length * (result.languages.length - 1), multi: 1 },
    blockSize: blockSize ?? "default",
    buildSeconds: round(buildSeconds),
    totalSeconds: round(totalSeconds),
    // With workers the scoring of one block overlaps the metrics of the previous one, so the
    // metric time is only separable on the main thread (--workers 0).
    scoringSeconds: round(scorer.seconds),
    metricSeconds: workers === 0 ? round(totalSeconds - scorer.seconds) : null,
    gflops: round((2 * result.numQueries * result.numCandidates * DIM) / totalSeconds / 1e9),
    maxRssMiB: round((process.resourceUsage().maxRSS * 1024) / MiB),
    heapUsedMiB: round(memory.heapUsed / MiB),
    peakHeapUsedMiB: round(Math.max(peakHeap, memory.heapUsed) / MiB),
    arrayBuffersMiB: round(memory.arrayBuffers / MiB),
    map: { mono: result.mono.mean.map, cross: result.cross.mean.map, multi: result.multi.mean.map },
    rankDistance: result.languageBias.mean,
  };

  console.log(formatSummaryTable(result));
  console.log(
    `\n${figures.queries} queries × ${figures.candidates} candidates, backend ${backend}: ` +
      `${figures.totalSeconds} s total (${figures.gflops} GFLOP/s end to end); blocks took ${figures.scoringSeconds} s ` +
      `to score` +
      (figures.metricSeconds === null ? " (overlapping the metrics)" : `, metrics ${figures.metricSeconds} s`) +
      `; setup ${figures.buildSeconds} s`,
  );
  console.log(
    `peak RSS ${figures.maxRssMiB} MiB; JS heap ${figures.heapUsedMiB} MiB (peak ${figures.peakHeapUsedMiB}); ` +
      `array buffers ${figures.arrayBuffersMiB} MiB`,
  );
  console.log(JSON.stringify(figures));
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

await main();
