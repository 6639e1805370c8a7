/**
 * The cache layout Python's huggingface_hub uses, so a model either side downloaded serves the
 * other:
 *
 *   <cache>/models--<owner>--<name>/
 *     refs/<revision>            the commit sha the revision (branch, tag) pointed to
 *     blobs/<etag>               file bytes, named by LFS sha256 or git blob sha1
 *     blobs/<etag>.incomplete    a partial download, resumed with an HTTP Range request
 *     snapshots/<sha>/<path>     relative symlink to ../../blobs/<etag>
 *     .no_exist/<sha>/<path>     empty marker: the repo has no such file at that commit
 *
 * and which files make a snapshot usable by this library's encoders.
 */
import { copyFile, mkdir, readFile, rename, rm, stat, symlink } from "node:fs/promises";
import { dirname, isAbsolute, join, relative } from "node:path";
import { DataError } from "../../util/errors.js";
import { HubError } from "./errors.js";

export const COMMIT = /^[0-9a-f]{40}$/;

export const ETAG = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

const ROOT_FILES = new Set([
  "config.json",
  "model.safetensors",
  "model.safetensors.index.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "modules.json",
  "sentence_bert_config.json",
  "config_sentence_transformers.json",
]);

const SHARD = /^model-\d+-of-\d+\.safetensors$/;

/** sentence-transformers modules live in `<idx>_<Name>/` folders (1_Pooling, 2_Dense). */
const MODULE_FILE = /^\d+_[A-Za-z]+\/(?:config\.json|model\.safetensors)$/;

export const WEIGHTS_HINT = "model.safetensors (or model.safetensors.index.json and its shards)";

/**
 * Of a repo's file paths, those a sentence-transformers / Hugging Face encoder needs: configs,
 * tokenizer.json, safetensors weights (single or sharded), module configs and Dense weights.
 * Other formats (pytorch_model.bin, onnx/, tf, flax) and sentencepiece models are left out.
 */
export function selectModelFiles(paths: readonly string[]): string[] {
  return paths.filter((p) => ROOT_FILES.has(p) || SHARD.test(p) || MODULE_FILE.test(p));
}

export interface CachedSnapshot {
  /** Where the snapshot is, or should be put. */
  readonly dir: string;
  readonly missing: readonly string[];
}

/**
 * The snapshot `refs/<revision>` names (or the revision itself when it is a commit), falling
 * back to `snapshots/<revision>/`, where a person can drop files by hand without knowing a sha.
 */
export async function findCachedSnapshot(repoDir: string, revision: string, files: readonly string[] | undefined): Promise<CachedSnapshot> {
  const sha = COMMIT.test(revision) ? revision : await readRef(repoDir, revision);
  const names = sha && sha !== revision ? [sha, revision] : [revision];
  let first: CachedSnapshot | undefined;
  for (const name of names) {
    const dir = join(repoDir, "snapshots", name);
    const missing = await missingFiles(dir, join(repoDir, ".no_exist", name), files);
    if (missing.length === 0) return { dir, missing };
    first ??= { dir, missing };
  }
  return first!;
}

/**
 * What `dir` lacks to be a usable snapshot. Without an explicit list this is inferred from the
 * files themselves, so a snapshot Python downloaded is judged the same as one fetched here.
 */
async function missingFiles(dir: string, noExistDir: string, files: readonly string[] | undefined): Promise<string[]> {
  const has = async (p: string) => (await fileSize(join(dir, p))) !== undefined;
  const missing: string[] = [];
  const expect = async (p: string) => {
    if (!(await has(p))) missing.push(p);
  };
  if (files) {
    for (const f of files) await expect(f);
    return missing;
  }
  await expect("config.json");
  // A repo without tokenizer.json is recorded in .no_exist, so it does not look incomplete forever.
  if (!(await has("tokenizer.json")) && (await fileSize(join(noExistDir, "tokenizer.json"))) === undefined) missing.push("tokenizer.json");
  if (!(await has("model.safetensors"))) {
    if (await has("model.safetensors.index.json")) {
      for (const shard of await shardNames(join(dir, "model.safetensors.index.json"))) await expect(shard);
    } else missing.push(WEIGHTS_HINT);
  }
  if (await has("modules.json")) {
    for (const m of await moduleList(join(dir, "modules.json"))) {
      if (m.type.endsWith("Pooling") || m.type.endsWith("Dense")) await expect(`${m.path}/config.json`);
      if (m.type.endsWith("Dense")) await expect(`${m.path}/model.safetensors`);
    }
  }
  return missing;
}

async function shardNames(indexPath: string): Promise<string[]> {
  const json = await readJson(indexPath);
  const map = typeof json === "object" && json !== null && "weight_map" in json ? json.weight_map : undefined;
  if (typeof map !== "object" || map === null) throw new DataError(indexPath, 'has no "weight_map" object');
  const names = new Set<string>();
  for (const v of Object.values(map)) if (typeof v === "string") names.add(v);
  return [...names];
}

async function moduleList(path: string): Promise<{ path: string; type: string }[]> {
  const json = await readJson(path);
  if (!Array.isArray(json)) throw new DataError(path, "is not a JSON array of modules");
  return json.flatMap((m: unknown) =>
    typeof m === "object" && m !== null && "path" in m && "type" in m && typeof m.path === "string" && typeof m.type === "string" && m.path !== ""
      ? [{ path: m.path, type: m.type }]
      : [],
  );
}

/** Rejects paths that would leave the snapshot folder once joined onto it. */
export function checkRepoPath(repoId: string, path: string): string {
  const parts = path.split("/");
  if (path === "" || isAbsolute(path) || path.includes("\\") || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new HubError(repoId, `"${path}" is not a plain relative file path inside the repo`);
  }
  return path;
}

/** Points `pointer` at `blob` by a relative symlink, as Python does; a copy where symlinks are refused. */
export async function linkInto(blob: string, pointer: string): Promise<void> {
  await mkdir(dirname(pointer), { recursive: true });
  const tmp = `${pointer}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  try {
    await symlink(relative(dirname(pointer), blob), tmp);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EPERM" && code !== "EACCES" && code !== "ENOTSUP" && code !== "ENOSYS") throw err;
    await copyFile(blob, tmp);
  }
  await rename(tmp, pointer);
}

async function readRef(repoDir: string, revision: string): Promise<string | undefined> {
  try {
    const sha = (await readFile(join(repoDir, "refs", revision), "utf8")).trim();
    return COMMIT.test(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new DataError(path, `cannot be read as JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

export async function fileSize(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
