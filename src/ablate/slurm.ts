/**
 * A SLURM array job for a grid: task I runs `hybrid-ir ablate --grid FILE --task I`, which trains
 * expanded run I (skipped if complete, resumed if partial), so resubmitting the same script after
 * a failure or a time limit finishes what is left. Every path in it is absolute, and it changes to
 * the directory it was written from (not the package root), because a grid's relative outputRoot
 * is taken from the working directory: the tasks must write where `--aggregate` run from there
 * reads. The job may start anywhere, on any node that sees the same file system.
 */
import { basename, extname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Grid } from "./grid.js";
import { LOGS_DIR } from "./runner.js";

/** The CLI entry point each array task runs (dist/src/cli/main.js beside this module). */
const CLI_MAIN = fileURLToPath(new URL("../cli/main.js", import.meta.url));

export interface SlurmOptions {
  /** The grid file the tasks read (made absolute). */
  readonly gridFile: string;
  /** Tasks running at once (`--array=0-N%concurrency`); default: as many as SLURM allows. */
  readonly concurrency?: number;
  readonly partition?: string;
  /** Per task, in SLURM's format ("2:00:00", "1-00:00:00"). */
  readonly time?: string;
  readonly cpusPerTask?: number;
  /** Per node, in SLURM's format ("8G"). */
  readonly mem?: string;
  /** Where the tasks run: the directory the grid's relative outputRoot was resolved from (default the current one). */
  readonly cwd?: string;
}

/**
 * The sbatch script (bash) for `grid`.
 *
 * @example
 * await writeFile("slurm-array.sh", slurmScript(grid, { gridFile: "configs/grids/small.json", concurrency: 4, time: "2:00:00" }), { mode: 0o755 });
 * // then: sbatch slurm-array.sh
 */
export function slurmScript(grid: Grid, options: SlurmOptions): string {
  const gridFile = resolve(options.gridFile);
  const name = basename(gridFile, extname(gridFile));
  const n = grid.runs.length;
  const main = `${shellQuote(process.execPath)} ${shellQuote(CLI_MAIN)}`;
  const sbatch = [
    `--job-name=hybrid-ir-${name}`,
    `--array=0-${n - 1}${options.concurrency === undefined ? "" : `%${options.concurrency}`}`,
    `--output=${grid.outputRoot}/${LOGS_DIR}/slurm-%A_%a.log`,
    options.partition === undefined ? undefined : `--partition=${options.partition}`,
    options.time === undefined ? undefined : `--time=${options.time}`,
    options.cpusPerTask === undefined ? undefined : `--cpus-per-task=${options.cpusPerTask}`,
    options.mem === undefined ? undefined : `--mem=${options.mem}`,
  ].filter((line) => line !== undefined);
  return [
    "#!/bin/bash",
    `# hybrid-ir ablation grid ${name}: ${n} run${n === 1 ? "" : "s"}, one array task each (task I trains expanded run I of grid.json).`,
    `# Written by \`hybrid-ir ablate --grid ${gridFile} --emit slurm\`. Resubmitting it is safe: complete runs`,
    "# are skipped and partial ones resume from checkpoints/last. The grid's outputRoot is relative to the",
    "# directory below, the one the script was written from.",
    ...sbatch.map((line) => `#SBATCH ${line}`),
    "",
    "set -euo pipefail",
    `cd ${shellQuote(resolve(options.cwd ?? process.cwd()))}`,
    `exec ${main} ablate --grid ${shellQuote(gridFile)} --task "$SLURM_ARRAY_TASK_ID"`,
    "",
    "# When every task has finished, write results.csv / results.json and print the table:",
    `#   ${main} ablate --grid ${shellQuote(gridFile)} --aggregate`,
    "",
  ].join("\n");
}

/** A word for bash: as is when it has only safe characters, else single-quoted. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
