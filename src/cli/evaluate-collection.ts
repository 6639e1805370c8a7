/** `hybrid-ir evaluate --collection DIR --model M`: encode (corpus cached), score, print. */
import { availableParallelism } from "node:os";
import { initBackend } from "../compute/backend.js";
import { type Collection, documentText } from "../data/collection.js";
import { loadCollection } from "../data/load-collection.js";
import { createHash } from "node:crypto";
import { DenseScorer, ParallelDenseScorer } from "../eval/dense-scorer.js";
import { cachedCorpusEmbeddings, defaultEmbeddingCache, encodeCorpus, encodeQueries, modelFingerprint } from "../model/encode-collection.js";
import { loadModel } from "../model/load.js";
import { isModelPresetName, MODEL_PRESETS } from "../model/presets.js";
import { progressBar } from "../util/progress.js";
import { backendArg, intArg, threadsArg, UsageError } from "./args.js";
import { scoreCollection } from "./collection-eval.js";

export interface EvaluateCollectionFlags {
  readonly collection: string;
  readonly model: string;
  readonly split?: string;
  readonly "embeddings-cache"?: string;
  readonly "batch-size": string;
  readonly seed: string;
  readonly backend: string;
  readonly workers?: string;
  readonly threads?: string;
  readonly "run-out"?: string;
  readonly "run-settings"?: string;
  readonly depth?: string;
  readonly tag: string;
  readonly json?: boolean;
  readonly out?: string;
}

/** `mini` trims its vocabulary to the texts it will see: here the whole collection, read into memory once. */
async function collectionTexts(c: Collection): Promise<string[]> {
  const texts = c.queries.map((q) => q.text);
  for await (const doc of c.documents()) texts.push(documentText(doc));
  return texts;
}

export async function evaluateCollectionWithModel(flags: EvaluateCollectionFlags): Promise<void> {
  const batchSize = intArg("--batch-size", flags["batch-size"], 1);
  const seed = intArg("--seed", flags.seed, 0);
  const threads = threadsArg(flags.threads);
  const workers = flags.workers === undefined ? Math.min(4, availableParallelism()) : Number(flags.workers);
  if (!Number.isInteger(workers) || workers < 0) throw new UsageError(`--workers takes a whole number >= 0, got '${flags.workers}'`);
  const backendName = backendArg(flags.backend);
  const c = await loadCollection(flags.collection, { split: flags.split });
  const backend = await initBackend(backendName);
  const random = isModelPresetName(flags.model) && MODEL_PRESETS[flags.model].source === "random";
  const texts = random ? await collectionTexts(c) : undefined;
  const loaded = await loadModel(flags.model, { corpus: () => texts ?? [], seed });
  const { model } = loaded;
  let queries;
  let corpus;
  try {
    console.error(`encoding ${c.name} (${c.docIds.length} documents, ${c.queries.length} queries) with ${flags.model} (dim ${model.dim}) on ${backend}`);
    const key = {
      model: await modelFingerprint(flags.model, seed),
      prefix: loaded.passagePrefix,
      maxLength: null,
      corpusChecksum: c.corpusChecksum,
      documents: c.docIds.length,
      // mini's vocabulary, hence its embeddings, depends on the query texts as well.
      ...(texts ? { extra: `queries:${createHash("sha256").update(c.queries.map((q) => q.text).join("\n")).digest("hex")}` } : {}),
    };
    const cached = await cachedCorpusEmbeddings(flags["embeddings-cache"] ?? defaultEmbeddingCache(), key, c.docIds, async () => {
      const bar = progressBar("corpus".padEnd(8), c.docIds.length);
      const m = await encodeCorpus(model, c, { batchSize, prefix: loaded.passagePrefix, threads, onProgress: (d) => bar.update(d) });
      bar.finish();
      return m;
    });
    console.error(`${cached.reused ? "reused" : "wrote"} corpus embeddings ${cached.dir}`);
    corpus = cached.matrix;
    queries = await encodeQueries(model, c, { batchSize, prefix: loaded.queryPrefix, threads });
  } finally {
    model.dispose();
  }
  if (corpus.cols !== queries.cols) throw new UsageError(`cached corpus embeddings have dimension ${corpus.cols}, the model ${queries.cols}`);
  const scorer =
    workers === 0
      ? new DenseScorer(queries.data, corpus.data, queries.cols)
      : await ParallelDenseScorer.create(queries.data, corpus.data, queries.cols, { workers, backend: backendName });
  try {
    await scoreCollection(c, scorer, { ...flags, label: flags.model });
  } finally {
    await scorer.dispose();
  }
}
