/** A collection directory in either layout: `corpus.jsonl` means BEIR, a topics file MIRACL. */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { pathExists } from "../util/fs.js";
import { loadBeirCollection } from "./beir.js";
import type { Collection } from "./collection.js";
import { DataError } from "../util/errors.js";
import { loadMiraclCollection } from "./miracl.js";

export interface LoadCollectionOptions {
  /** Default: `test` for BEIR, `dev` for MIRACL (its test qrels are not public). */
  readonly split?: string;
}

export async function loadCollection(dir: string, options: LoadCollectionOptions = {}): Promise<Collection> {
  if (!(await pathExists(dir))) throw new DataError(dir, "no such collection directory");
  if (!(await stat(dir)).isDirectory()) throw new DataError(dir, "is a file; a collection is a directory (docs/collections.md)");
  if (await pathExists(join(dir, "corpus.jsonl"))) return loadBeirCollection(dir, options.split ?? "test");
  const names = [...(await readdir(dir)), ...(await readdir(join(dir, "topics")).catch(() => []))];
  if (!names.some((n) => n.startsWith("topics.") && n.endsWith(".tsv"))) {
    throw new DataError(dir, "is neither a BEIR collection (no corpus.jsonl) nor a MIRACL one (no topics.*.tsv); see docs/collections.md");
  }
  return loadMiraclCollection(dir, options.split ?? "dev");
}
