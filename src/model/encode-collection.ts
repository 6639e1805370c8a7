/**
 * A collection through a sentence encoder: the corpus streamed in chunks into one embedding
 * matrix (texts never all in memory), written once to a cache and reused, and the queries.
 *
 * Cache: `<root>/<key hash>/` with `embeddings.npy` (float32, [documents × dim], corpus order),
 * `doc_ids.txt` and `key.json`, the root being `--embeddings-cache`, else
 * `$HYBRID_IR_CACHE/corpus-embeddings`, else `$XDG_CACHE_HOME/hybrid-ir/corpus-embeddings`
 * (`~/.cache/...`). The key is the model (preset and seed; a local directory by the names, sizes
 * and modification times of its files; a hub id by its name), the passage prefix and length,
 * and the corpus checksum, so a changed corpus or model gets new embeddings instead of stale
 * ones. `key.json` is written last: a directory without it is an interrupted write and is redone.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { type Collection, documentText } from "../data/collection.js";
import { type Matrix, parseNpy, writeNpy } from "../data/npy.js";
import { hybridIrCacheDir } from "../paths.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { isModelPresetName } from "./presets.js";
import { embedOn, embedWorkers, withEmbedPool } from "./embed-pool.js";
import type { SentenceEncoder } from "./sentence-encoder.js";

/** Documents embedded per `model.embed` call while the corpus streams by. */
const CHUNK = 1024;

export interface EncodeCorpusOptions {
  readonly batchSize?: number;
  readonly maxLength?: number;
  readonly prefix?: string;
  readonly onProgress?: (done: number, total: number) => void;
  /** Worker threads (one pool for the whole corpus); see `EmbedOptions.threads`. */
  readonly threads?: number;
}

/** [documents × dim], rows in `c.docIds` order. */
export async function encodeCorpus(model: SentenceEncoder, c: Collection, options: EncodeCorpusOptions = {}): Promise<Matrix> {
  const rows = c.docIds.length;
  const data = new Float32Array(rows * model.dim);
  const batches = Math.ceil(rows / (options.batchSize ?? 32));
  let done = 0;
  await withEmbedPool(model, embedWorkers(batches, options.threads), async (pool) => {
    let chunk: string[] = [];
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      const emb = await embedOn(
        pool,
        model,
        chunk.map((text) => ({ text })),
        { batchSize: options.batchSize, maxLength: options.maxLength, prefix: options.prefix },
      );
      data.set(emb, done * model.dim);
      done += chunk.length;
      chunk = [];
      options.onProgress?.(done, rows);
    };
    for await (const doc of c.documents()) {
      chunk.push(documentText(doc));
      if (chunk.length === CHUNK) await flush();
    }
    await flush();
  });
  if (done !== rows) throw new Error(`${c.name}: the corpus streamed ${done} documents, expected ${rows}`);
  return { data, rows, cols: model.dim };
}

export async function encodeQueries(model: SentenceEncoder, c: Collection, options: EncodeCorpusOptions = {}): Promise<Matrix> {
  const data = await model.embed(
    c.queries.map((q) => ({ text: q.text })),
    { batchSize: options.batchSize, maxLength: options.maxLength, prefix: options.prefix, onProgress: options.onProgress, threads: options.threads },
  );
  return { data, rows: c.queries.length, cols: model.dim };
}

export function defaultEmbeddingCache(): string {
  return hybridIrCacheDir("corpus-embeddings");
}

/** What identifies a model's weights: a preset and its seed, a directory's files, or a hub id. */
export async function modelFingerprint(ref: string, seed: number): Promise<string> {
  if (isModelPresetName(ref)) return `preset:${ref}:seed=${seed}`;
  let entries: string[];
  try {
    entries = await readdir(ref, { recursive: true });
  } catch {
    return `hub:${ref}`;
  }
  const hash = createHash("sha256");
  for (const name of entries.sort()) {
    const s = await stat(join(ref, name));
    if (s.isFile()) hash.update(`${name}\t${s.size}\t${s.mtimeMs}\n`);
  }
  return `dir:${ref}:${hash.digest("hex")}`;
}

export interface CorpusEmbeddingKey {
  readonly model: string;
  readonly prefix: string;
  readonly maxLength: number | null;
  readonly corpusChecksum: string;
  readonly documents: number;
  /** Anything else the embeddings depend on (e.g. the texts `mini`'s vocabulary was trimmed to). */
  readonly extra?: string;
}

export interface CachedEmbeddings {
  readonly matrix: Matrix;
  /** The cache directory. */
  readonly dir: string;
  readonly reused: boolean;
}

/** The corpus embeddings for `key` from the cache, or computed and stored there. */
export async function cachedCorpusEmbeddings(
  root: string,
  key: CorpusEmbeddingKey,
  docIds: readonly string[],
  compute: () => Promise<Matrix>,
): Promise<CachedEmbeddings> {
  const keyJson = JSON.stringify(key, null, 2) + "\n";
  const dir = join(root, createHash("sha256").update(keyJson).digest("hex").slice(0, 32));
  const stored = await readCached(dir, keyJson, docIds);
  if (stored) return { matrix: stored, dir, reused: true };
  const matrix = await compute();
  await writeNpy(join(dir, "embeddings.npy"), matrix);
  await writeFileAtomic(join(dir, "doc_ids.txt"), docIds.join("\n") + "\n");
  await writeFileAtomic(join(dir, "key.json"), keyJson);
  return { matrix, dir, reused: false };
}

async function readCached(dir: string, keyJson: string, docIds: readonly string[]): Promise<Matrix | null> {
  try {
    if ((await readFile(join(dir, "key.json"), "utf8")) !== keyJson) return null;
    const ids = (await readFile(join(dir, "doc_ids.txt"), "utf8")).split("\n");
    if (ids.length !== docIds.length + 1 || docIds.some((id, i) => ids[i] !== id)) return null;
    const file = join(dir, "embeddings.npy");
    const matrix = parseNpy(await readFile(file), file);
    return matrix.rows === docIds.length ? matrix : null;
  } catch {
    return null;
  }
}
