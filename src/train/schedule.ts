/**
 * The learning-rate schedule as a pure function of the step, so a resumed run needs nothing but
 * its step count to be back on the same curve.
 */

export const SCHEDULES = ["linear", "constant"] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

/**
 * Both schedules warm up linearly from 0 to `peak` over `warmupSteps`; "linear" then decays
 * linearly to 0 at `totalSteps` (transformers' get_linear_schedule_with_warmup), "constant"
 * stays at `peak` (get_constant_schedule_with_warmup).
 *
 * @example
 * const options: ScheduleOptions = { peak: 3e-5, warmupSteps: 100, totalSteps: 1000, schedule: "linear" };
 * learningRate(50, options);  // 1.5e-5
 * learningRate(550, options); // 1.5e-5
 */
export interface ScheduleOptions {
  /** The rate at the end of warm-up; finite, > 0. The paper's is 3e-5. */
  readonly peak: number;
  /** Integer >= 0 and <= totalSteps; 0 starts at the peak. */
  readonly warmupSteps: number;
  /** Integer >= 1: the optimiser steps of the whole run. */
  readonly totalSteps: number;
  readonly schedule: ScheduleName;
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`learningRate: ${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}

/** Throws naming the first bad option and its allowed range. */
export function checkScheduleOptions(options: ScheduleOptions): void {
  const { peak, warmupSteps, totalSteps, schedule } = options;
  if (typeof peak !== "number" || !Number.isFinite(peak) || peak <= 0) {
    throw new RangeError(`learningRate: peak must be a finite number > 0, got ${String(peak)}`);
  }
  checkInteger("totalSteps", totalSteps, 1);
  checkInteger("warmupSteps", warmupSteps, 0);
  if (warmupSteps > totalSteps) {
    throw new RangeError(`learningRate: warmupSteps (${warmupSteps}) must be <= totalSteps (${totalSteps})`);
  }
  if (!SCHEDULES.includes(schedule)) {
    throw new RangeError(`learningRate: unknown schedule '${String(schedule)}' (expected one of: ${SCHEDULES.join(", ")})`);
  }
}

/**
 * The rate for optimiser step `step` (0-based: the first update uses step 0, which is 0 under
 * warm-up, as with transformers' LambdaLR). Past `totalSteps` "linear" stays at 0.
 */
export function learningRate(step: number, options: ScheduleOptions): number {
  checkScheduleOptions(options);
  checkInteger("step", step, 0);
  const { peak, warmupSteps, totalSteps, schedule } = options;
  if (step < warmupSteps) return peak * (step / warmupSteps);
  if (schedule === "constant") return peak;
  // Tested before dividing: with warmupSteps === totalSteps the decay has no length.
  if (step >= totalSteps) return 0;
  return peak * ((totalSteps - step) / (totalSteps - warmupSteps));
}
