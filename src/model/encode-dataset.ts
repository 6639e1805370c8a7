/**
 * A benchmark's questions and candidates through a sentence encoder, rows in the dataset's
 * order: what `hybrid-ir encode-dataset` writes and what notebooks score directly.
 */
import type { AlignedEmbeddings } from "../data/embeddings-dir.js";
import type { RetrievalDataset } from "../data/types.js";
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
}

export async function encodeDataset(model: SentenceEncoder, ds: RetrievalDataset, options: EncodeDatasetOptions = {}): Promise<AlignedEmbeddings> {
  const questions = await model.embed(
    ds.questions.map((q) => ({ text: q.text })),
    {
      batchSize: options.batchSize,
      maxLength: options.maxQueryLength,
      prefix: options.queryPrefix,
      onProgress: (d, t) => options.onProgress?.("questions", d, t),
    },
  );
  const candidates = await model.embed(
    ds.candidates.map((c) => ({ text: c.text, context: options.withContext ? c.context : undefined })),
    {
      batchSize: options.batchSize,
      maxLength: options.maxPassageLength,
      prefix: options.passagePrefix,
      onProgress: (d, t) => options.onProgress?.("candidates", d, t),
    },
  );
  return {
    questions: { data: questions, rows: ds.questions.length, cols: model.dim },
    candidates: { data: candidates, rows: ds.candidates.length, cols: model.dim },
  };
}

/** Every text `encodeDataset` will tokenize: what `mini` trims its vocabulary to. */
export function datasetTexts(ds: RetrievalDataset, withContext = false): string[] {
  return [...ds.questions.map((q) => q.text), ...ds.candidates.flatMap((c) => (withContext ? [c.text, c.context] : [c.text]))];
}
