/**
 * `hybrid-ir train`: one config file → one run directory (src/train/run-dir.ts). Several
 * --config flags train one run after the other and print them side by side at the end; so does
 * `hybrid-ir compare RUN_DIR...` for runs already done.
 */
import { join, relative } from "node:path";
import { DataError } from "../util/errors.js";
import { readRunConfig, type RunConfig, type RunFlags } from "../train/config.js";
import { CONFIG_NAME } from "../run-files/run-config.js";
import { formatRunComparison, readRunSummary } from "../train/run-dir.js";
import { train } from "../train/trainer.js";
import { abortOnInterrupt } from "../util/interrupt.js";
import { parse, UsageError } from "./args.js";
import type { Command } from "./main.js";

export const usage = `usage: hybrid-ir train --config FILE.json [--config FILE.json ...] [--resume | --overwrite]
                      [--steps N] [--output DIR] [--seed N] [--sampler x-x|x-y|hybrid] [--alpha A|by-size]
                      [--batch-size N] [--grad-cache-chunk N] [--backend auto|wasm|cpu|...]
       hybrid-ir train --resume --output DIR

Trains one run per config into its output directory (config "outputDir", default runs/<config name>):
config.json (resolved config, git commit, package version, backend), metrics.jsonl (one line per
log interval and per validation), checkpoints/last and checkpoints/best (model in the
sentence-transformers layout + trainer and optimiser state), results.json (the "eval" benchmark,
encoded with the best checkpoint). With several configs, the runs are printed side by side at the end.

A non-empty output directory is refused unless --resume (continue exactly where checkpoints/last
left off: same batches, optimiser state, step and learning rate; the config must not have changed)
or --overwrite (delete that run and start afresh).
Ctrl-C finishes the current step, saves checkpoints/last and exits with status 130.

Flags override the config: --steps, --output, --seed (model and sampler seed), --sampler, --alpha,
--batch-size, --grad-cache-chunk (gradient caching in chunks of N pairs, 0 = off: larger batches
in the same memory, one more forward pass), --backend. Every config option, its type and default:
docs/run-config.md; presets: configs/*.json.`;

export async function run(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    {
      config: { type: "string", multiple: true },
      resume: { type: "boolean" },
      overwrite: { type: "boolean" },
      steps: { type: "string" },
      output: { type: "string" },
      seed: { type: "string" },
      sampler: { type: "string" },
      alpha: { type: "string" },
      "batch-size": { type: "string" },
      "grad-cache-chunk": { type: "string" },
      backend: { type: "string" },
    },
    usage,
  );
  if (values.resume && values.overwrite) throw new UsageError(`give --resume or --overwrite, not both\n\n${usage}`);
  const flags: RunFlags = {
    steps: values.steps,
    output: values.output,
    seed: values.seed,
    sampler: values.sampler,
    alpha: values.alpha,
    batchSize: values["batch-size"],
    gradCacheChunk: values["grad-cache-chunk"],
    backend: values.backend,
  };
  let files = values.config ?? [];
  if (files.length === 0) {
    if (!(values.resume && values.output !== undefined)) throw new UsageError(`--config FILE is required (or --resume --output DIR)\n\n${usage}`);
    files = [join(values.output, CONFIG_NAME)];
  }
  if (files.length > 1 && values.output !== undefined) throw new UsageError(`--output names one run directory: give it with one --config only`);

  const configs: RunConfig[] = [];
  for (const file of files) {
    try {
      configs.push(await readRunConfig(file, flags));
    } catch (err) {
      if (err instanceof RangeError) throw new UsageError(`${err.message}\n\n${usage}`);
      throw err;
    }
  }
  const outputs = configs.map((c) => c.outputDir);
  const repeated = outputs.find((o, i) => outputs.indexOf(o) !== i);
  if (repeated !== undefined) throw new UsageError(`two configs write to the same output directory ${repeated}`);

  // SIGTERM (SLURM's scancel or time limit) counts as a first Ctrl-C: saving is what lets the run resume.
  const interrupt = abortOnInterrupt({
    first: "Ctrl-C: finishing this step, then saving checkpoints/last (Ctrl-C again to quit at once)",
    second: "second Ctrl-C: quitting without saving",
  });
  try {
    for (const [i, config] of configs.entries()) {
      if (configs.length > 1) console.log(`\n=== run ${i + 1}/${configs.length}: ${files[i]} → ${config.outputDir}`);
      const result = await train(config, { resume: values.resume, overwrite: values.overwrite, signal: interrupt.signal, configFile: files[i] });
      if (result.status === "interrupted") process.exit(130);
      if (result.status === "diverged") throw new DataError(result.outputDir, `training diverged: ${result.message}`);
    }
  } finally {
    interrupt.dispose();
  }
  if (configs.length > 1) {
    console.log(`\n${formatRunComparison(await Promise.all(outputs.map((dir) => readRunSummary(relativeDir(dir)))))}`);
  }
}

function relativeDir(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel === "" ? "." : rel.startsWith("..") ? dir : rel;
}

export const compareUsage = `usage: hybrid-ir compare RUN_DIR... [--json]

Prints training runs side by side: sampler, steps, the checkpoint evaluated, best validation loss,
and the benchmark's mono / cross / multi mAP and rank distance from each run's results.json.`;

/** `hybrid-ir compare`. */
export const compare: Command = {
  usage: compareUsage,
  async run(argv: string[]): Promise<void> {
    const { values, positionals } = parse(argv, { json: { type: "boolean" } }, compareUsage);
    if (positionals.length === 0) throw new UsageError(`give at least one run directory\n\n${compareUsage}`);
    const runs = await Promise.all(positionals.map(readRunSummary));
    console.log(values.json ? JSON.stringify(runs, null, 2) : formatRunComparison(runs));
  },
};
