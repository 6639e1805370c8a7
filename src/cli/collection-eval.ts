/** Scoring a loaded collection from the CLI: progress, the run file, printing. */
import type { Collection } from "../data/collection.js";
import { DEFAULT_DEPTH, evaluateCollection } from "../eval/ranked-runs.js";
import type { Scorer } from "../eval/types.js";
import { progressBar } from "../util/progress.js";
import { UsageError } from "./args.js";
import { depthArg, printRanked } from "./ranked-output.js";

export interface ScoreCollectionFlags {
  readonly label: string;
  readonly model?: string;
  readonly "run-out"?: string;
  readonly "run-settings"?: string;
  readonly depth?: string;
  readonly tag: string;
  readonly json?: boolean;
  readonly out?: string;
}

export async function scoreCollection(c: Collection, scorer: Scorer, flags: ScoreCollectionFlags): Promise<void> {
  if (flags["run-settings"] !== undefined) throw new UsageError("--run-settings is for the LAReQA datasets; a collection has one run");
  const depth = depthArg(flags.depth, DEFAULT_DEPTH);
  const bar = progressBar(`${flags.label} ${c.name}`, scorer.numQueries);
  const result = await evaluateCollection(c, scorer, {
    depth,
    runPath: flags["run-out"],
    tag: flags.tag,
    onProgress: (done) => bar.update(done),
  });
  bar.finish();
  if (flags["run-out"] !== undefined) console.error(`wrote ${flags["run-out"]}`);
  if (result.skippedQueries > 0) console.error(`${result.skippedQueries} judged queries have no relevant document and are not scored`);
  await printRanked(
    { collection: c.name, layout: c.layout, split: c.split, scorer: flags.label, ...(flags.model ? { model: flags.model } : {}) },
    { [`${flags.label} ${c.name}/${c.split}`]: result },
    { json: flags.json ?? false, out: flags.out },
  );
}
