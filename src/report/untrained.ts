/**
 * The untrained model's evaluation, for Table 1's zero-shot row: what fine-tuning starts from.
 * It is read from the file `bench/e5/collect.ts` writes from `hybrid-ir evaluate --out` output,
 * `{ "model": …, "datasets": { "<dataset>": { "engine": …, "result": <evaluation> } } }`,
 * because encoding both benchmarks whole with the untrained model takes longer than a notebook
 * run should (about an hour per benchmark on 2 cores); a preset names its file (`untrained`).
 *
 * @example
 * const ref = await readUntrainedReference("bench/results/2026-12-04-e5-small-zero-shot.json");
 * ref.results["xquad-r"]?.mono; // 0.800
 */
import { DATASETS, type DatasetName } from "../data/types.js";
import { fieldsOf, readJsonObject } from "../run-files/schema.js";

/** The headline numbers of one benchmark's evaluation. */
export interface UntrainedResult {
  /** What encoded the benchmark ("sentence-transformers on PyTorch (CPU, float32)"). */
  readonly engine: string;
  readonly mono: number | null;
  readonly cross: number | null;
  readonly multi: number | null;
  readonly rankDistance: number | null;
}

export interface UntrainedReference {
  readonly file: string;
  /** The model as the file names it. */
  readonly model: string;
  /** The benchmarks the file has. */
  readonly results: Readonly<Partial<Record<DatasetName, UntrainedResult>>>;
}

/** Reads and checks the file; a missing or malformed one is a DataError naming it and the field. */
export async function readUntrainedReference(path: string): Promise<UntrainedReference> {
  const json = await readJsonObject(path);
  const { text, score, object } = fieldsOf(path);
  const datasets = object(json, "datasets");
  const results: Partial<Record<DatasetName, UntrainedResult>> = {};
  for (const name of DATASETS) {
    if (datasets[name] === undefined) continue;
    const at = `datasets.${name}`;
    results[name] = {
      engine: text(json, `${at}.engine`),
      mono: score(json, `${at}.result.mono.mean.map`),
      cross: score(json, `${at}.result.cross.mean.map`),
      multi: score(json, `${at}.result.multi.mean.map`),
      rankDistance: score(json, `${at}.result.languageBias.mean`),
    };
  }
  return { file: path, model: text(json, "model"), results };
}
