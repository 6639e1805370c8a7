/**
 * `hybrid-ir ablate`: expands a grid file (src/ablate/grid.ts) into training runs and trains,
 * resumes, lists, emits as a SLURM array, or aggregates them.
 */
import { chmod, mkdir } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { AGGREGATE_CSV, AGGREGATE_JSON, aggregateRuns, formatAggregate, writeAggregate } from "../ablate/aggregate.js";
import { readGrid, type Grid } from "../ablate/grid.js";
import { runStatus } from "../ablate/run-state.js";
import { shipGrid, shippedMarker } from "../ablate/shipped.js";
import { readRunLock } from "../train/run-lock.js";
import { LOGS_DIR, runGrid, writeManifest } from "../ablate/runner.js";
import { slurmScript } from "../ablate/slurm.js";
import type { AggregateRow } from "../ablate/types.js";
import { DataError } from "../util/errors.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { textTable } from "../util/text-table.js";
import { intArg, parse, UsageError } from "./args.js";

export const usage = `usage: hybrid-ir ablate --grid FILE [--concurrency N] [--dry-run] [--retry-diverged]
       hybrid-ir ablate --grid FILE --task I
       hybrid-ir ablate --grid FILE --emit slurm [--script OUT] [--concurrency N] [--partition P] [--time T] [--cpus N] [--mem M]
       hybrid-ir ablate --grid FILE --aggregate
       hybrid-ir ablate --grid FILE --ship DIR

Expands a grid file (a base run config, "set" values, and axes model / direction / strategy /
alpha / seed; format: src/ablate/grid.ts) into training runs, one run directory each under the
grid's outputRoot (default runs/grids/<grid name>), named by a hash of the run's resolved config.

Default: trains every run that is not complete, --concurrency N at once (default 1; the wasm
backend is single-threaded, so 2 on 2 cores doubles throughput); a partial run resumes from
checkpoints/last, a complete one is skipped, a diverged one is skipped unless --retry-diverged
(then started afresh). Each run's output goes to <outputRoot>/logs/<key>.log. Then aggregates.
Ctrl-C (or SIGTERM) stops the runs, which save checkpoints/last; the same command continues them.

  --dry-run          list the expanded runs (index, key, labels, state; "*": a results.json that
                     does not read back, with why; "in use by PID": another process trains it); run nothing
  --task I           train only expanded run I (what a SLURM array task runs)
  --emit slurm       write grid.json and a SLURM array script (default <outputRoot>/slurm-array.sh;
                     --script OUT) with one task per run; run nothing
  --aggregate        only write <outputRoot>/results.csv and results.json from the run
                     directories (wherever they were trained) and print the table
  --ship DIR         write every run of the finished grid, checkpoints left out, into DIR (e.g.
                     results/small: what the notebooks show on a fresh clone, and what CI's
                     retrained runs must equal; format: src/ablate/shipped.ts)

A run directory installed from shipped results holds shipped.json and counts as complete (the
dry run says "complete (shipped)"); delete it to train that run here.`;

export async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    argv,
    {
      grid: { type: "string" },
      concurrency: { type: "string" },
      "dry-run": { type: "boolean" },
      "retry-diverged": { type: "boolean" },
      task: { type: "string" },
      emit: { type: "string" },
      script: { type: "string" },
      partition: { type: "string" },
      time: { type: "string" },
      cpus: { type: "string" },
      mem: { type: "string" },
      aggregate: { type: "boolean" },
      ship: { type: "string" },
    },
    usage,
  );
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'\n\n${usage}`);
  if (values.grid === undefined) throw new UsageError(`--grid FILE is required\n\n${usage}`);
  const modes = (["dry-run", "task", "emit", "aggregate", "ship"] as const).filter((m) => values[m] !== undefined && values[m] !== false);
  if (modes.length > 1) throw new UsageError(`give one of ${modes.map((m) => `--${m}`).join(", ")}, not several\n\n${usage}`);
  const mode = (modes[0] as (typeof modes)[number] | undefined) ?? "run";
  const slurmOnly = (["script", "partition", "time", "cpus", "mem"] as const).filter((o) => values[o] !== undefined);
  if (mode !== "emit" && slurmOnly.length > 0) throw new UsageError(`--${slurmOnly[0]} goes with --emit slurm\n\n${usage}`);
  if (values.concurrency !== undefined && mode !== "run" && mode !== "emit") throw new UsageError(`--concurrency goes with a grid run or --emit slurm, not --${mode}`);
  if (values["retry-diverged"] && mode !== "run" && mode !== "task") throw new UsageError(`--retry-diverged goes with a grid run or --task, not --${mode}`);
  if (values.emit !== undefined && values.emit !== "slurm") throw new UsageError(`--emit: only 'slurm' is supported, got '${values.emit}'`);
  const concurrency = values.concurrency === undefined ? undefined : intArg("--concurrency", values.concurrency, 1);

  const grid = await readGrid(values.grid);
  switch (mode) {
    case "dry-run":
      return dryRun(grid);
    case "aggregate":
      return aggregate(grid);
    case "ship": {
      const dir = resolve(values.ship!);
      const manifest = await shipGrid(grid, dir);
      console.log(`shipped ${manifest.runs.length} runs of ${show(grid.file)} into ${show(dir)} (commit ${manifest.commit ?? "unknown"})`);
      return;
    }
    case "emit": {
      const script = resolve(values.script ?? join(grid.outputRoot, "slurm-array.sh"));
      const text = slurmScript(grid, {
        gridFile: grid.file,
        concurrency,
        partition: values.partition,
        time: values.time,
        cpusPerTask: values.cpus === undefined ? undefined : intArg("--cpus", values.cpus, 1),
        mem: values.mem,
      });
      const manifest = await writeManifest(grid);
      // sbatch does not create the --output folder; without it every task fails silently.
      await mkdir(join(grid.outputRoot, LOGS_DIR), { recursive: true });
      await writeFileAtomic(script, text);
      await chmod(script, 0o755);
      console.log(`wrote ${show(manifest)} (${grid.runs.length} runs) and the SLURM array script ${show(script)}; submit it with:\n  sbatch ${show(script)}`);
      return;
    }
    case "task": {
      const index = intArg("--task", values.task!, 0);
      if (index >= grid.runs.length) {
        throw new UsageError(`--task ${index} is out of range: ${grid.file} expands to ${grid.runs.length} runs (0-${grid.runs.length - 1})`);
      }
      const summary = await withSignals((signal) => runGrid(grid, { only: [index], aggregate: false, retryDiverged: values["retry-diverged"], signal }));
      if (summary.interrupted) process.exit(130);
      if (summary.failed > 0) throw new DataError(grid.file, `run ${index} (${grid.runs[index].key}) failed: see ${show(join(grid.outputRoot, LOGS_DIR, `${grid.runs[index].key}.log`))}`);
      return;
    }
    case "run": {
      const summary = await withSignals((signal) => runGrid(grid, { concurrency, retryDiverged: values["retry-diverged"], signal }));
      printAggregate(grid, summary.rows ?? []);
      if (summary.interrupted) {
        console.log(`interrupted: the same command continues the unfinished runs`);
        process.exit(130);
      }
      if (summary.failed > 0) {
        const keys = summary.runs.filter((r) => r.outcome === "failed").map((r) => `${r.index} (${r.key})`);
        throw new DataError(grid.file, `${summary.failed} of ${summary.runs.length} runs failed: ${keys.join(", ")}; their logs are in ${show(join(grid.outputRoot, LOGS_DIR))}`);
      }
      return;
    }
  }
}

/**
 * Runs `body` with an AbortSignal that the first SIGINT or SIGTERM aborts (the runs save and
 * stop); a second one quits at once.
 */
async function withSignals<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`\nsecond ${name}: quitting at once\n`);
      process.exit(130);
    }
    process.stderr.write(`\n${name}: stopping the runs (each saves checkpoints/last); ${name} again to quit at once\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await body(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function dryRun(grid: Grid): Promise<void> {
  const header = ["#", "key", "model", "train→eval", "strategy", "α", "seed", "state"];
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const r of grid.runs) {
    const l = r.labels;
    const { state, note } = await runStatus(r.config.outputDir, r.config);
    const lock = await readRunLock(r.config.outputDir).catch(() => null);
    const busy = lock !== null && lock.alive !== false ? ` (in use by PID ${lock.owner.pid} on ${lock.owner.host})` : "";
    if (note !== null) notes.push(`[${r.index}] ${state}: ${note}`);
    const shipped = state === "complete" && (await shippedMarker(r.config.outputDir)) !== null ? " (shipped)" : "";
    rows.push([String(r.index), r.key, l.model, `${l.train}→${l.eval ?? "-"}`, l.strategy, l.alpha === null ? "-" : String(l.alpha), String(l.seed), `${state}${note === null ? "" : "*"}${shipped}${busy}`]);
  }
  console.log(textTable(header, rows, { leftColumns: header.length, rule: true }));
  for (const note of notes) console.log(`* ${note}`);
  console.log(`${grid.runs.length} runs into ${show(grid.outputRoot)}`);
}

async function aggregate(grid: Grid): Promise<void> {
  const rows = await aggregateRuns(grid.outputRoot, grid.runs);
  await writeAggregate(grid.outputRoot, rows);
  printAggregate(grid, rows);
}

/** The table, and where the aggregate was written. */
function printAggregate(grid: Grid, rows: readonly AggregateRow[]): void {
  const [csv, json] = [AGGREGATE_CSV, AGGREGATE_JSON].map((name) => show(join(grid.outputRoot, name)));
  const notStarted = rows.filter((r) => r.state === "new").length;
  const count = `${rows.length} run${rows.length === 1 ? "" : "s"}${notStarted > 0 ? ` (${notStarted} never started)` : ""}`;
  console.log(`\n${formatAggregate(rows)}\n\n${count}: ${csv}, ${json}`);
}


function show(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" ? "." : rel.startsWith("..") ? path : rel;
}
