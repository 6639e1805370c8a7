/**
 * Run-size presets shared by the notebooks, the CLI and `npm run reproduce`, chosen with
 * `HYBRID_IR_PRESET`. Each names the training grid its notebooks report (configs/grids/) and how
 * many questions the notebooks' own quick evaluations score (BM25, untrained models): `small`
 * keeps every candidate (the pool is what makes the task hard) but scores a subset of the
 * questions, so CI runs the notebooks in minutes. Trained runs always use their grid's
 * evaluation, which is the full protocol in all three.
 */
import { join } from "node:path";
import { readGrid, type Grid } from "./ablate/grid.js";
import { packageRoot } from "./paths.js";

export type PresetName = "small" | "full" | "paper";

export interface Preset {
  readonly name: PresetName;
  /** Questions kept per dataset in the notebooks' quick evaluations, by parallel id (first N ids in file order); undefined = all. */
  readonly maxQuestionIds: number | undefined;
  /** The ablation grid, relative to the package root. */
  readonly grid: string;
  /** What it is for, one line, for notebooks and reports. */
  readonly description: string;
}

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  small: {
    name: "small",
    maxQuestionIds: 150,
    grid: "configs/grids/small.json",
    description: "mini 2×128 from random init, 40 steps, 12 runs on 2 CPU cores (~35 min): the default, and what CI runs",
  },
  full: {
    name: "full",
    maxQuestionIds: undefined,
    grid: "configs/grids/full.json",
    description: "mini 4×256 from random init, 600 steps, 30 runs (3 seeds) on a CPU: hours",
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
