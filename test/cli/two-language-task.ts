import type { EvalTask } from "../../src/eval/types.js";

/**
 * Two languages; query a (en) is answered by d0 (en) and d2 (de), query b (de) by d3 (de).
 * Score rows (exact in float32): a → d0 1, d1 0.125, d2 0.5, d3 0.75; b → 0.25, 0.375, 0.5, 0.875.
 */
export const TASK: EvalTask = {
  languages: ["de", "en"],
  queryLang: Int32Array.from([1, 0]),
  candidateLang: Int32Array.from([1, 1, 0, 0]),
  relevant: [Int32Array.from([0, 2]), Int32Array.from([3])],
  queryIds: ["a", "b"],
};
export const DOC_IDS = ["d0", "d1", "d2", "d3"];
export const SCORES = Float32Array.from([1, 0.125, 0.5, 0.75, 0.25, 0.375, 0.5, 0.875]);
