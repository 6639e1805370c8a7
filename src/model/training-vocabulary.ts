/**
 * Training on the rows of the word-embedding table that a run's texts use.
 *
 * A multilingual table is mostly rows no text of a run contains: e5-small's is 250k XLM-R pieces
 * × 384 (96M floats), of which a run over MLQA-R and XQuAD-R uses about a fifth. Trained whole,
 * every step's gradient, clipping and AdamW update (moments and their temporaries) runs over all
 * of it, and e5-small's first step at batch 32 went past wasm's 4 GiB. A run knows its texts
 * before it starts (training, validation, benchmark), so the trainer cuts the table to their rows.
 *
 * This changes no result. A row outside them has a zero gradient at every step, and AdamW then
 * changes it only by the decoupled weight decay, p ← p · (1 − lr · wd): its moments stay 0, so
 * the Adam term m / (√v + ε) is exactly 0. `decay` records each step's factor, and `expand`
 * applies them in float32 as tfjs's multiply does, so the saved table is the one a run training
 * the whole table saves, bit for bit.
 */
import type { TextInput } from "./inputs.js";
import { gatherRows } from "./trim.js";
import type { NamedTensor } from "./types.js";

/** Inputs as one of the run's encode calls sees them (a `FillPart` of model/frozen-states.ts fits). */
export interface InputPart {
  readonly inputs: readonly TextInput[];
  readonly maxLength?: number;
  readonly prefix?: string;
}

/** What `inputTokenIds` needs of a model: its own tokenisation, prefixes and padding included. */
export interface Tokenizes {
  readonly config: { readonly padTokenId: number };
  encodeInputs(inputs: readonly TextInput[], options: { maxLength?: number; prefix?: string }): { readonly inputIds: Int32Array };
}

/**
 * Every token id that encoding `parts` with `model` produces (padding included): the rows a run
 * over these inputs reads. Tokenised exactly as the run will (same prefixes, truncation, case).
 */
export function inputTokenIds(model: Tokenizes, parts: readonly InputPart[]): Set<number> {
  const used = new Set<number>([model.config.padTokenId]);
  const chunk = 256;
  for (const part of parts) {
    for (let start = 0; start < part.inputs.length; start += chunk) {
      const batch = model.encodeInputs(part.inputs.slice(start, start + chunk), { maxLength: part.maxLength, prefix: part.prefix });
      for (const id of batch.inputIds) used.add(id);
    }
  }
  return used;
}

export class TrainingVocabulary {
  /** The token ids whose rows are trained, ascending: row i of the cut table is token rows[i]. */
  readonly rows: Int32Array;
  private readonly hidden: number;
  /** The whole [vocab, hidden] table. Rows outside `rows` are current up to the `pending` decays; the others are rewritten by `expand`. */
  private readonly table: Float32Array;
  private readonly kept: Uint8Array;
  /** float32 decay factors not yet applied to the rows outside `rows`, in step order. */
  private pending: number[] = [];

  private constructor(rows: Int32Array, table: NamedTensor) {
    this.rows = rows;
    this.hidden = table.shape[1];
    this.table = table.data;
    this.kept = new Uint8Array(table.shape[0]);
    for (const id of rows) this.kept[id] = 1;
  }

  /**
   * Cuts `table` [vocab, hidden] to the rows of `used`. The vocabulary keeps `table`'s array as
   * the whole table (the caller must not change it afterwards); `trimmed` is a new array.
   */
  static cut(table: NamedTensor, used: Iterable<number>): { vocabulary: TrainingVocabulary; trimmed: NamedTensor } {
    if (table.shape.length !== 2) throw new Error(`a word-embedding table is [vocab, hidden], not [${table.shape.join(", ")}]`);
    const [vocab] = table.shape;
    const ids = [...new Set(used)].sort((a, b) => a - b);
    for (const id of ids) {
      if (!(Number.isInteger(id) && id >= 0 && id < vocab)) throw new RangeError(`token id ${id} is outside the vocabulary of ${vocab}`);
    }
    const rows = Int32Array.from(ids);
    return { vocabulary: new TrainingVocabulary(rows, table), trimmed: gatherRows(table, rows) };
  }

  /** Rows of the whole table. */
  get vocabSize(): number {
    return this.kept.length;
  }

  /**
   * One optimiser step's multiplier of the rows outside `rows`: 1 − lr · weightDecay, or 1 when
   * the table is not decayed (`AdamW.decayFactor` gives it). Called once per step that updated
   * the weights.
   */
  decay(keep: number): void {
    if (!(Number.isFinite(keep) && keep > 0 && keep <= 1)) throw new RangeError(`decay factor ${keep} is not in (0, 1]`);
    // tfjs multiplies by the factor as a float32 scalar.
    const factor = Math.fround(keep);
    if (factor !== 1) this.pending.push(factor);
  }

  /**
   * The whole table, with `trimmed` (the cut table as trained) in its rows and every decay so far
   * applied to the others. The returned array is this vocabulary's own, valid until the next call.
   */
  expand(trimmed: NamedTensor): NamedTensor {
    const h = this.hidden;
    if (trimmed.shape[0] !== this.rows.length || trimmed.shape[1] !== h) {
      throw new Error(`the cut table is [${trimmed.shape.join(", ")}], expected [${this.rows.length}, ${h}]`);
    }
    const factors = this.pending;
    if (factors.length > 0) {
      const t = this.table;
      for (let row = 0; row < this.kept.length; row++) {
        if (this.kept[row] === 1) continue;
        for (let i = row * h; i < (row + 1) * h; i++) {
          // One float32 rounding per step, as p · keep is rounded on every step of the run.
          let x = t[i];
          for (const f of factors) x = Math.fround(x * f);
          t[i] = x;
        }
      }
      this.pending = [];
    }
    this.rows.forEach((id, i) => this.table.set(trimmed.data.subarray(i * h, (i + 1) * h), id * h));
    return { shape: [this.kept.length, h], data: this.table };
  }
}
