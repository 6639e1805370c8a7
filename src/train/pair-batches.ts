/**
 * A sampler's batch of (query record, passage record) index pairs → texts in the pair's
 * languages → token ids with the run's prefixes and max lengths; and the batches without end.
 */
import type { FillPart } from "../model/frozen-states.js";
import type { TextInput } from "../model/inputs.js";
import type { SentenceEncoder } from "../model/sentence-encoder.js";
import type { Batch, BatchSampler } from "../sampling/types.js";
import type { TrainingRecord } from "../train-data/format.js";
import type { RunConfig } from "./config.js";
import type { EncodedPairs } from "./validation.js";

/** A pair's texts: the query of one record in the pair's query language, the positive (and paragraph) of another. */
export function pairInputs(batch: Batch, records: readonly TrainingRecord[], withContext: boolean): { queries: TextInput[]; passages: TextInput[] } {
  return {
    queries: batch.pairs.map((p) => ({ text: records[p.query].query })),
    passages: batch.pairs.map((p) => passageInput(records[p.passage], withContext)),
  };
}

function passageInput(r: TrainingRecord, withContext: boolean): TextInput {
  return { text: r.positive, context: withContext ? r.context : undefined };
}

export function encodePairs(model: SentenceEncoder, batch: Batch, records: readonly TrainingRecord[], config: RunConfig): EncodedPairs {
  const { queries, passages } = pairInputs(batch, records, config.data.withContext);
  return {
    queries: model.encodeInputs(queries, { maxLength: config.maxQueryLength, prefix: config.prefixes.query }),
    passages: model.encodeInputs(passages, { maxLength: config.maxPassageLength, prefix: config.prefixes.passage }),
  };
}

/** Every query and passage of `records` with the run's prefixes and limits: what its steps and validation encode. */
export function recordInputs(records: readonly TrainingRecord[], config: RunConfig): FillPart[] {
  return [
    { inputs: records.map((r) => ({ text: r.query })), maxLength: config.maxQueryLength, prefix: config.prefixes.query },
    { inputs: records.map((r) => passageInput(r, config.data.withContext)), maxLength: config.maxPassageLength, prefix: config.prefixes.passage },
  ];
}

/** The sampler's batches without end: each epoch after the previous one. */
export function endless(sampler: BatchSampler): { next(): Batch } {
  let it = sampler[Symbol.iterator]();
  return {
    next() {
      let r = it.next();
      if (r.done) {
        it = sampler[Symbol.iterator]();
        r = it.next();
        if (r.done) throw new Error(`the ${sampler.name} sampler yields no batch: too few training records for its batch size`);
      }
      return r.value;
    },
  };
}
