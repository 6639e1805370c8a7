/**
 * The output of an encoder's frozen part (embeddings and the layers below `trainLayers`), kept
 * per token sequence. When only the top layers train, that part gives the same output for a text
 * at every step, in every validation and evaluation, and in every run from the same weights: it
 * is computed once per distinct input and, with a directory, kept on disk for later runs.
 *
 * On disk: `<dir>/<fingerprint>/<content sha>.bin`, shards appended as runs meet new inputs (two
 * runs writing at once write different files, or the same bytes under the same name). The
 * fingerprint hashes the encoder's configuration, the split layer and the frozen weights, so a
 * directory never serves another model, and the engine of wasm's matrix products when it is a
 * BLAS (compute/blas.ts; XNNPACK's fingerprints are those from before there was a choice), whose
 * last bits differ. States are computed with one BLAS thread, so that the thread count of the
 * process that computed them does not matter. A shard:
 *   "HIRFROZ1", u32 hidden, u32 entries, then per entry: u32 length, u32 hasTypes, i32 ids[length],
 *   (i32 tokenTypes[length] when hasTypes), f32 states[length × hidden]; little-endian.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { removeStaleTempFiles, writeFileAtomic } from "../util/atomic-write.js";
import { DataError } from "../util/errors.js";
import { hybridIrCacheDir } from "../paths.js";
import { activeBlas, withBlasThreadsSync } from "../compute/blas.js";
import type { Encoder } from "./encoder.js";
import { embedBatches } from "./embed-batches.js";
import type { EncodedBatch, TextInput } from "./inputs.js";
import type { SentenceEncoder } from "./sentence-encoder.js";

const MAGIC = "HIRFROZ1";
const HEADER_BYTES = 16;
/** Shards are cut at about this size, so no one file (or Buffer) grows past what Node handles well. */
const SHARD_BYTES = 256 * 2 ** 20;
/** Tokens per call of the frozen part when filling missing rows. */
const TOKENS_PER_CALL = 4096;
/** Inputs tokenised at once by `fillFrozenStates`: sorted by length, so each exact length comes in groups. */
const FILL_CHUNK = 512;
/** Texts computed between two writes (and reads of other processes' writes) while filling. */
const FLUSH_EVERY = 4096;

/** `<cache>/frozen-states`: under $HYBRID_IR_CACHE, else ~/.cache/hybrid-ir. */
export function defaultFrozenStatesDir(): string {
  return hybridIrCacheDir("frozen-states");
}

/** One cached input. */
export interface Entry {
  readonly ids: Int32Array;
  /** null: every token has type 0. */
  readonly types: Int32Array | null;
  /** [ids.length × hidden] */
  readonly states: Float32Array;
}

function keyOf(ids: Int32Array, types: Int32Array | null): string {
  return types === null ? ids.join(",") : `${ids.join(",")}/${types.join(",")}`;
}

/** Row r of a padded batch: its real tokens (padding is trailing, inputs.ts) and their types, null when all 0. */
function rowOf(batch: EncodedBatch, r: number): { ids: Int32Array; types: Int32Array | null } {
  const start = r * batch.seqLen;
  let length = 0;
  while (length < batch.seqLen && batch.attentionMask[start + length] !== 0) length++;
  const ids = batch.inputIds.slice(start, start + length);
  const types = batch.tokenTypeIds.slice(start, start + length);
  return { ids, types: types.some((t) => t !== 0) ? types : null };
}

export class FrozenStates {
  private readonly entries = new Map<string, Entry>();
  /** Keys computed in this process and not yet written. */
  private unsaved: string[] = [];
  /** Shard files read or written by this process. */
  private readonly known = new Set<string>();

  private constructor(
    /** Hex digest of the encoder's configuration, split layer and frozen weights. */
    readonly fingerprint: string,
    readonly frozenLayers: number,
    readonly hidden: number,
    /** `<dir>/<fingerprint>`, or null for a cache that lives only in memory. */
    readonly storeDir: string | null,
  ) {}

  /**
   * The cache for `encoder`'s frozen part (it must have one: built with `trainLayers`), with
   * every shard already in `dir/<fingerprint>` read in; `dir` null keeps it in memory only.
   */
  static async open(encoder: Encoder, dir: string | null): Promise<FrozenStates> {
    if (encoder.frozenLayers === null) throw new Error("the encoder has no frozen part (it was built without trainLayers)");
    const fingerprint = frozenFingerprint(encoder);
    const states = new FrozenStates(fingerprint, encoder.frozenLayers, encoder.config.hiddenSize, dir === null ? null : join(dir, fingerprint));
    if (states.storeDir !== null) {
      // A shard write killed midway (kill -9) leaves only its temporary file: never read, removed here.
      await removeStaleTempFiles(states.storeDir);
      await states.readShards(states.storeDir);
    }
    return states;
  }

  /** Distinct inputs held. */
  get size(): number {
    return this.entries.size;
  }

  /** Inputs computed in this process and not yet written by `flush`. */
  get pending(): number {
    return this.unsaved.length;
  }

  /**
   * The frozen part's output for a padded batch, [batch·seq, hidden] with zeros on padding (the
   * layers above mask padded keys, and pooling padded rows), computing the inputs not held yet
   * with `encoder`, grouped by length so that none of them is padded.
   */
  statesOf(batch: EncodedBatch, encoder: Encoder): tf.Tensor2D {
    const keys = this.ensure(batch, encoder);
    const h = this.hidden;
    const out = new Float32Array(batch.batch * batch.seqLen * h);
    keys.forEach((key, r) => out.set(this.entries.get(key)!.states, r * batch.seqLen * h));
    return tf.tensor2d(out, [batch.batch * batch.seqLen, h]);
  }

  /** Computes (with `encoder`) the rows of `batch` not held yet; returns every row's key. */
  ensure(batch: EncodedBatch, encoder: Encoder): string[] {
    if (encoder.frozenLayers !== this.frozenLayers || encoder.config.hiddenSize !== this.hidden) {
      throw new Error(`these frozen states are of ${this.frozenLayers} layers × ${this.hidden}, the encoder freezes ${encoder.frozenLayers} × ${encoder.config.hiddenSize}`);
    }
    const rows = Array.from({ length: batch.batch }, (_, r) => rowOf(batch, r));
    const keys = rows.map((row) => keyOf(row.ids, row.types));
    const missing = new Map<string, { ids: Int32Array; types: Int32Array | null }>();
    rows.forEach((row, r) => {
      if (!this.entries.has(keys[r])) missing.set(keys[r], row);
    });
    if (missing.size > 0) withBlasThreadsSync(1, () => this.compute([...missing.values()], encoder));
    return keys;
  }

  /** Reads the shards other processes wrote since this one opened the cache (or last refreshed it). */
  async refresh(): Promise<void> {
    if (this.storeDir !== null) await this.readShards(this.storeDir);
  }

  /** Writes the inputs computed since the last flush as new shards; returns how many. */
  async flush(): Promise<number> {
    if (this.storeDir === null || this.unsaved.length === 0) return 0;
    const keys = this.unsaved;
    const entryBytes = (e: Entry) => 8 + 4 * e.ids.length * (e.types === null ? 1 : 2) + 4 * e.states.length;
    let shard: Entry[] = [];
    let bytes = HEADER_BYTES;
    for (const key of keys) {
      const entry = this.entries.get(key)!;
      if (shard.length > 0 && bytes + entryBytes(entry) > SHARD_BYTES) {
        await this.writeShard(shard, bytes);
        shard = [];
        bytes = HEADER_BYTES;
      }
      shard.push(entry);
      bytes += entryBytes(entry);
    }
    if (shard.length > 0) await this.writeShard(shard, bytes);
    this.unsaved = [];
    return keys.length;
  }

  private compute(rows: readonly { ids: Int32Array; types: Int32Array | null }[], encoder: Encoder): void {
    const byLength = new Map<number, { ids: Int32Array; types: Int32Array | null }[]>();
    for (const row of rows) {
      const group = byLength.get(row.ids.length) ?? [];
      group.push(row);
      byLength.set(row.ids.length, group);
    }
    const h = this.hidden;
    for (const [length, group] of byLength) {
      const perCall = Math.max(1, Math.floor(TOKENS_PER_CALL / length));
      for (let start = 0; start < group.length; start += perCall) {
        const part = group.slice(start, start + perCall);
        const flat = (pick: (row: (typeof part)[number]) => Int32Array) => {
          const a = new Int32Array(part.length * length);
          part.forEach((row, i) => a.set(pick(row), i * length));
          return a;
        };
        const shape: [number, number] = [part.length, length];
        const output = tf.tidy(() =>
          encoder.bottom({
            inputIds: tf.tensor2d(flat((row) => row.ids), shape, "int32"),
            attentionMask: tf.ones(shape, "int32"),
            tokenTypeIds: tf.tensor2d(flat((row) => row.types ?? new Int32Array(length)), shape, "int32"),
          }),
        );
        const data = output.dataSync() as Float32Array;
        output.dispose();
        part.forEach((row, i) => {
          const key = keyOf(row.ids, row.types);
          this.entries.set(key, { ids: row.ids, types: row.types, states: data.slice(i * length * h, (i + 1) * length * h) });
          this.unsaved.push(key);
        });
      }
    }
  }

  private async writeShard(entries: readonly Entry[], bytes: number): Promise<void> {
    const buffer = new ArrayBuffer(bytes);
    const view = new DataView(buffer);
    new Uint8Array(buffer).set(new TextEncoder().encode(MAGIC), 0);
    view.setUint32(8, this.hidden, true);
    view.setUint32(12, entries.length, true);
    let at = HEADER_BYTES;
    const put = (a: Int32Array | Float32Array) => {
      new Uint8Array(buffer, at, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      at += a.byteLength;
    };
    for (const e of entries) {
      view.setUint32(at, e.ids.length, true);
      view.setUint32(at + 4, e.types === null ? 0 : 1, true);
      at += 8;
      put(e.ids);
      if (e.types !== null) put(e.types);
      put(e.states);
    }
    const content = new Uint8Array(buffer);
    const name = `${createHash("sha256").update(content).digest("hex").slice(0, 24)}.bin`;
    await writeFileAtomic(join(this.storeDir!, name), content);
    this.known.add(name);
  }

  private async readShards(dir: string): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith(".bin") && !this.known.has(n)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    for (const name of names) {
      for (const entry of parseShard(join(dir, name), await readFile(join(dir, name)), this.hidden)) {
        const key = keyOf(entry.ids, entry.types);
        // What this process computed stays: a run uses one value per text from start to end.
        if (!this.entries.has(key)) this.entries.set(key, entry);
      }
      this.known.add(name);
    }
  }
}

/**
 * The entries of one shard file; anything that is not exactly a shard of `hidden`-wide states is
 * a DataError naming the file and the byte where it goes wrong.
 */
export function parseShard(path: string, bytes: Uint8Array, hidden: number): Entry[] {
  const fail = (at: number, problem: string): never => {
    throw new DataError(path, `byte ${at}: ${problem} (a damaged frozen-states shard: delete it, and it is recomputed)`);
  };
  if (bytes.length < HEADER_BYTES || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) fail(0, `not a frozen-states shard (no ${MAGIC} header)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8, true) !== hidden) fail(8, `states are ${view.getUint32(8, true)} wide, the model's are ${hidden}`);
  const count = view.getUint32(12, true);
  const entries: Entry[] = [];
  let at = HEADER_BYTES;
  const take = (n: number, where: number) => {
    if (n > bytes.length - at) fail(where, `the file ends ${n - (bytes.length - at)} bytes early`);
    // A copy, aligned for the typed array (a Buffer's slice would share the whole file's memory).
    const copy = new Uint8Array(bytes.subarray(at, at + n));
    at += n;
    return copy.buffer;
  };
  for (let i = 0; i < count; i++) {
    const start = at;
    if (bytes.length - at < 8) fail(at, `entry ${i} of ${count} is missing`);
    const length = view.getUint32(at, true);
    const hasTypes = view.getUint32(at + 4, true);
    if (length === 0) fail(at, `entry ${i} has no tokens`);
    if (hasTypes > 1) fail(at + 4, `entry ${i}: token-type flag ${hasTypes} is not 0 or 1`);
    at += 8;
    const ids = new Int32Array(take(4 * length, start));
    const types = hasTypes === 1 ? new Int32Array(take(4 * length, start)) : null;
    const states = new Float32Array(take(4 * length * hidden, start));
    entries.push({ ids, types, states });
  }
  if (at !== bytes.length) fail(at, `${bytes.length - at} bytes after the ${count} entries the header lists`);
  return entries;
}

/** sha256 of the configuration, the split layer and the frozen weights (embeddings and layers below it). */
function frozenFingerprint(encoder: Encoder): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify(encoder.config));
  hash.update(`frozen=${encoder.frozenLayers}`);
  if (activeBlas() !== null) hash.update("products=blas");
  const trained = new Set(encoder.trainableVariables());
  for (const v of encoder.variables()) {
    if (trained.has(v)) continue;
    const data = v.dataSync() as Float32Array;
    hash.update(v.name.slice(v.name.indexOf("/") + 1));
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return hash.digest("hex").slice(0, 16);
}

/** Inputs encoded alike: one prefix, one token limit. */
export interface FillPart {
  readonly inputs: readonly TextInput[];
  readonly maxLength: number;
  readonly prefix: string;
}

/**
 * The frozen part's output for every input of `parts`, computed now (those not cached yet) in
 * length-sorted chunks rather than a few at a time inside training steps; written to disk as it
 * goes, so runs beside this one and this one after a Ctrl-C reuse it. A no-op for a model without
 * frozen states. Returns the texts computed; stops early, keeping them, when `signal` aborts.
 */
export async function fillFrozenStates(
  model: SentenceEncoder,
  parts: readonly FillPart[],
  options: { readonly onProgress?: (done: number, total: number) => void; readonly signal?: AbortSignal } = {},
): Promise<number> {
  const states = model.frozenStates;
  if (states === null) return 0;
  const total = parts.reduce((n, p) => n + p.inputs.length, 0);
  let computed = 0;
  let done = 0;
  for (const { inputs, maxLength, prefix } of parts) {
    for (const idx of embedBatches(inputs, FILL_CHUNK)) {
      // Between chunks the event loop runs, so Ctrl-C is heard.
      await new Promise((resolve) => setImmediate(resolve));
      if (options.signal?.aborted) break;
      const before = states.pending;
      states.ensure(
        model.encodeInputs(
          idx.map((i) => inputs[i]),
          { maxLength, prefix },
        ),
        model.encoder,
      );
      computed += states.pending - before;
      done += idx.length;
      options.onProgress?.(done, total);
      if (states.pending >= FLUSH_EVERY) {
        await states.flush();
        await states.refresh();
      }
    }
  }
  await states.flush();
  return computed;
}
