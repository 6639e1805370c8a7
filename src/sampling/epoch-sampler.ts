/**
 * What the three samplers share: epochs, position and resume. A subclass supplies only the
 * endless batch stream of an epoch, a pure function of (seed, epoch); the base cuts it to
 * `length` batches and resumes by replaying the stream up to the saved batch, which costs
 * building the skipped batches (index arrays, no text) and nothing else.
 */
import { assertNoProblem, batchSizeProblem, seedProblem, type SamplerName } from "./options.js";
import type { Batch, BatchSampler, SamplerOptions, SamplerState } from "./types.js";
import type { TrainingPools } from "./pools.js";

export abstract class EpochSampler implements BatchSampler {
  abstract readonly name: SamplerName;
  abstract readonly length: number;
  readonly batchSize: number;
  readonly seed: number;
  private epoch = 0;
  private batch = 0;

  constructor(
    readonly pools: TrainingPools,
    options: SamplerOptions,
  ) {
    assertNoProblem(batchSizeProblem(options.batchSize), seedProblem(options.seed));
    this.batchSize = options.batchSize;
    this.seed = options.seed;
  }

  /**
   * The batches of `epoch`, without end: the hybrid draws from its parts' streams past their
   * own `length`. Two calls with the same epoch yield the same sequence.
   */
  abstract stream(epoch: number): Generator<Batch, never, undefined>;

  setEpoch(epoch: number): void {
    assertEpoch(epoch);
    this.epoch = epoch;
    this.batch = 0;
  }

  state(): SamplerState {
    return { sampler: this.name, seed: this.seed, epoch: this.epoch, batch: this.batch };
  }

  restore(state: SamplerState): void {
    if (state.sampler !== this.name || state.seed !== this.seed) {
      throw new Error(
        `cannot restore a ${state.sampler} sampler with seed ${state.seed} into a ${this.name} sampler with seed ${this.seed}`,
      );
    }
    assertEpoch(state.epoch);
    if (!Number.isInteger(state.batch) || state.batch < 0 || state.batch > this.length) {
      throw new RangeError(`batch ${state.batch} is outside epoch length ${this.length} (did the training data change?)`);
    }
    // The end of an epoch is the start of the next, the form state() itself reports.
    [this.epoch, this.batch] = state.batch === this.length ? [state.epoch + 1, 0] : [state.epoch, state.batch];
  }

  *[Symbol.iterator](): Generator<Batch, void, undefined> {
    const epoch = this.epoch;
    const stream = this.stream(epoch);
    for (let i = 0; i < this.batch; i++) stream.next();
    for (let i = this.batch; i < this.length; i++) {
      const { value } = stream.next();
      // Advance before handing the batch out, so a state taken while the consumer works on it resumes after it.
      if (i + 1 === this.length) [this.epoch, this.batch] = [epoch + 1, 0];
      else this.batch = i + 1;
      yield value;
    }
  }
}

function assertEpoch(epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`epoch must be an integer ≥ 0, got ${epoch}`);
}
