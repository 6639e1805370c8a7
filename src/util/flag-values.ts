/** Command-line values as typed: a bad one is a RangeError naming the flag (the CLI adds its usage). */

/**
 * A whole number ≥ `min` from a flag's text, written in decimal digits: `Number` alone would also
 * take "0x10", "1e3" and " 7 ", which nobody types meaning a step count.
 */
export function flagInteger(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) throw new RangeError(`--${flag} takes an integer ≥ ${min}, got '${text}'`);
  return n;
}
