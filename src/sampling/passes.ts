/**
 * A pool walked in shuffled passes: a fresh shuffle for every pass, every item about once per
 * pass. Compared with drawing each batch independently, a pass sees the whole pool before
 * repeating it; compared with one pass per epoch, the epoch length is free of the pool's size,
 * which lets a sampler draw small languages as often as large ones.
 */
import { randomInt, type Random } from "../util/random.js";

export class ShuffledPasses {
  private order: number[] = [];
  private next = 0;
  /** Items that met a key already in their batch, in the order they met it; they go first next time. */
  private waiting: number[] = [];

  /**
   * `items` are distinct; items with the same `keyOf` never share a batch; `rand` belongs to
   * this walk alone. The caller checks that the items have at least as many distinct keys as
   * any `take` asks for.
   */
  constructor(
    private readonly items: readonly number[],
    private readonly keyOf: (item: number) => number,
    private readonly rand: Random,
  ) {}

  /**
   * The next `n` items, no two with the same key. An item whose key is taken waits for a later
   * batch. A new pass leaves out the waiting items (they are still due from the last one) and
   * moves the items of the batch being filled to its end, so they are not due again at once.
   * It always completes: a new pass holds an item of every key not yet in the batch.
   */
  take(n: number): number[] {
    const out: number[] = [];
    const keys = new Set<number>();
    const offer = (item: number, onTaken: number[]) => {
      const key = this.keyOf(item);
      if (keys.has(key)) onTaken.push(item);
      else {
        keys.add(key);
        out.push(item);
      }
    };
    const waiting = this.waiting;
    this.waiting = [];
    for (const item of waiting) {
      if (out.length < n) offer(item, this.waiting);
      else this.waiting.push(item);
    }
    let passes = 0;
    while (out.length < n) {
      if (this.next === this.order.length) {
        // By the argument above one new pass suffices; a second means the caller's check failed.
        if (++passes > 1) throw new Error(`cannot take ${n} items with distinct keys: the pool has fewer keys`);
        this.startPass(out);
      }
      offer(this.order[this.next++], this.waiting);
    }
    return out;
  }

  private startPass(inBatch: readonly number[]): void {
    const order = [...this.items];
    for (let i = order.length - 1; i > 0; i--) {
      const j = randomInt(this.rand, i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const waiting = new Set(this.waiting);
    const held = new Set(inBatch);
    const fresh = order.filter((x) => !waiting.has(x) && !held.has(x));
    this.order = held.size === 0 ? fresh : [...fresh, ...order.filter((x) => held.has(x))];
    this.next = 0;
  }
}
