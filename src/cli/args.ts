/** Shared option handling, so every command reports bad flags the same way. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { BACKEND_NAMES, type BackendName, isBackendName } from "../compute/backend.js";
import { isDatasetName } from "../data/lareqa.js";
import type { DatasetName } from "../data/types.js";
import { wholeNumber } from "../util/flag-values.js";

export class UsageError extends Error {
  override name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

export function parse<const O extends Options>(argv: string[], options: O, usage: string): Parsed<O> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
}

export function datasetArg(value: string | undefined, usage: string): DatasetName {
  if (value === undefined) throw new UsageError(`a dataset is required (xquad-r or mlqa-r)\n\n${usage}`);
  if (!isDatasetName(value)) throw new UsageError(`unknown dataset '${value}' (expected xquad-r or mlqa-r)\n\n${usage}`);
  return value;
}

/** A whole number ≥ `min` from a flag's text. */
export function intArg(flag: string, value: string, min: number): number {
  const n = wholeNumber(value);
  if (n === null || n < min) throw new UsageError(`${flag} takes a whole number >= ${min}, got '${value}'`);
  return n;
}

/**
 * `--threads N` (worker threads for encoding): the number, or undefined when the flag is absent
 * so that $HYBRID_IR_THREADS, else the core count, decides (`resolveThreads`).
 */
export function threadsArg(value: string | undefined): number | undefined {
  return value === undefined ? undefined : intArg("--threads", value, 1);
}

export function backendArg(value: string | undefined): BackendName {
  const v = value ?? "auto";
  if (!isBackendName(v)) throw new UsageError(`unknown backend '${v}' (expected one of: ${BACKEND_NAMES.join(", ")})`);
  return v;
}
