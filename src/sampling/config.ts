/**
 * The sampler section of a training config, resolved in three layers: typed defaults, then the
 * config file's `sampler` object, then command-line flags. Unknown keys are errors, named, so a
 * typo ("batch_size") never silently trains with a default.
 *
 * @example
 * // config.json: { "sampler": { "name": "hybrid", "alpha": "by-size", "batchSize": 64 } }
 * const fromFile = samplerConfigFromJson(json.sampler, "config.json");
 * const config = applySamplerFlags(fromFile, { seed: "7" }); // { name: "hybrid", alpha: "by-size", batchSize: 64, seed: 7 }
 */
import { DataError } from "../data/errors.js";
import { DEFAULT_ALPHA } from "./hybrid.js";
import {
  alphaProblem,
  batchSizeProblem,
  samplerNameProblem,
  seedProblem,
  type Alpha,
  type SamplerName,
} from "./options.js";

export interface SamplerConfig {
  readonly name: SamplerName;
  /** Pairs per batch. */
  readonly batchSize: number;
  readonly seed: number;
  /** Used by the hybrid sampler only. */
  readonly alpha: Alpha;
}

/** The paper's setting: hybrid batches, α = 0.5, batch size 100. The seed is ours. */
export const DEFAULT_SAMPLER_CONFIG: SamplerConfig = { name: "hybrid", batchSize: 100, seed: 42, alpha: DEFAULT_ALPHA };

const KEYS = ["name", "batchSize", "seed", "alpha"] as const;

/** Layers the `sampler` object of a config file over `base`; `file` names the file in errors. */
export function samplerConfigFromJson(value: unknown, file: string, base: SamplerConfig = DEFAULT_SAMPLER_CONFIG): SamplerConfig {
  if (value === undefined) return base;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DataError(file, `'sampler' must be an object with keys ${KEYS.join(", ")}`);
  }
  const obj = value as Record<string, unknown>;
  const unknown = Object.keys(obj).filter((k) => !(KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new DataError(file, `unknown key${unknown.length > 1 ? "s" : ""} in 'sampler': ${unknown.join(", ")} (known: ${KEYS.join(", ")})`);
  }
  const merged = { ...base, ...obj };
  const problem = configProblem(merged, "alpha" in obj);
  if (problem !== undefined) throw new DataError(file, `sampler: ${problem}`);
  return merged as SamplerConfig;
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
  const problem = configProblem(merged, flags.alpha !== undefined);
  if (problem !== undefined) throw new RangeError(problem);
  return merged as unknown as SamplerConfig;
}

function configProblem(config: Record<string, unknown>, alphaGiven: boolean): string | undefined {
  const problem =
    samplerNameProblem(config.name) ??
    batchSizeProblem(config.batchSize) ??
    seedProblem(config.seed) ??
    alphaProblem(config.alpha);
  if (problem !== undefined) return problem;
  // Setting α for a sampler that ignores it is almost certainly a mistake about which sampler runs.
  if (alphaGiven && config.name !== "hybrid") return `alpha applies to the hybrid sampler only, not ${config.name}`;
  return undefined;
}
