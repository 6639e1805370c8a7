import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/compute/backend.js";
import { loadDataset } from "../../src/data/lareqa.js";
import type { RetrievalDataset } from "../../src/data/types.js";
import { loadSentenceEncoder, type SentenceEncoder } from "../../src/model/sentence-encoder.js";
import type { RunResults } from "../../src/run-files/results.js";
import { resolveRunConfig, type RunConfig } from "../../src/train/config.js";
import { InfoNceLoss } from "../../src/train/loss.js";
import { encodePairs } from "../../src/train/pair-batches.js";
import {
  benchmarkOptions,
  evaluateAndAlign,
  evaluateOnBenchmark,
  summaryLine,
  validationBatches,
  validationLoss,
  type EncodedPairs,
} from "../../src/train/validation.js";
import type { TrainingRecord } from "../../src/train-data/format.js";
import { fromRetrievalDataset } from "../../src/train-data/from-squad.js";

/** A 2-layer, 32-wide BERT with a dense layer, L2-normalising, 300-piece vocabulary (the parity fixture). */
const TINY_MODEL = fileURLToPath(new URL("../../../test/fixtures/parity/tiny-bert", import.meta.url));

/** A run config over `overrides`; only the keys validation reads matter. */
function runConfig(overrides: Record<string, unknown> = {}): RunConfig {
  return resolveRunConfig(
    {
      model: { ref: TINY_MODEL },
      data: { train: { dataset: "mlqa-r" } },
      sampler: { name: "hybrid", batchSize: 8, seed: 3 },
      validationBatches: 4,
      maxQueryLength: 16,
      maxPassageLength: 32,
      eval: null,
      ...overrides,
    },
    "/configs/validation.json",
  );
}

/** MLQA-R de/en over 80 question ids: 160 records in 80 groups. */
let records: TrainingRecord[];
before(async () => {
  await initBackend("wasm");
  records = fromRetrievalDataset(await loadDataset("mlqa-r", { languages: ["de", "en"], maxQuestionIds: 80 }));
});

describe("validationBatches", () => {
  test("`validationBatches` full batches, of the validation batch size when one is set", () => {
    const batches = validationBatches(records, runConfig());
    assert.equal(batches.length, 4);
    assert.ok(batches.every((b) => b.pairs.length === 8));
    const smaller = validationBatches(records, runConfig({ validationBatchSize: 4, validationBatches: 3 }));
    assert.deepEqual(smaller.map((b) => b.pairs.length), [4, 4, 4]);
    for (const b of [...batches, ...smaller]) {
      assert.equal(new Set(b.pairs.map((p) => p.group)).size, b.pairs.length, "no group twice in a batch");
      for (const p of b.pairs) assert.deepEqual([records[p.query].lang, records[p.passage].lang], [p.queryLang, p.passageLang]);
    }
  });

  test("runs that differ only in seed are validated on the same batches; another split seed draws others", () => {
    const base = validationBatches(records, runConfig());
    const otherSeed = validationBatches(records, runConfig({ sampler: { name: "hybrid", batchSize: 8, seed: 99 }, model: { ref: TINY_MODEL, seed: 7 } }));
    assert.deepEqual(otherSeed, base);
    const otherSplit = validationBatches(records, runConfig({ data: { train: { dataset: "mlqa-r" }, splitSeed: 1 } }));
    assert.notDeepEqual(otherSplit, base);
  });

  test("the run's sampler kind draws them: x-x batches are in one language, x-y ones cross", () => {
    const xx = validationBatches(records, runConfig({ sampler: { name: "x-x", batchSize: 8, seed: 3 } }));
    assert.ok(xx.every((b) => b.kind === "mono" && b.pairs.every((p) => p.query === p.passage && p.queryLang === b.pairs[0].queryLang)));
    const xy = validationBatches(records, runConfig({ sampler: { name: "x-y", batchSize: 8, seed: 3 } }));
    assert.ok(xy.every((b) => b.kind === "cross" && b.pairs.every((p) => p.queryLang !== p.passageLang)));
  });

  test("at most one epoch: a split with fewer batches per epoch gives them all, none twice", () => {
    // 30 German records: an x-x epoch of floor(30 / 8) = 3 batches.
    const german = records.filter((r) => r.lang === "de").slice(0, 30);
    const batches = validationBatches(german, runConfig({ sampler: { name: "x-x", batchSize: 8, seed: 3 }, validationBatches: 16 }));
    assert.equal(batches.length, 3);
    const groups = batches.flatMap((b) => b.pairs.map((p) => p.group));
    assert.equal(new Set(groups).size, groups.length);
  });

  test("a split too small for the batches says how big it is and what to change", () => {
    const english = records.filter((r) => r.lang === "en");
    assert.throws(
      () => validationBatches(english, runConfig()),
      /^Error: the validation split \(80 records, 80 groups\) cannot give hybrid batches of 8 pairs \(.*x-y needs groups in two or more languages.*\): set validationBatchSize lower or data\.validationFraction higher$/,
    );
    assert.throws(
      () => validationBatches(records, runConfig({ sampler: { name: "x-x", batchSize: 8, seed: 3 }, validationBatchSize: 100 })),
      /the validation split \(160 records, 80 groups\) cannot give x-x batches of 100 pairs \(x-x needs a language with groups in at least batchSize = 100 clusters \(have de: 80, en: 80\)\)/,
    );
  });
});

/** InfoNCE in float64 from the embeddings, the obvious way: mean over rows of logsumexp(scale · cos) − scale · cos(q_i, p_i). */
function slowInfoNce(q: number[][], p: number[][], scale: number, symmetric: boolean): number {
  const unit = (x: number[]) => {
    const n = Math.hypot(...x);
    return x.map((v) => v / n);
  };
  const [qu, pu] = [q.map(unit), p.map(unit)];
  const logits = qu.map((a) => pu.map((b) => scale * a.reduce((s, v, k) => s + v * b[k], 0)));
  const rowLoss = (m: number[][]) =>
    m.reduce((sum, row, i) => {
      const max = Math.max(...row);
      return sum + max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) - row[i];
    }, 0) / m.length;
  const forward = rowLoss(logits);
  return symmetric ? (forward + rowLoss(logits[0].map((_, j) => logits.map((r) => r[j])))) / 2 : forward;
}

describe("validationLoss", () => {
  let model: SentenceEncoder;
  let withDropout: SentenceEncoder;
  let encoded: EncodedPairs[];
  before(async () => {
    model = await loadSentenceEncoder(TINY_MODEL);
    withDropout = await loadSentenceEncoder(TINY_MODEL, { encoder: { dropout: 0.5 } });
    const config = runConfig({ validationBatches: 3 });
    encoded = validationBatches(records, config).map((b) => encodePairs(model, b, records, config));
  });
  after(() => {
    model.dispose();
    withDropout.dispose();
  });

  test("the mean over the batches of InfoNCE on the model's embeddings, as computed by hand", async () => {
    for (const [scale, symmetric] of [[20, false], [5, true]] as const) {
      const perBatch: number[] = [];
      for (const { queries, passages } of encoded) {
        const [q, p] = [model.forward(queries), model.forward(passages)];
        perBatch.push(slowInfoNce((await q.array()) as number[][], (await p.array()) as number[][], scale, symmetric));
        tf.dispose([q, p]);
      }
      const expected = perBatch.reduce((s, x) => s + x, 0) / perBatch.length;
      const got = await validationLoss(model, new InfoNceLoss({ scale, symmetric }), encoded);
      assert.ok(Math.abs(got - expected) < 1e-5, `scale ${scale}${symmetric ? " symmetric" : ""}: ${got} vs ${expected}`);
      assert.ok(new Set(perBatch).size === perBatch.length, "the batches differ, so the mean is over all of them");
    }
  });

  test("without dropout and without leaking tensors: a model with dropout on gives the same loss every time", async () => {
    const loss = new InfoNceLoss({ scale: 20 });
    const tensors = tf.memory().numTensors;
    const plain = await validationLoss(model, loss, encoded);
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(await validationLoss(withDropout, loss, encoded), plain);
    assert.equal(await validationLoss(withDropout, loss, encoded), plain);
  });
});

describe("evaluateOnBenchmark and evaluateAndAlign", () => {
  let model: SentenceEncoder;
  let ds: RetrievalDataset;
  before(async () => {
    model = await loadSentenceEncoder(TINY_MODEL);
    // XQuAD-R de/en, 5 question ids; of the candidates, the relevant ones and the first 100 per language.
    const full = await loadDataset("xquad-r", { languages: ["de", "en"], maxQuestionIds: 5 });
    const relevant = new Set([...full.relevance.values()].flatMap((uids) => [...uids]));
    const seen = new Map<string, number>();
    const candidates = full.candidates.filter((c) => {
      seen.set(c.lang, (seen.get(c.lang) ?? 0) + 1);
      return relevant.has(c.uid) || seen.get(c.lang)! <= 100;
    });
    ds = { ...full, candidates };
  });
  after(() => model.dispose());

  const options = { maxQueryLength: 16, maxPassageLength: 32, queryPrefix: "", passagePrefix: "", withContext: false, batchSize: 64, threads: 1 };

  test("the benchmark scored with the paper's protocol, with progress per phase; alignment measured on the same embeddings", async () => {
    const calls: [string, number, number][] = [];
    const { evaluation, alignment } = await evaluateAndAlign(model, ds, { ...options, keepPerQuery: true, onProgress: (phase, done, total) => calls.push([phase, done, total]) });
    assert.deepEqual([...new Set(calls.map(([phase]) => phase))], ["questions", "candidates", "scoring"]);
    const last = (phase: string) => calls.filter(([p]) => p === phase).at(-1)!;
    assert.deepEqual(last("questions"), ["questions", ds.questions.length, ds.questions.length]);
    assert.deepEqual(last("candidates"), ["candidates", ds.candidates.length, ds.candidates.length]);
    assert.equal(last("scoring")[1], last("scoring")[2]);
    assert.deepEqual(evaluation.languages, ["de", "en"]);
    assert.equal(evaluation.numQueries, ds.questions.length);
    assert.equal(evaluation.numCandidates, ds.candidates.length);
    for (const setting of [evaluation.mono, evaluation.multi]) assert.ok(setting.mean.map !== null && setting.mean.map > 0 && setting.mean.map <= 1);
    assert.equal(evaluation.perQuery?.monoAP.length, ds.questions.length, "keepPerQuery keeps them");
    assert.ok(alignment !== null);
    assert.equal(alignment.numCandidates, ds.candidates.length);
    assert.equal(alignment.dim, model.dim);

    // The evaluation alone: the same numbers, no alignment, no per-query values unless asked.
    const alone = await evaluateOnBenchmark(model, ds, options);
    const { perQuery: _kept, ...measured } = evaluation;
    assert.deepEqual(alone, measured);
    assert.equal("perQuery" in alone, false);
    const unaligned = await evaluateAndAlign(model, ds, { ...options, alignment: false });
    assert.equal(unaligned.alignment, null);
  });
});

describe("benchmarkOptions", () => {
  test("the run's lengths, prefixes and context, the given batch size; no bars when told", () => {
    const config = runConfig({ prefixes: { query: "q: ", passage: "p: " }, data: { train: { dataset: "mlqa-r" }, withContext: true } });
    const options = benchmarkOptions(config, 12, false);
    const { onProgress, ...rest } = options;
    assert.deepEqual(rest, { maxQueryLength: 16, maxPassageLength: 32, queryPrefix: "q: ", passagePrefix: "p: ", withContext: true, batchSize: 12 });
    const written: unknown[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: unknown) => written.push(chunk) > 0) as typeof process.stderr.write;
    try {
      onProgress?.("questions", 5, 5);
    } finally {
      process.stderr.write = write;
    }
    assert.deepEqual(written, []);
  });
});

describe("summaryLine", () => {
  const results = (mono: number | null, cross: number | null, multi: number | null, bias: number | null) =>
    ({
      dataset: "xquad-r",
      mono: { mean: { map: mono } },
      cross: { mean: { map: cross } },
      multi: { mean: { map: multi } },
      languageBias: { mean: bias },
    }) as unknown as RunResults;

  test("the three mAPs to three decimals and the rank distance to one; a missing value is a dash", () => {
    assert.equal(summaryLine(results(0.41249, 0.2006, 0.153, 812.34)), "xquad-r: mono mAP 0.412 | cross mAP 0.201 | multi mAP 0.153 | rank distance 812.3");
    assert.equal(summaryLine(results(1, null, 0, null)), "xquad-r: mono mAP 1.000 | cross mAP - | multi mAP 0.000 | rank distance -");
  });
});
