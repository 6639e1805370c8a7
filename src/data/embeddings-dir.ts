/**
 * The embeddings directory `hybrid-ir evaluate --embeddings DIR` reads and `encode-dataset`
 * writes: the LAReQA reference tool's four files, so embeddings from any model (a Python one
 * included) can be scored. Rows may come in any order; uids say which row is which.
 */
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.js";
import { DataError } from "../util/errors.js";
import { type Matrix, parseNpy, writeNpy } from "./npy.js";
import type { RetrievalDataset } from "./types.js";

export interface AlignedEmbeddings {
  /** Rows in the order of `ds.questions`. */
  readonly questions: Matrix;
  /** Rows in the order of `ds.candidates`. */
  readonly candidates: Matrix;
}

type Side = "question" | "candidate";

/** The reference tool names its arrays `.npz` though they hold plain `.npy` bytes; both are accepted. */
async function findArray(dir: string, side: Side): Promise<string> {
  const names = [`${side}_encodings.npy`, `${side}_encodings.npz`];
  for (const name of names) {
    try {
      await access(join(dir, name));
      return join(dir, name);
    } catch {
      // try the next spelling
    }
  }
  throw new DataError(join(dir, names[0]), `missing (also looked for ${names[1]})`);
}

async function readSide(dir: string, side: Side): Promise<{ matrix: Matrix; uids: string[]; file: string; uidFile: string }> {
  const file = await findArray(dir, side);
  const uidFile = join(dir, `${side}_uids.txt`);
  let uidText: string;
  try {
    uidText = await readFile(uidFile, "utf8");
  } catch {
    throw new DataError(uidFile, "missing");
  }
  const uids = uidText.split("\n").map((l) => l.trim());
  while (uids.length > 0 && uids[uids.length - 1] === "") uids.pop();
  const matrix = parseNpy(await readFile(file), file);
  if (matrix.rows !== uids.length) {
    throw new DataError(file, `has ${matrix.rows} rows but ${uidFile} lists ${uids.length} uids`);
  }
  return { matrix, uids, file, uidFile };
}

function align(
  side: { matrix: Matrix; uids: string[]; uidFile: string },
  wanted: readonly string[],
  what: string,
  allowExtra: boolean,
): Matrix {
  const rowOf = new Map<string, number>();
  side.uids.forEach((uid, row) => {
    if (rowOf.has(uid)) throw new DataError(side.uidFile, `uid '${uid}' appears twice (lines ${rowOf.get(uid)! + 1} and ${row + 1})`);
    rowOf.set(uid, row);
  });
  const wantedSet = new Set(wanted);
  if (!allowExtra) {
    const unknown = side.uids.filter((uid) => !wantedSet.has(uid));
    if (unknown.length > 0) {
      throw new DataError(side.uidFile, `${unknown.length} uid(s) are not ${what} of this dataset, e.g. ${unknown.slice(0, 3).join(", ")}`);
    }
  }
  const missing = wanted.filter((uid) => !rowOf.has(uid));
  if (missing.length > 0) {
    throw new DataError(side.uidFile, `${missing.length} ${what} uid(s) have no embedding, e.g. ${missing.slice(0, 3).join(", ")}`);
  }
  const { cols } = side.matrix;
  const data = new Float32Array(wanted.length * cols);
  wanted.forEach((uid, i) => {
    const row = rowOf.get(uid)!;
    data.set(side.matrix.data.subarray(row * cols, (row + 1) * cols), i * cols);
  });
  return { data, rows: wanted.length, cols };
}

/**
 * Reads DIR and reorders its rows to the dataset's question and candidate order. With
 * `allowExtra`, rows for uids outside `ds` are ignored (a full-dataset file scored on a subset).
 */
export async function readEmbeddingsDir(dir: string, ds: RetrievalDataset, allowExtra = false): Promise<AlignedEmbeddings> {
  const q = await readSide(dir, "question");
  const c = await readSide(dir, "candidate");
  if (q.matrix.cols !== c.matrix.cols) {
    throw new DataError(dir, `question embeddings have dimension ${q.matrix.cols} but candidate embeddings ${c.matrix.cols}`);
  }
  return {
    questions: align(q, ds.questions.map((x) => x.uid), "questions", allowExtra),
    candidates: align(c, ds.candidates.map((x) => x.uid), "candidates", allowExtra),
  };
}

/** Writes DIR in the layout `readEmbeddingsDir` reads; each file atomically. */
export async function writeEmbeddingsDir(dir: string, ds: RetrievalDataset, emb: AlignedEmbeddings): Promise<void> {
  await writeNpy(join(dir, "question_encodings.npy"), emb.questions);
  await writeFileAtomic(join(dir, "question_uids.txt"), ds.questions.map((q) => q.uid).join("\n") + "\n");
  await writeNpy(join(dir, "candidate_encodings.npy"), emb.candidates);
  await writeFileAtomic(join(dir, "candidate_uids.txt"), ds.candidates.map((c) => c.uid).join("\n") + "\n");
}
