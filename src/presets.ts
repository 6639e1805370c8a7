/**
 * Run-size presets shared by the notebooks, the CLI and `npm run reproduce`, chosen with
 * `HYBRID_IR_PRESET`. Each names the training grid its notebooks report (configs/grids/) and how
 * many questions the notebooks' own quick evaluations score (BM25, untrained models): `small`
 * keeps every candidate (the pool is what makes the task hard) but scores a subset of the
 * questions, so CI runs the notebooks in minutes. Trained runs always use their grid's
 * evaluation, which is the full protocol in all of them.
 */
import { join } from "node:path";
import { readGrid, type Grid } from "./ablate/grid.js";
import { installShipped, type InstallReport } from "./ablate/shipped.js";
import { readUntrainedReference, type UntrainedReference } from "./report/untrained.js";
import type { GridRun, RunLabels } from "./ablate/types.js";
import { packageRoot } from "./paths.js";

export type PresetName = "small" | "full" | "pretrained" | "paper";

export interface Preset {
  readonly name: PresetName;
  /** Questions kept per dataset in the notebooks' quick evaluations, by parallel id (first N ids in file order); undefined = all. */
  readonly maxQuestionIds: number | undefined;
  /** The ablation grid, relative to the package root. */
  readonly grid: string;
  /** What it is for, one line, for notebooks and reports. */
  readonly description: string;
  /**
   * The grid's finished runs committed to the repository (ablate/shipped.ts), relative to the
   * package root: what the notebooks show where no run was trained here. undefined: none shipped.
   */
  readonly shipped?: string;
  /**
   * The untrained model's evaluation on both benchmarks (report/untrained.ts), relative to the
   * package root: Table 1's zero-shot row. undefined: no such row.
   */
  readonly untrained?: string;
  /**
   * The runs CI trains afresh and requires to equal their shipped copies (`train-preset.js
   * --verify-shipped`): each entry picks the runs whose labels have all the given values.
   */
  readonly verify?: readonly Partial<RunLabels>[];
}

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  small: {
    name: "small",
    maxQuestionIds: 150,
    grid: "configs/grids/small.json",
    description: "mini 2×128 from random init, 40 steps, 12 runs on 2 CPU cores (~30 min to retrain; shipped in results/small): the default, and what CI checks",
    shipped: "results/small",
    // Two runs, trained side by side, that cover every code path the grid uses: the adversary on
    // x-y batches (MLQA-R → XQuAD-R) and the hybrid (x-x and x-y batches) the other way round, so
    // both training sets and both benchmarks' evaluations.
    verify: [
      { train: "mlqa-r", strategy: "adversarial", seed: 1 },
      { train: "xquad-r", strategy: "hybrid", alpha: 0.5, seed: 1 },
    ],
  },
  full: {
    name: "full",
    maxQuestionIds: undefined,
    grid: "configs/grids/full.json",
    description: "mini 4×256 from random init, 600 steps, 30 runs (3 seeds) on a CPU: hours",
  },
  pretrained: {
    name: "pretrained",
    maxQuestionIds: 150,
    grid: "configs/grids/pretrained.json",
    description:
      "multilingual-e5-small (pretrained; its top 2 layers trained, the rest frozen and cached), 14 runs on 2 CPU cores: the paper's comparison on a real encoder (shipped in results/pretrained; retraining takes hours and `npx hybrid-ir fetch e5-small` first)",
    shipped: "results/pretrained",
    untrained: "bench/results/2026-12-04-e5-small-zero-shot.json",
  },
  paper: {
    name: "paper",
    maxQuestionIds: undefined,
    grid: "configs/grids/paper.json",
    description: "XLM-R base and LaBSE with the paper's settings, 60 runs: a GPU",
  },
};

/** The preset named by `HYBRID_IR_PRESET` (default `small`); an unknown name is an error. */
export function presetFromEnv(env: NodeJS.ProcessEnv = process.env): Preset {
  const name = env.HYBRID_IR_PRESET ?? "small";
  if (!Object.hasOwn(PRESETS, name)) {
    throw new Error(`HYBRID_IR_PRESET=${name}: unknown preset (expected one of: ${Object.keys(PRESETS).join(", ")})`);
  }
  return PRESETS[name as PresetName];
}

/** The absolute path of a preset's grid file. */
export function presetGridPath(preset: Preset): string {
  return join(packageRoot(), preset.grid);
}

/**
 * A preset's grid, with its outputRoot taken from the package root (runs/grids/<preset>) rather
 * than the working directory, so notebooks (which run in notebooks/), scripts and the CLI
 * started from the checkout all find the same runs.
 */
export function readPresetGrid(preset: Preset): Promise<Grid> {
  return readGrid(presetGridPath(preset), packageRoot());
}

/** The untrained model's evaluation for a preset's Table 1; null when the preset names none. */
export async function presetUntrained(preset: Preset): Promise<UntrainedReference | null> {
  return preset.untrained === undefined ? null : readUntrainedReference(join(packageRoot(), preset.untrained));
}

/** The absolute path of a preset's shipped results; null when it ships none. */
export function presetShippedDir(preset: Preset): string | null {
  return preset.shipped === undefined ? null : join(packageRoot(), preset.shipped);
}

/** The grid's runs that `preset.verify` picks, in grid order. */
export function presetVerifyRuns(preset: Preset, grid: Grid): GridRun[] {
  const picks = preset.verify ?? [];
  return grid.runs.filter((run) => picks.some((pick) => Object.entries(pick).every(([k, v]) => run.labels[k as keyof RunLabels] === v)));
}

/**
 * A preset's grid, as the notebooks read it: its shipped runs installed into every run directory
 * that is not there yet (runs trained here are kept), so that its tables render on a fresh clone
 * without training. `install` is null for a preset that ships nothing.
 *
 * @example
 * const { grid, install } = await preparePresetGrid(presetFromEnv());
 * // install.installed: runs copied from results/small now; install.present: there already
 */
export async function preparePresetGrid(preset: Preset): Promise<{ grid: Grid; install: InstallReport | null }> {
  const grid = await readPresetGrid(preset);
  const dir = presetShippedDir(preset);
  return { grid, install: dir === null ? null : await installShipped(grid, dir) };
}
