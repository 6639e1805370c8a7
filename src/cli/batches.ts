/**
 * `hybrid-ir batches`: writes the batches a training run's sampler would hand out, to inspect
 * batch composition (languages, kinds, repeats) before spending compute on it.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { DataError } from "../data/errors.js";
import { isDatasetName, loadDataset } from "../data/lareqa.js";
import { applySamplerFlags, samplerConfigFromJson, type SamplerConfig } from "../sampling/config.js";
import { buildPools, summarizePools } from "../sampling/pools.js";
import { createSampler, type BatchSampler } from "../sampling/sampler.js";
import { HybridSampler } from "../sampling/hybrid.js";
import { MonolingualSampler } from "../sampling/x-x.js";
import { readTrainingJsonl, type TrainingRecord } from "../train-data/format.js";
import { fromRetrievalDataset } from "../train-data/from-squad.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { parse, UsageError } from "./args.js";

export const usage = `usage: hybrid-ir batches --config FILE.json --steps N --out FILE.jsonl
                          [--sampler x-x|x-y|hybrid] [--alpha A|by-size] [--batch-size N] [--seed N] [--epoch E]

Writes the first N batches of the configured sampler, from the start of epoch E (default 0),
one JSON line per step: {"step", "epoch", "batch", "kind", "pairs": [{"group", "queryLang", "passageLang"}]}.

The config is JSON; this command reads two of its sections and leaves the others to training:
  "data":    { "train": "records.jsonl" }     training records (docs/training-data.md), relative to the config's folder
             { "train": { "dataset": "mlqa-r" } }  or a vendored benchmark converted to records
  "sampler": { "name": "hybrid", "alpha": 0.5, "batchSize": 100, "seed": 42 }  (these are the defaults; alpha may be "by-size")
Flags override the config's sampler values.`;

export async function run(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    {
      config: { type: "string" },
      steps: { type: "string" },
      out: { type: "string" },
      sampler: { type: "string" },
      alpha: { type: "string" },
      "batch-size": { type: "string" },
      seed: { type: "string" },
      epoch: { type: "string", default: "0" },
    },
    usage,
  );
  if (values.config === undefined || values.steps === undefined || values.out === undefined) {
    throw new UsageError(`--config, --steps and --out are required\n\n${usage}`);
  }
  const steps = wholeNumber("steps", values.steps, 1);
  const epoch = wholeNumber("epoch", values.epoch, 0);

  const { config: json, file } = await readConfig(values.config);
  const train = trainSource(json, file);
  let sampler: SamplerConfig;
  try {
    sampler = applySamplerFlags(samplerConfigFromJson(json.sampler, file), {
      sampler: values.sampler,
      alpha: values.alpha,
      batchSize: values["batch-size"],
      seed: values.seed,
    });
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(`${err.message}\n\n${usage}`);
    throw err;
  }

  const records: TrainingRecord[] =
    typeof train === "string" ? await readTrainingJsonl(train) : fromRetrievalDataset(await loadDataset(train.dataset));
  const pools = buildPools(records);
  let batches: BatchSampler;
  try {
    batches = createSampler(sampler.name, pools, sampler);
  } catch (err) {
    if (err instanceof RangeError) throw new DataError(file, `${sampler.name} sampler: ${err.message}`);
    throw err;
  }
  batches.setEpoch(epoch);

  const lines: string[] = [];
  let mono = 0;
  outer: for (;;) {
    const { epoch: e, batch: first } = batches.state();
    let b = first;
    for (const batch of batches) {
      if (batch.kind === "mono") mono += 1;
      const pairs = batch.pairs.map(({ group, queryLang, passageLang }) => ({ group, queryLang, passageLang }));
      lines.push(`${JSON.stringify({ step: lines.length, epoch: e, batch: b++, kind: batch.kind, pairs })}\n`);
      if (lines.length === steps) break outer;
    }
  }
  await writeFileAtomic(values.out, lines.join(""));

  const summary = summarizePools(pools);
  const skipped =
    batches instanceof MonolingualSampler ? batches.skippedLanguages : batches instanceof HybridSampler ? (batches.monolingual?.skippedLanguages ?? []) : [];
  console.log(
    [
      `records: ${records.length} in ${summary.groups} groups, languages ${summary.languages.join(" ")}`,
      `pools: ${summary.monoTotal} monolingual pairs, ${summary.crossTotal} cross-lingual pairs (${summary.crossGroups} groups in ≥ 2 languages); ` +
        `${summary.clusters} clusters of groups that never share a batch`,
      `sampler: ${sampler.name}, batch size ${sampler.batchSize}, seed ${sampler.seed}` +
        (batches instanceof HybridSampler ? `, alpha ${batches.alpha.toFixed(4)}${sampler.alpha === "by-size" ? " (by-size)" : ""}` : "") +
        `, ${batches.length} batches per epoch`,
      ...(skipped.length > 0 ? [`skipped (fewer groups than the batch size): ${skipped.join(" ")}`] : []),
      `wrote ${lines.length} batches (${mono} monolingual, ${lines.length - mono} cross-lingual) to ${values.out}`,
    ].join("\n"),
  );
}

function wholeNumber(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${flag} takes an integer ≥ ${min}, got '${text}'\n\n${usage}`);
  }
  return n;
}

async function readConfig(path: string): Promise<{ config: Record<string, unknown>; file: string }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new DataError(path, `cannot read (${(err as Error).message})`);
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new DataError(path, `invalid JSON (${(err as Error).message})`);
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) throw new DataError(path, "expected a JSON object");
  return { config: config as Record<string, unknown>, file: path };
}

/** A path resolved against the config's folder, or a benchmark name. */
function trainSource(config: Record<string, unknown>, file: string): string | { dataset: "xquad-r" | "mlqa-r" } {
  const data = config.data as { train?: unknown } | undefined;
  if (typeof data !== "object" || data === null || data.train === undefined) {
    throw new DataError(file, `needs "data": { "train": "records.jsonl" | { "dataset": "mlqa-r" | "xquad-r" } }`);
  }
  const train = data.train;
  if (typeof train === "string") return resolve(dirname(file), train);
  if (typeof train === "object" && train !== null && !Array.isArray(train)) {
    const keys = Object.keys(train);
    const dataset = (train as { dataset?: unknown }).dataset;
    if (keys.length === 1 && typeof dataset === "string" && isDatasetName(dataset)) return { dataset };
    const unknown = keys.filter((k) => k !== "dataset");
    if (unknown.length > 0) throw new DataError(file, `unknown key(s) in data.train: ${unknown.join(", ")} (known: dataset)`);
  }
  throw new DataError(file, `data.train must be a path or { "dataset": "mlqa-r" | "xquad-r" }, got ${JSON.stringify(train)}`);
}
