/**
 * The batches `SentenceEncoder.embed` forms, serially or on workers alike: the same texts in
 * the same batch give the same embeddings bit for bit, so this plan is what makes the thread
 * count invisible in the results.
 */
import type { TextInput } from "./inputs.js";

/**
 * Input indices in batches of `batchSize`, longest text first (as sentence-transformers does,
 * so padding is small); ties keep input order (the sort is stable).
 */
export function embedBatches(inputs: readonly TextInput[], batchSize: number): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize: ${batchSize} is not a positive integer`);
  const order = inputs.map((_, i) => i).sort((a, b) => length(inputs[b]) - length(inputs[a]));
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += batchSize) batches.push(order.slice(start, start + batchSize));
  return batches;
}

function length(input: TextInput): number {
  return input.text.length + (input.context?.length ?? 0);
}
