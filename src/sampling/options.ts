/**
 * The samplers' option checks, shared by the factory, the sampler constructors and the config
 * reader so that a bad value is reported the same way wherever it comes from.
 */

export const SAMPLER_NAMES = ["x-x", "x-y", "hybrid"] as const;

/** x-x: monolingual batches; x-y: cross-lingual batches; hybrid: a mix of the two. */
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/** The hybrid's share of monolingual batches: a probability, or "by-size" (see HybridSampler). */
export type Alpha = number | "by-size";

export function isSamplerName(name: unknown): name is SamplerName {
  return typeof name === "string" && (SAMPLER_NAMES as readonly string[]).includes(name);
}

/** Each returns why the value is unusable, or undefined when it is fine. */
export function samplerNameProblem(name: unknown): string | undefined {
  return isSamplerName(name) ? undefined : `unknown sampler ${JSON.stringify(name)} (valid: ${SAMPLER_NAMES.join(", ")})`;
}

export function batchSizeProblem(batchSize: unknown): string | undefined {
  // One pair has no in-batch negative, so the contrastive loss would be constant.
  return Number.isInteger(batchSize) && (batchSize as number) >= 2
    ? undefined
    : `batchSize must be an integer ≥ 2, got ${JSON.stringify(batchSize)}`;
}

export function seedProblem(seed: unknown): string | undefined {
  return Number.isSafeInteger(seed) ? undefined : `seed must be an integer, got ${JSON.stringify(seed)}`;
}

export function alphaProblem(alpha: unknown): string | undefined {
  if (alpha === "by-size") return undefined;
  return typeof alpha === "number" && alpha >= 0 && alpha <= 1
    ? undefined
    : `alpha must be a number in [0, 1] or "by-size", got ${JSON.stringify(alpha)}`;
}

/** Throws the first problem, as a RangeError. */
export function assertNoProblem(...problems: (string | undefined)[]): void {
  const problem = problems.find((p) => p !== undefined);
  if (problem !== undefined) throw new RangeError(problem);
}
