/**
 * The training records of a run, read as its config says: a JSONL file or a converted
 * benchmark (with paragraphs when `data.withContext`), split by article into the records the
 * sampler draws from and the held-out validation records. The trainer and the sampling
 * notebook read them through this one function, so what the notebook shows is what trains.
 */
import { loadDataset } from "../data/lareqa.js";
import { readTrainingJsonl, type TrainingRecord } from "../train-data/format.js";
import { fromRetrievalDataset } from "../train-data/from-squad.js";
import { splitByArticle } from "../train-data/split.js";
import type { RunConfig } from "./config.js";

export interface RunRecords {
  /** Everything the source holds. */
  readonly all: readonly TrainingRecord[];
  /** What the sampler's batches index. */
  readonly train: TrainingRecord[];
  /** Held out for validation loss (empty when `data.validationFraction` is 0). */
  readonly validation: TrainingRecord[];
}

export async function readRunRecords(config: Pick<RunConfig, "data">): Promise<RunRecords> {
  const { train: source, withContext, validationFraction, splitSeed } = config.data;
  const all =
    typeof source === "string" ? await readTrainingJsonl(source) : fromRetrievalDataset(await loadDataset(source.dataset), { context: withContext });
  const split = validationFraction > 0 ? splitByArticle(all, { validationFraction, seed: splitSeed }) : { train: all, validation: [] };
  return { all, train: split.train, validation: split.validation };
}

/**
 * The records a run with `config` trains on, as the trainer reads them: its training source
 * (a JSONL file or a converted benchmark), minus the validation split held out by article.
 * These are what its sampler's batches index.
 */
export async function runTrainingRecords(config: RunConfig): Promise<TrainingRecord[]> {
  return (await readRunRecords(config)).train;
}
