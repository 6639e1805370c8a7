/** Command-line values as typed: a bad one is a RangeError naming the flag (the CLI adds its usage). */

/** A whole number ≥ `min` from a flag's text. */
export function flagInteger(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isSafeInteger(n) || n < min) throw new RangeError(`--${flag} takes an integer ≥ ${min}, got '${text}'`);
  return n;
}
