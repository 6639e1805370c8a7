/**
 * Dropout masks that depend only on (seed, dropout site, example, position in the example), not on
 * which other examples share the forward pass nor how far the batch is padded. Gradient caching
 * (src/train/grad-cache.ts) runs a batch through the encoder in chunks, twice; with masks drawn
 * per tensor (tfjs's `tf.dropout`) each chunk, and each pass, would drop different units than the
 * whole batch does, and the cached gradients would belong to another network. Here the unit kept
 * at row r, coordinates c is a pure function of (seed, site, r, c): a counter-based generator (one
 * integer hash per unit) instead of a stream.
 */

/** Murmur3's 32-bit finaliser: a bijection on 32-bit integers that mixes every input bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Where one forward pass's rows sit in the batch, and which mask stream it draws from. */
export interface MaskStream {
  /** Any integer; two calls with equal seeds (and sites, rows, coordinates) drop the same units. */
  readonly seed: number;
  /** The dropout site in the network (each site gets its own masks). */
  readonly site: number;
  /** Index in the whole batch of this tensor's first row: a chunk of rows 8..15 passes 8. */
  readonly rowOffset: number;
}

/**
 * A dropout multiplier for a tensor [rows, ...inner]: 1 / (1 − rate) where a unit is kept,
 * 0 where it is dropped (each unit kept with probability 1 − rate), row-major.
 *
 * `bounds[i]` ≥ `inner[i]` is the largest size axis i may ever have (the position table's length
 * for a sequence axis): units are numbered in a [rows, ...bounds] layout, so the same token gets
 * the same mask whether its row is padded to 40 tokens or to 120.
 *
 * @example
 * // hidden states [batch·seq, hidden] viewed as [batch, seq, hidden]
 * dropoutMask(0.1, { seed, site: 0, rowOffset: 0 }, batch, [seq, hidden], [maxSeq, hidden]);
 */
export function dropoutMask(rate: number, stream: MaskStream, rows: number, inner: readonly number[], bounds: readonly number[]): Float32Array {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout rate ${rate} is not in [0, 1)`);
  if (inner.length === 0 || inner.length !== bounds.length || inner.some((d, i) => d > bounds[i])) {
    throw new RangeError(`dropoutMask: inner shape [${inner.join(", ")}] does not fit within bounds [${bounds.join(", ")}]`);
  }
  const last = inner[inner.length - 1];
  const perRow = inner.reduce((p, d) => p * d, 1);
  const out = new Float32Array(rows * perRow);
  const keepScale = 1 / (1 - rate);
  // Kept when the unit's 32-bit hash is at or above rate · 2³².
  const threshold = Math.min(Math.ceil(rate * 2 ** 32), 2 ** 32 - 1);
  // Canonical stride of each axis in the bounds layout.
  const strides = bounds.map((_, i) => bounds.slice(i + 1).reduce((p, d) => p * d, 1));
  const lines = perRow / last;
  const siteKey = fmix32(fmix32(stream.seed | 0) ^ Math.imul(stream.site + 1, 0x9e3779b9));
  const coords = new Array<number>(inner.length - 1).fill(0);
  for (let r = 0; r < rows; r++) {
    const rowKey = fmix32(siteKey ^ fmix32(Math.imul(stream.rowOffset + r + 1, 0x632be5ab)));
    coords.fill(0);
    for (let line = 0; line < lines; line++) {
      let base = 0;
      for (let i = 0; i < coords.length; i++) base += coords[i] * strides[i];
      const at = (r * lines + line) * last;
      for (let k = 0; k < last; k++) {
        const h = fmix32(rowKey ^ Math.imul(base + k, 0x9e3779b1));
        out[at + k] = h >= threshold ? keepScale : 0;
      }
      // Odometer over the leading inner axes.
      for (let i = coords.length - 1; i >= 0; i--) {
        if (++coords[i] < inner[i]) break;
        coords[i] = 0;
      }
    }
  }
  return out;
}
