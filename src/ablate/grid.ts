/**
 * An ablation grid: one JSON file that expands into training runs, each resolved exactly as
 * `hybrid-ir train --config` would resolve it and given a directory named by its key.
 *
 * The file:
 *
 *   {
 *     "comment": "free text",
 *     "base": "../offline-mini-hybrid.json",      // a run config: a path (relative to this file) or an inline object
 *     "outputRoot": "runs/grids/small",           // relative to the working directory; default runs/grids/<this file's name>
 *     "set": { "steps": 300, "eval": { "batchSize": 64 } },   // deep-merged over the base for every run
 *     "axes": {                                   // every axis optional; a missing one keeps the base's value
 *       "model": ["mini", { "mini": { "layers": 2, "hidden": 128, "heads": 2, "intermediate": 512 } }],
 *       "direction": [{ "train": "mlqa-r", "eval": "xquad-r" }, { "train": "xquad-r", "eval": "mlqa-r" }],
 *       "strategy": ["x-x", "x-y", "hybrid"],
 *       "alpha": [0.25, 0.5, 0.75],
 *       "seed": [1, 2]
 *     },
 *     "grids": [ { "comment": "...", "axes": { ... }, "set": { ... } }, ... ]
 *   }
 *
 * Axes:
 * - model: a string sets model.ref and drops the base's model.mini (the preset's own architecture:
 *   "mini" is the 4 × 256 preset); an object is deep-merged over the base's model section
 *   ({ "mini": {...} } keeps the ref and sets the architecture).
 * - direction: { train, eval }. train is a dataset name (→ data.train { dataset }) or a training
 *   JSONL path relative to this file; eval is a dataset name (→ eval.dataset).
 * - strategy: the sampler (x-x, x-y, hybrid), or "adversarial": the x-y sampler with a language
 *   discriminator (train/adversarial.ts), its options the base's `adversarial` section or the
 *   defaults; the other strategies drop that section.
 * - alpha: the hybrid's α (a number in [0, 1] or "by-size"); it multiplies hybrid runs only, so x-x
 *   and x-y appear once per combination of the other axes.
 * - seed: model.seed and sampler.seed alike.
 *
 * Runs expand in the order model, direction, strategy (hybrid once per α), seed. `grids` lists
 * sub-grids whose `axes` replace the top-level ones axis by axis and whose `set` is deep-merged over
 * the top-level `set`; the runs are then the union of the sub-grids (the top-level axes alone are
 * not expanded), de-duplicated by key in order: "3 strategies × 2 seeds, plus an α sweep on seed 1".
 *
 * A run's key is the first 12 hex digits of the sha256 of its resolved config's canonical JSON
 * (outputDir and comment left out, see run-state.ts); its directory is `<outputRoot>/<key>`. A
 * JSONL path enters the key as an absolute path, so moving the data renames its runs. Unknown keys
 * anywhere and bad values are DataErrors naming this file.
 */
import { basename, dirname, extname, join, resolve } from "node:path";
import { DataError } from "../util/errors.js";
import { isPlainObject, type Json, object, readJsonFile, unknownKeys } from "../util/json-fields.js";
import { isDatasetName } from "../data/lareqa.js";
import { DEFAULT_SAMPLER_CONFIG } from "../sampling/config.js";
import { alphaProblem, type Alpha } from "../sampling/options.js";
import { resolveRunConfig } from "../train/config.js";
import { labelsOf, labelText } from "./aggregate.js";
import { runKey } from "./run-state.js";
import { isStrategyName, STRATEGY_NAMES, type Direction, type GridRun, type StrategyName } from "./types.js";

/** An expanded grid file. */
export interface Grid {
  /** The grid file, absolute. */
  readonly file: string;
  /** Where the run directories go, absolute. */
  readonly outputRoot: string;
  readonly comment: string;
  readonly runs: readonly GridRun[];
}


/** One axis value of each kind, or undefined where the axis is absent (the base's value stays). */
interface Axes {
  readonly model?: readonly (string | Json)[];
  readonly direction?: readonly Direction[];
  readonly strategy?: readonly StrategyName[];
  readonly alpha?: readonly Alpha[];
  readonly seed?: readonly number[];
}

interface SubGrid {
  readonly axes: Axes;
  readonly set: Json;
}

const GRID_KEYS = ["comment", "base", "outputRoot", "set", "axes", "grids"];
const SUB_GRID_KEYS = ["comment", "axes", "set"];
const AXIS_KEYS = ["model", "direction", "strategy", "alpha", "seed"];

/**
 * Reads and expands a grid file; `cwd` anchors a relative outputRoot.
 *
 * @example
 * const grid = await readGrid("configs/grids/small.json");
 * for (const run of grid.runs) console.log(run.index, run.key, run.labels.strategy, run.config.outputDir);
 */
export async function readGrid(file: string, cwd: string = process.cwd()): Promise<Grid> {
  const path = resolve(cwd, file);
  const json = await readJsonFile(path);
  const top = object(json, "the grid", path);
  unknownKeys(top, GRID_KEYS, "the grid", path);
  if (top.base === undefined) throw new DataError(path, `needs "base": a run config file (relative to this file) or an inline run config`);
  const base = await loadBase(top.base, path);
  const comment = top.comment === undefined ? "" : string(top.comment, "comment", path);
  const outputRoot = resolve(
    cwd,
    top.outputRoot === undefined ? join("runs", "grids", basename(path, extname(path))) : nonEmpty(top.outputRoot, "outputRoot", path),
  );
  const topSet = setSection(top.set, "set", path);
  const topAxes = axes(top.axes, "axes", path);
  let subGrids: SubGrid[] = [{ axes: topAxes, set: topSet }];
  if (top.grids !== undefined) {
    if (!Array.isArray(top.grids) || top.grids.length === 0) throw new DataError(path, `grids must be a non-empty array of sub-grids, got ${JSON.stringify(top.grids)}`);
    subGrids = top.grids.map((g, i) => {
      const where = `grids[${i}]`;
      const sub = object(g, where, path);
      unknownKeys(sub, SUB_GRID_KEYS, where, path);
      if (sub.comment !== undefined) string(sub.comment, `${where}.comment`, path);
      const set = setSection(sub.set, `${where}.set`, path);
      return { axes: { ...topAxes, ...axes(sub.axes, `${where}.axes`, path) }, set: deepMerge(topSet, set) as Json };
    });
  }
  return { file: path, outputRoot, comment, runs: expand(base, subGrids, path, outputRoot, cwd) };
}

/** Every run of the sub-grids in order, resolved, keyed and de-duplicated. */
function expand(base: Json, subGrids: readonly SubGrid[], file: string, outputRoot: string, cwd: string): GridRun[] {
  const runs: GridRun[] = [];
  const seen = new Set<string>();
  const grid = basename(file, extname(file));
  for (const sub of subGrids) {
    for (const { json, what } of points(deepMerge(base, sub.set) as Json, sub.axes, file)) {
      let config;
      try {
        config = resolveRunConfig({ ...json, outputDir: outputRoot }, file, {}, cwd);
      } catch (err) {
        if (err instanceof DataError) throw new DataError(file, `run ${what}: ${err.problem}`);
        throw err;
      }
      const key = runKey(config);
      if (seen.has(key)) continue;
      seen.add(key);
      const labels = labelsOf(config);
      // The base's comment describes the base file, not this run; a comment in `set` is kept.
      const comment = sub.set.comment !== undefined ? config.comment : `ablation grid ${grid}: ${labelText(labels)}`;
      runs.push({ index: runs.length, key, labels, config: { ...config, comment, outputDir: join(outputRoot, key) } });
    }
  }
  return runs;
}

/**
 * The run configs (as JSON, before resolution) of one sub-grid, in expansion order, each with
 * `what`: the axis values that made it, for error messages.
 */
function points(start: Json, axes: Axes, file: string): { json: Json; what: string }[] {
  const out: { json: Json; what: string }[] = [];
  const keep = [undefined];
  for (const model of axes.model ?? keep) {
    const withModel = model === undefined ? start : applyModel(start, model);
    for (const direction of axes.direction ?? keep) {
      const withDirection = direction === undefined ? withModel : applyDirection(withModel, direction, file);
      for (const strategy of axes.strategy ?? keep) {
        const withStrategy = strategy === undefined ? withDirection : applyStrategy(withDirection, strategy);
        const hybrid = (sampler(withStrategy).name ?? DEFAULT_SAMPLER_CONFIG.name) === "hybrid";
        for (const alpha of hybrid ? (axes.alpha ?? keep) : keep) {
          const withAlpha = alpha === undefined ? withStrategy : { ...withStrategy, sampler: { ...sampler(withStrategy), alpha } };
          for (const seed of axes.seed ?? keep) {
            const point = seed === undefined ? withAlpha : applySeed(withAlpha, seed);
            const what = [
              model === undefined ? undefined : `model ${typeof model === "string" ? model : JSON.stringify(model)}`,
              direction === undefined ? undefined : `direction ${direction.train}→${direction.eval}`,
              strategy === undefined ? undefined : `strategy ${strategy}`,
              alpha === undefined ? undefined : `alpha ${String(alpha)}`,
              seed === undefined ? undefined : `seed ${seed}`,
            ].filter((s) => s !== undefined);
            out.push({ json: point, what: what.length > 0 ? `(${what.join(", ")})` : "(the base)" });
          }
        }
      }
    }
  }
  return out;
}

function setSection(value: unknown, where: string, file: string): Json {
  if (value === undefined) return {};
  const set = object(value, where, file);
  if (set.outputDir !== undefined) throw new DataError(file, `${where}.outputDir: each run goes to <outputRoot>/<its key>; set "outputRoot" instead`);
  return set;
}

function section(json: Json, name: string): Json {
  const value = json[name];
  return isPlainObject(value) ? value : {};
}

function sampler(json: Json): { name?: unknown } & Json {
  return section(json, "sampler");
}

function applyModel(json: Json, model: string | Json): Json {
  if (typeof model === "string") {
    const { mini: _preset, ...rest } = section(json, "model");
    return { ...json, model: { ...rest, ref: model } };
  }
  return { ...json, model: deepMerge(section(json, "model"), model) };
}

function applyDirection(json: Json, direction: Direction, file: string): Json {
  const train = isDatasetName(direction.train) ? { dataset: direction.train } : resolve(dirname(file), direction.train);
  return { ...json, data: { ...section(json, "data"), train }, eval: { ...section(json, "eval"), dataset: direction.eval } };
}

function applyStrategy(json: Json, strategy: StrategyName): Json {
  const { adversarial, ...withoutAdversary } = json;
  const name = strategy === "adversarial" ? "x-y" : strategy;
  // The sampler section refuses α for x-x and x-y, so a hybrid base's α goes with the strategy.
  const { alpha, ...rest } = sampler(json);
  // A base without α keeps the sampler's default for hybrid runs (an explicit undefined would be refused).
  const out = { ...withoutAdversary, sampler: name === "hybrid" && alpha !== undefined ? { ...rest, alpha, name } : { ...rest, name } };
  return strategy === "adversarial" ? { ...out, adversarial: adversarial ?? {} } : out;
}

function applySeed(json: Json, seed: number): Json {
  return { ...json, model: { ...section(json, "model"), seed }, sampler: { ...sampler(json), seed } };
}

/** The base run config as JSON; a file's relative data.train is made absolute (it is relative to that file). */
async function loadBase(value: unknown, gridFile: string): Promise<Json> {
  if (isPlainObject(value)) return value;
  if (typeof value !== "string" || value.trim() === "") {
    throw new DataError(gridFile, `base must be a run config file (relative to this file) or an inline run config, got ${JSON.stringify(value)}`);
  }
  const path = resolve(dirname(gridFile), value);
  const json = object(await readJsonFile(path), "the config", path);
  const { provenance: _provenance, ...config } = json;
  const data = section(config, "data");
  if (typeof data.train === "string") return { ...config, data: { ...data, train: resolve(dirname(path), data.train) } };
  return config;
}

function axes(value: unknown, where: string, file: string): Axes {
  if (value === undefined) return {};
  const obj = object(value, where, file);
  unknownKeys(obj, AXIS_KEYS, where, file);
  const list = <T>(name: string, check: (v: unknown, at: string) => T): T[] | undefined => {
    const values = obj[name];
    if (values === undefined) return undefined;
    if (!Array.isArray(values) || values.length === 0) throw new DataError(file, `${where}.${name} must be a non-empty array, got ${JSON.stringify(values)}`);
    return values.map((v, i) => check(v, `${where}.${name}[${i}]`));
  };
  const parsed: Axes = {
    model: list("model", (v, at) => {
      if (typeof v === "string" && v.trim() !== "") return v;
      if (isPlainObject(v)) return v;
      throw new DataError(file, `${at} must be a model ref ("mini", "xlm-r-base", ...) or a model section object, got ${JSON.stringify(v)}`);
    }),
    direction: list("direction", (v, at) => {
      const d = object(v, at, file);
      unknownKeys(d, ["train", "eval"], at, file);
      const train = nonEmpty(d.train, `${at}.train`, file);
      const evalName = string(d.eval, `${at}.eval`, file);
      if (!isDatasetName(evalName)) throw new DataError(file, `${at}.eval: unknown dataset '${evalName}' (known: xquad-r, mlqa-r)`);
      return { train, eval: evalName };
    }),
    strategy: list("strategy", (v, at) => {
      if (!isStrategyName(v)) throw new DataError(file, `${at}: unknown strategy ${JSON.stringify(v)} (known: ${STRATEGY_NAMES.join(", ")})`);
      return v;
    }),
    alpha: list("alpha", (v, at) => {
      const problem = alphaProblem(v);
      if (problem !== undefined) throw new DataError(file, `${at}: ${problem}`);
      return v as Alpha;
    }),
    seed: list("seed", (v, at) => {
      if (!Number.isSafeInteger(v) || (v as number) < 0) throw new DataError(file, `${at}: a seed must be an integer ≥ 0, got ${JSON.stringify(v)}`);
      return v as number;
    }),
  };
  // Absent axes are left out, so that a sub-grid's axes replace the top-level ones axis by axis.
  return Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== undefined)) as Axes;
}

/** `over`'s values replace `base`'s, objects merged key by key (arrays and null replace). */
function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = key in base ? deepMerge(base[key], value) : value;
  return out;
}





function string(value: unknown, key: string, file: string): string {
  if (typeof value !== "string") throw new DataError(file, `${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function nonEmpty(value: unknown, key: string, file: string): string {
  const s = string(value, key, file);
  if (s.trim() === "") throw new DataError(file, `${key} must not be empty`);
  return s;
}
