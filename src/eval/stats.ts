/**
 * The statistics the evaluation and the reports share, written out so they can be read and
 * checked against scipy / numpy: quantiles of a sample, Wilson's interval for a proportion, and
 * Pearson's χ² test against the uniform distribution with its survival function.
 */

/**
 * The q-quantile of an ascending sample by linear interpolation between order statistics
 * (numpy's default, `np.quantile(xs, q)`); NaN for an empty sample.
 *
 * @example
 * quantileSorted([1, 2, 3, 4], 0.5); // 2.5
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`q must be in [0, 1], got ${q}`);
  if (sorted.length === 0) return Number.NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/** Quartiles of a sample: [q1, median, q3]; NaNs for an empty sample. */
export function quartiles(values: readonly number[]): [number, number, number] {
  const s = [...values].sort((a, b) => a - b);
  return [quantileSorted(s, 0.25), quantileSorted(s, 0.5), quantileSorted(s, 0.75)];
}

/**
 * Wilson's score interval for a binomial proportion: unlike the normal approximation it stays
 * inside [0, 1] and is not empty at 0 or n successes, the cases α = 0 and α = 1 produce.
 *
 * @example
 * wilsonInterval(200, 400); // [0.451…, 0.548…]
 */
export function wilsonInterval(successes: number, n: number, z = 1.959963984540054): [number, number] {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`n must be a positive integer, got ${n}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new RangeError(`successes must be an integer in [0, ${n}], got ${successes}`);
  }
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At 0 or n successes one end is exactly 0 or 1 in exact arithmetic; rounding must not move it inside.
  return [successes === 0 ? 0 : Math.max(0, centre - half), successes === n ? 1 : Math.min(1, centre + half)];
}

/** Pearson's χ² test of observed category counts against the uniform distribution. */
export interface UniformityTest {
  /** Category → count, in the order given. */
  readonly counts: Readonly<Record<string, number>>;
  readonly total: number;
  readonly expected: number;
  readonly chi2: number;
  readonly df: number;
  /** P(χ²_df ≥ chi2). */
  readonly pValue: number;
}

/**
 * `observed` holds one category per draw (e.g. the language of each x-x batch); a draw outside
 * `categories` throws, and a category never drawn counts 0.
 *
 * @example
 * uniformityTest(["en", "de", "en", "de"], ["en", "de"]).chi2; // 0
 */
export function uniformityTest(observed: readonly string[], categories: readonly string[]): UniformityTest {
  if (categories.length < 2) throw new RangeError(`a uniformity test needs at least 2 categories, got ${categories.length}`);
  if (observed.length === 0) throw new RangeError("a uniformity test needs at least one draw");
  const counts = new Map(categories.map((c) => [c, 0]));
  for (const o of observed) {
    const c = counts.get(o);
    if (c === undefined) throw new Error(`uniformityTest: draw '${o}' is not one of ${categories.join(", ")}`);
    counts.set(o, c + 1);
  }
  const expected = observed.length / categories.length;
  const chi2 = [...counts.values()].reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
  const df = categories.length - 1;
  return { counts: Object.fromEntries(counts), total: observed.length, expected, chi2, df, pValue: chiSquareSurvival(chi2, df) };
}

/**
 * P(X ≥ x) for X ~ χ² with `df` degrees of freedom: the regularised upper incomplete gamma
 * function Q(df/2, x/2), by its series below a + 1 and its continued fraction above
 * (Numerical Recipes §6.2), accurate to ~1e-12.
 *
 * @example
 * chiSquareSurvival(3.841458820694124, 1); // 0.05
 */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`df must be positive, got ${df}`);
  if (!(x >= 0)) throw new RangeError(`x must be ≥ 0, got ${x}`);
  if (x === 0) return 1;
  const a = df / 2;
  const y = x / 2;
  const front = Math.exp(-y + a * Math.log(y) - logGamma(a));
  if (y < a + 1) {
    // Lower series P(a, y) = front · Σ yⁿ / (a (a+1) … (a+n)).
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000 && Math.abs(term) > Math.abs(sum) * 1e-15; n++) {
      term *= y / (a + n);
      sum += term;
    }
    return Math.min(1, Math.max(0, 1 - front * sum));
  }
  // Continued fraction for Q(a, y), modified Lentz.
  const tiny = 1e-300;
  let b = y + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.min(1, Math.max(0, front * h));
}

/** ln Γ(z) for z > 0 (Lanczos, g = 7, 9 terms: ~15 digits). */
function logGamma(z: number): number {
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const x = z - 1;
  let sum = c[0];
  for (let i = 1; i < g + 2; i++) sum += c[i] / (x + i);
  const t = x + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
}
