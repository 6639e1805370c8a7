/**
 * Run-size presets shared by the notebooks and the CLI. `small` keeps every candidate (the
 * pool is what makes the task hard) but scores a subset of the questions, so CI runs the
 * notebooks in minutes; `full` is the paper's protocol.
 */
export type PresetName = "small" | "full";

export interface Preset {
  readonly name: PresetName;
  /** Questions kept per dataset, by parallel id (first N ids in file order); undefined = all. */
  readonly maxQuestionIds: number | undefined;
}

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  small: { name: "small", maxQuestionIds: 150 },
  full: { name: "full", maxQuestionIds: undefined },
};

/** The preset named by `HYBRID_IR_PRESET` (default `small`); an unknown name is an error. */
export function presetFromEnv(env: NodeJS.ProcessEnv = process.env): Preset {
  const name = env.HYBRID_IR_PRESET ?? "small";
  if (name !== "small" && name !== "full") {
    throw new Error(`HYBRID_IR_PRESET=${name}: unknown preset (expected one of: small, full)`);
  }
  return PRESETS[name];
}
