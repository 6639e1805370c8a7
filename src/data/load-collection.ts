/** A collection directory in either layout: `corpus.jsonl` means BEIR, a topics file MIRACL. */
import { join } from "node:path";
import { pathExists } from "../util/fs.js";
import { loadBeirCollection } from "./beir.js";
import type { Collection } from "./collection.js";
import { DataError } from "./errors.js";
import { loadMiraclCollection } from "./miracl.js";

export interface LoadCollectionOptions {
  /** Default: `test` for BEIR, `dev` for MIRACL (its test qrels are not public). */
  readonly split?: string;
}

export async function loadCollection(dir: string, options: LoadCollectionOptions = {}): Promise<Collection> {
  if (!(await pathExists(dir))) throw new DataError(dir, "no such collection directory");
  if (await pathExists(join(dir, "corpus.jsonl"))) return loadBeirCollection(dir, options.split ?? "test");
  return loadMiraclCollection(dir, options.split ?? "dev");
}
