/**
 * The sampler section of a training config, resolved in three layers: typed defaults, then the
 * config file's `sampler` object (read through its field table), then command-line flags.
 * Unknown keys are errors, named, so a typo ("batch_size") never silently trains with a default.
 *
 * @example
 * // config.json: { "sampler": { "name": "hybrid", "alpha": "by-size", "batchSize": 64 } }
 * const fromFile = samplerConfigFromJson(json.sampler, "config.json");
 * const config = applySamplerFlags(fromFile, { seed: "7" }); // { name: "hybrid", alpha: "by-size", batchSize: 64, seed: 7 }
 */
import { at, custom, fail, type Field, group } from "../util/option-table.js";
import { DEFAULT_ALPHA } from "./hybrid.js";
import {
  alphaProblem,
  batchSizeProblem,
  SAMPLER_NAMES,
  samplerNameProblem,
  seedProblem,
  type Alpha,
  type SamplerName,
} from "./options.js";

export interface SamplerConfig {
  readonly name: SamplerName;
  readonly batchSize: number;
  readonly seed: number;
  readonly alpha: Alpha;
}

/** A sampler option, checked by the same function as the sampler constructors use. */
function checked<T>(problem: (value: unknown) => string | undefined, type: string, def: T, doc: string): Field<T> {
  return custom({
    type,
    defaultText: JSON.stringify(def),
    doc,
    absent: () => def,
    parse: (value, where) => {
      const p = problem(value);
      return p === undefined ? (value as T) : fail(where, `sampler: ${p}`);
    },
  });
}

/** The paper's setting: hybrid batches, α = 0.5, batch size 100. The seed is ours. */
export const SAMPLER_FIELDS = group<SamplerConfig>(
  {
    name: checked(samplerNameProblem, SAMPLER_NAMES.map((n) => `"${n}"`).join(" | "), "hybrid", "x-x: monolingual batches; x-y: cross-lingual batches; hybrid: x-x with probability α, else x-y."),
    batchSize: checked(batchSizeProblem, "integer ≥ 2", 100, "Pairs per batch (one pair has no in-batch negative)."),
    seed: checked(seedProblem, "integer", 42, "Seeds the batch order (set with model.seed by --seed)."),
    alpha: checked(alphaProblem, 'number in [0, 1], or "by-size"', DEFAULT_ALPHA, 'The hybrid\'s share of monolingual batches; "by-size" weighs the two pools by their sizes. Hybrid only.'),
  },
  "The batch sampler (`hybrid-ir batches` reads this section too).",
  {
    after: (config, raw, where) => {
      // Setting α for a sampler that ignores it is almost certainly a mistake about which sampler runs.
      if (raw.alpha !== undefined && config.name !== "hybrid") fail(where, `sampler: alpha applies to the hybrid sampler only, not ${config.name}`);
      return config;
    },
  },
);

export const DEFAULT_SAMPLER_CONFIG: SamplerConfig = SAMPLER_FIELDS.absent(at("(defaults)", "sampler"));

/** Reads the `sampler` object of a config file (absent: the defaults); `file` names the file in errors. */
export function samplerConfigFromJson(value: unknown, file: string): SamplerConfig {
  const where = at(file, "sampler");
  return value === undefined ? SAMPLER_FIELDS.absent(where) : SAMPLER_FIELDS.parse(value, where);
}

/** Command-line values, as typed. */
export interface SamplerFlags {
  readonly sampler?: string;
  readonly batchSize?: string;
  readonly seed?: string;
  /** A number or "by-size". */
  readonly alpha?: string;
}

/** Layers flags over `config`; a bad value throws a RangeError naming the flag. */
export function applySamplerFlags(config: SamplerConfig, flags: SamplerFlags): SamplerConfig {
  const number = (flag: string, text: string): number => {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n)) throw new RangeError(`--${flag} takes a number, got '${text}'`);
    return n;
  };
  const merged: Record<string, unknown> = { ...config };
  if (flags.sampler !== undefined) merged.name = flags.sampler;
  if (flags.batchSize !== undefined) merged.batchSize = number("batch-size", flags.batchSize);
  if (flags.seed !== undefined) merged.seed = number("seed", flags.seed);
  if (flags.alpha !== undefined) merged.alpha = flags.alpha === "by-size" ? "by-size" : number("alpha", flags.alpha);
  const problem =
    samplerNameProblem(merged.name) ?? batchSizeProblem(merged.batchSize) ?? seedProblem(merged.seed) ?? alphaProblem(merged.alpha);
  if (problem !== undefined) throw new RangeError(problem);
  if (flags.alpha !== undefined && merged.name !== "hybrid") throw new RangeError(`alpha applies to the hybrid sampler only, not ${String(merged.name)}`);
  return merged as unknown as SamplerConfig;
}
