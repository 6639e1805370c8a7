/** Command-line values as typed: a bad one is a RangeError naming the flag (the CLI adds its usage). */

/**
 * The whole number a flag's text writes in decimal digits, or null: `Number` alone would also take
 * "", "0x10", "1e3" and " 7 ", which nobody types meaning a step count.
 */
export function wholeNumber(text: string): number | null {
  const n = Number(text);
  return /^[+-]?\d+$/.test(text) && Number.isSafeInteger(n) ? n : null;
}

/** A whole number ≥ `min` from a flag's text. */
export function flagInteger(flag: string, text: string, min: number): number {
  const n = wholeNumber(text);
  if (n === null || n < min) throw new RangeError(`--${flag} takes an integer ≥ ${min}, got '${text}'`);
  return n;
}
