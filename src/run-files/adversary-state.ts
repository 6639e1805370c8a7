/**
 * adversary.json of a checkpoint of the adversarial strategy (train/adversarial.ts): the
 * language discriminator's weights and optimiser moments, float32 as base64, and the shape and
 * language set they belong to.
 *
 * Versions are in `format`: "hybrid-ir/adversary@1" is the only one so far.
 */
import { join } from "node:path";
import { DataError } from "../util/errors.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { isPlainObject } from "../util/json-fields.js";
import { fieldsOf, readJsonObject } from "./schema.js";

export const ADVERSARY_STATE_NAME = "adversary.json";
const FORMAT = "hybrid-ir/adversary@1";

/** The discriminator's state, by role ("hidden", "out", ...). */
export interface AdversaryState {
  readonly languages: readonly string[];
  readonly dim: number;
  readonly hidden: number;
  /** The discriminator optimiser's step. */
  readonly step: number;
  readonly weights: Readonly<Record<string, Float32Array>>;
  readonly moments: Readonly<Record<string, { readonly step: number; readonly m: Float32Array; readonly v: Float32Array }>>;
}

export async function writeAdversaryState(dir: string, state: AdversaryState): Promise<void> {
  const weights = Object.fromEntries(Object.entries(state.weights).map(([role, w]) => [role, base64(w)]));
  const moments = Object.fromEntries(Object.entries(state.moments).map(([role, s]) => [role, { step: s.step, m: base64(s.m), v: base64(s.v) }]));
  const file = { format: FORMAT, languages: state.languages, dim: state.dim, hidden: state.hidden, step: state.step, weights, moments };
  await writeFileAtomic(join(dir, ADVERSARY_STATE_NAME), JSON.stringify(file) + "\n");
}

/** adversary.json of checkpoint `dir`; a file that is not one is a DataError naming the field. */
export async function readAdversaryState(dir: string): Promise<AdversaryState> {
  const path = join(dir, ADVERSARY_STATE_NAME);
  const json = await readJsonObject(path);
  const { fail, int, object, array } = fieldsOf(path);
  if (json.format !== FORMAT) throw new DataError(path, `format '${String(json.format)}' is not ${FORMAT}`);
  const languages = array(json, "languages");
  if (!languages.every((l) => typeof l === "string")) fail("languages", "an array of language codes", languages);
  const floats = (v: unknown, field: string): Float32Array => {
    if (typeof v !== "string") return fail(field, "base64 float32 values", v);
    const bytes = Buffer.from(v, "base64");
    if (bytes.length % 4 !== 0) return fail(field, "base64 float32 values (a multiple of 4 bytes)", `${bytes.length} bytes`);
    const out = new Float32Array(bytes.length / 4);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  };
  const weights = Object.fromEntries(Object.entries(object(json, "weights")).map(([role, w]) => [role, floats(w, `weights.${role}`)]));
  const moments = Object.fromEntries(
    Object.entries(object(json, "moments")).map(([role, s]) => {
      if (!isPlainObject(s)) return fail(`moments.${role}`, "an object", s);
      return [role, { step: int(s, "step"), m: floats(s.m, `moments.${role}.m`), v: floats(s.v, `moments.${role}.v`) }];
    }),
  );
  return { languages: languages as string[], dim: int(json, "dim"), hidden: int(json, "hidden"), step: int(json, "step"), weights, moments };
}

function base64(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString("base64");
}
