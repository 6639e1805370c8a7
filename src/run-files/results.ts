/**
 * results.json of a run directory: the end-of-run benchmark evaluation (eval/result.ts, without
 * its per-query columns, which live in per-query.json) and which run and checkpoint it is of.
 * Its presence, whole, is what "the run is complete" means.
 *
 * Versions: 1 had no `schemaVersion` (read as is); 2 added it.
 */
import type { EvaluationResult } from "../eval/result.js";
import type { RunConfig } from "../train/config.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { fieldsOf, readJsonObject, readJsonObjectIfExists, schemaVersionOf } from "./schema.js";

export const RESULTS_NAME = "results.json";
export const RESULTS_SCHEMA_VERSION = 2;

export type CheckpointName = "last" | "best";
export type TrainStatus = "completed" | "early-stopped" | "interrupted" | "diverged";

/** results.json: the evaluation, and which run and checkpoint it is of. */
export type RunResults = Omit<EvaluationResult, "perQuery"> & {
  readonly schemaVersion?: number;
  readonly dataset: string;
  readonly run: {
    readonly outputDir: string;
    readonly status: TrainStatus;
    readonly model: string;
    readonly sampler: RunConfig["sampler"];
    readonly steps: number;
    /** Which checkpoint was evaluated, and its step. */
    readonly checkpoint: CheckpointName;
    readonly checkpointStep: number;
    readonly bestValLoss: number | null;
    readonly gitCommit: string | null;
  };
};

/** The parts of results.json every reader relies on, checked field by field. */
export interface ResultsSummary {
  readonly schemaVersion: number;
  readonly dataset: string;
  readonly run: {
    readonly status: string;
    readonly steps: number;
    readonly checkpoint: CheckpointName;
    readonly checkpointStep: number;
    readonly bestValLoss: number | null;
  };
  readonly mono: { readonly mean: { readonly map: number | null } };
  readonly cross: { readonly mean: { readonly map: number | null } };
  readonly multi: { readonly mean: { readonly map: number | null } };
  readonly languageBias: { readonly mean: number | null };
}

const HINT = " (a corrupt results file: rerun the run's evaluation with train --resume)";

/** Writes results.json (with the current schemaVersion) atomically; returns what it wrote. */
export async function writeResultsFile(path: string, results: Omit<RunResults, "schemaVersion">): Promise<RunResults> {
  const file: RunResults = { schemaVersion: RESULTS_SCHEMA_VERSION, ...results };
  await writeFileAtomic(path, JSON.stringify(file, null, 2) + "\n");
  return file;
}

/** Checks a parsed results.json; every problem is a DataError naming `path` and the field. */
export function parseResultsSummary(json: unknown, path: string): ResultsSummary {
  const { fail, int, score, text, object } = fieldsOf(path, HINT);
  const schemaVersion = schemaVersionOf(object(json, ""), path, RESULTS_SCHEMA_VERSION);
  const dataset = text(json, "dataset");
  const checkpoint = text(json, "run.checkpoint");
  if (checkpoint !== "last" && checkpoint !== "best") fail("run.checkpoint", `"last" or "best"`, checkpoint);
  return {
    schemaVersion,
    dataset,
    run: {
      status: text(json, "run.status"),
      steps: int(json, "run.steps"),
      checkpoint: checkpoint as CheckpointName,
      checkpointStep: int(json, "run.checkpointStep"),
      bestValLoss: score(json, "run.bestValLoss"),
    },
    mono: { mean: { map: score(json, "mono.mean.map") } },
    cross: { mean: { map: score(json, "cross.mean.map") } },
    multi: { mean: { map: score(json, "multi.mean.map") } },
    languageBias: { mean: score(json, "languageBias.mean") },
  };
}

/** Checks what the tables and figures index by language: the languages and the per-language rows. */
function checkResults(json: unknown, path: string): RunResults {
  parseResultsSummary(json, path);
  const { fail, array } = fieldsOf(path, HINT);
  const languages = array(json, "languages");
  if (!languages.every((l) => typeof l === "string")) fail("languages", "an array of language codes", languages);
  for (const setting of ["mono", "cross", "multi"]) {
    const rows = array(json, `${setting}.perLanguage`);
    if (rows.length !== languages.length) fail(`${setting}.perLanguage`, `${languages.length} rows (one per language)`, `${rows.length} rows`);
  }
  return json as RunResults;
}

/** results.json at `path`, checked; a DataError naming the file and the field when it is not one. */
export async function readResultsFile(path: string): Promise<RunResults> {
  return checkResults(await readJsonObject(path), path);
}

/** {@link readResultsFile}, or null when there is none (the run has not finished). */
export async function readResultsFileIfExists(path: string): Promise<RunResults | null> {
  const json = await readJsonObjectIfExists(path);
  return json === null ? null : checkResults(json, path);
}
