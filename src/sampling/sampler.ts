/**
 * The factory from a sampler's name to its class (the interfaces are in types.ts). A sampler hands
 * out batches of record indices for the training loop to encode; it never sees text or tensors.
 */
import { CrossLingualSampler } from "./x-y.js";
import { HybridSampler } from "./hybrid.js";
import { MonolingualSampler } from "./x-x.js";
import { assertNoProblem, samplerNameProblem, type SamplerName } from "./options.js";
import type { TrainingPools } from "./pools.js";
import type { BatchSampler, SamplerOptions } from "./types.js";

export { SAMPLER_NAMES, isSamplerName, type Alpha, type SamplerName } from "./options.js";
// The factory's users get the interfaces with it; the samplers themselves import types.ts.
export type { Batch, BatchPair, BatchSampler, SamplerOptions, SamplerState } from "./types.js";

/** Every sampler's class takes (pools, options). */
export type SamplerClass = new (pools: TrainingPools, options: SamplerOptions) => BatchSampler;

export const SAMPLERS: Readonly<Record<SamplerName, SamplerClass>> = {
  "x-x": MonolingualSampler,
  "x-y": CrossLingualSampler,
  hybrid: HybridSampler,
};

/** Builds the named sampler; every option is checked, and a bad one throws a RangeError naming it. */
export function createSampler(name: SamplerName, pools: TrainingPools, options: SamplerOptions): BatchSampler {
  assertNoProblem(samplerNameProblem(name));
  return new SAMPLERS[name](pools, options);
}
