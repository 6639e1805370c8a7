/**
 * `hybrid-ir batches`: writes the batches a training run's sampler would hand out, to inspect
 * batch composition (languages, kinds, repeats) before spending compute on it.
 */
import { DataError } from "../util/errors.js";
import { loadDataset } from "../data/lareqa.js";
import { applySamplerFlags, samplerConfigFromJson, type SamplerConfig } from "../sampling/config.js";
import { buildPools, summarizePools } from "../sampling/pools.js";
import { createSampler, type BatchSampler } from "../sampling/sampler.js";
import { HybridSampler } from "../sampling/hybrid.js";
import { MonolingualSampler } from "../sampling/x-x.js";
import { readTrainingJsonl, type TrainingRecord } from "../train-data/format.js";
import { fromRetrievalDataset } from "../train-data/from-squad.js";
import { TRAIN_SOURCE } from "../train/config-fields.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { flagInteger } from "../util/flag-values.js";
import { object, readJsonFile } from "../util/json-fields.js";
import { at } from "../util/option-table.js";
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

  const file = values.config;
  const json = object(await readJsonFile(file), "the config", file);
  // The two sections this command reads, through the run config's own fields; the others are training's.
  const data = json.data === undefined ? {} : object(json.data, "'data'", file);
  const train = data.train === undefined ? TRAIN_SOURCE.absent(at(file, "data.train")) : TRAIN_SOURCE.parse(data.train, at(file, "data.train"));
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

/** A flag's whole number, or a UsageError with the usage. */
function wholeNumber(flag: string, text: string, min: number): number {
  try {
    return flagInteger(flag, text, min);
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
}
