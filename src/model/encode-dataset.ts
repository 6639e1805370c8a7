/**
 * A benchmark's questions and candidates through a sentence encoder, rows in the dataset's
 * order: what `hybrid-ir encode-dataset` writes and what notebooks score directly.
 */
import type { AlignedEmbeddings } from "../data/embeddings-dir.js";
import type { RetrievalDataset } from "../data/types.js";
import { embedOn, embedWorkers, withEmbedPool } from "./embed-pool.js";
import type { TextInput } from "./inputs.js";
import type { SentenceEncoder } from "./sentence-encoder.js";

export interface EncodeDatasetOptions {
  readonly batchSize?: number;
  readonly maxQueryLength?: number;
  readonly maxPassageLength?: number;
  readonly queryPrefix?: string;
  readonly passagePrefix?: string;
  /** Encode each candidate sentence with its paragraph as a second segment. */
  readonly withContext?: boolean;
  readonly onProgress?: (part: "questions" | "candidates", done: number, total: number) => void;
  /** Worker threads for both parts (one pool, started once); see `EmbedOptions.threads`. */
  readonly threads?: number;
  readonly signal?: AbortSignal;
}

/** What `encodeDataset` embeds: the questions, and the candidates (with their paragraph when `withContext`). */
export function datasetInputs(ds: RetrievalDataset, withContext = false): { questions: TextInput[]; candidates: TextInput[] } {
  return {
    questions: ds.questions.map((q) => ({ text: q.text })),
    candidates: ds.candidates.map((c) => ({ text: c.text, context: withContext ? c.context : undefined })),
  };
}

export async function encodeDataset(model: SentenceEncoder, ds: RetrievalDataset, options: EncodeDatasetOptions = {}): Promise<AlignedEmbeddings> {
  const batchSize = options.batchSize ?? 32;
  const inputs = datasetInputs(ds, options.withContext);
  const batches = Math.ceil(ds.questions.length / batchSize) + Math.ceil(ds.candidates.length / batchSize);
  const [questions, candidates] = await withEmbedPool(model, embedWorkers(batches, options.threads), async (pool) => [
    await embedOn(
      pool,
      model,
      inputs.questions,
      {
        batchSize,
        maxLength: options.maxQueryLength,
        prefix: options.queryPrefix,
        signal: options.signal,
        onProgress: (d, t) => options.onProgress?.("questions", d, t),
      },
    ),
    await embedOn(
      pool,
      model,
      inputs.candidates,
      {
        batchSize,
        maxLength: options.maxPassageLength,
        prefix: options.passagePrefix,
        signal: options.signal,
        onProgress: (d, t) => options.onProgress?.("candidates", d, t),
      },
    ),
  ]);
  return {
    questions: { data: questions, rows: ds.questions.length, cols: model.dim },
    candidates: { data: candidates, rows: ds.candidates.length, cols: model.dim },
  };
}

/** Every text `encodeDataset` will tokenize: what `mini` trims its vocabulary to. */
export function datasetTexts(ds: RetrievalDataset, withContext = false): string[] {
  return [...ds.questions.map((q) => q.text), ...ds.candidates.flatMap((c) => (withContext ? [c.text, c.context] : [c.text]))];
}
