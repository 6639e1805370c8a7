/**
 * Getting a model: a local directory as is, or a Hugging Face hub id fetched into the cache
 * layout Python's huggingface_hub uses, so a model either side downloaded serves the other:
 *
 *   <cache>/models--<owner>--<name>/
 *     refs/<revision>            the commit sha the revision (branch, tag) pointed to
 *     blobs/<etag>               file bytes, named by LFS sha256 or git blob sha1
 *     blobs/<etag>.incomplete    a partial download, resumed with an HTTP Range request
 *     snapshots/<sha>/<path>     relative symlink to ../../blobs/<etag>
 *     .no_exist/<sha>/<path>     empty marker: the repo has no such file at that commit
 *
 * @huggingface/hub answers the metadata questions (`modelInfo` for the commit, `listFiles` for
 * names, sizes and hashes). Bytes are fetched here because its `downloadFileToCacheDir` restarts
 * an interrupted file from zero, shows no progress, and files a snapshot under the commit that
 * last touched each file rather than the commit asked for.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, open, readFile, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, relative } from "node:path";
import { getHFHubCachePath, getRepoFolderName, HubApiError, listFiles, modelInfo } from "@huggingface/hub";
import type { ListFileEntry } from "@huggingface/hub";
import { DataError } from "../data/errors.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { progressBar } from "../util/progress.js";

/** Bytes of one file received so far; `done` counts a resumed file's earlier bytes too. */
export interface DownloadProgress {
  readonly file: string;
  readonly done: number;
  readonly total: number;
}

/**
 * How `resolveModel` finds and fetches a hub model. Every field has a default that matches
 * Python's huggingface_hub, so the environment variables set for it work here unchanged.
 *
 * @example
 * ```ts
 * // Downloads once (progress on stderr), then answers from the cache without the network.
 * const dir = await resolveModel("sentence-transformers/LaBSE");
 * // A pinned commit, an air-gapped machine: fails fast, naming the missing files and where to put them.
 * const pinned = await resolveModel("FacebookAI/xlm-roberta-base", { revision: "e73636d4f797dec63c3081bb6ed5c7b0bb3f2089", offline: true });
 * ```
 */
export interface ResolveModelOptions {
  /** Hub cache root. Default: `HF_HUB_CACHE`, else `HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
  cacheDir?: string;
  /** Default: `HF_ENDPOINT`, else `https://huggingface.co`. */
  endpoint?: string;
  /** Branch, tag or 40-hex commit sha. Default: `"main"`. */
  revision?: string;
  /** Never use the network, only the cache. Default: `HF_HUB_OFFLINE` (1/true/yes/on). */
  offline?: boolean;
  /** Repo paths to fetch instead of the encoder selection (`selectModelFiles`); all must exist. */
  files?: readonly string[];
  /** Access token. Default: `HF_TOKEN`, else the token file `huggingface-cli login` writes. */
  token?: string;
  /**
   * Milliseconds to wait for a response, and then between two chunks of a download, before
   * giving up on a request. Default: `HF_HUB_DOWNLOAD_TIMEOUT` (seconds), else 30 000.
   */
  timeoutMs?: number;
  /** Called as bytes arrive; when given, no progress bar is drawn on stderr. */
  onProgress?: (progress: DownloadProgress) => void;
}

/** A hub model could not be had; the message starts with the repo id. */
export class HubError extends Error {
  constructor(
    readonly repoId: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${repoId}: ${problem}`, options);
    this.name = "HubError";
  }
}

/** The cache lacks files and the hub cannot supply them (offline, or unreachable). */
export class ModelNotCachedError extends HubError {
  constructor(
    repoId: string,
    readonly snapshotDir: string,
    readonly missing: readonly string[],
    why: string,
    options?: { cause?: unknown },
  ) {
    super(
      repoId,
      `not in the cache, and ${why}.\n` +
        `  Missing: ${missing.join(", ")}\n` +
        `  Put them in: ${snapshotDir}\n` +
        `  Or, on a machine with network: huggingface-cli download ${repoId} --local-dir DIR\n` +
        `  then copy DIR here and pass its path instead of "${repoId}".`,
      options,
    );
    this.name = "ModelNotCachedError";
  }
}

/**
 * The directory holding the model `ref` names: `ref` itself if it is an existing directory,
 * else the cached snapshot of hub model `owner/name`, downloaded first if the cache lacks files.
 * A complete cached snapshot is used without contacting the hub.
 */
export async function resolveModel(ref: string, opts: ResolveModelOptions = {}): Promise<string> {
  if (await isDirectory(ref)) return ref;
  if (!HUB_ID.test(ref) || ref.includes("..")) {
    throw new HubError(ref, "is neither an existing directory nor a hub model id of the form owner/name");
  }
  const files = opts.files?.map((f) => checkRepoPath(ref, f));
  const revision = opts.revision ?? "main";
  const repoDir = join(opts.cacheDir ?? getHFHubCachePath(), getRepoFolderName({ type: "model", name: ref }));
  const cached = await findCachedSnapshot(repoDir, revision, files);
  if (cached.missing.length === 0) return cached.dir;
  if (opts.offline ?? envFlag(process.env.HF_HUB_OFFLINE)) {
    throw new ModelNotCachedError(ref, cached.dir, cached.missing, "offline mode is on (HF_HUB_OFFLINE or offline: true)");
  }
  const timeoutMs = opts.timeoutMs ?? envSeconds(process.env.HF_HUB_DOWNLOAD_TIMEOUT) ?? 30_000;
  const hub: Hub = {
    repoId: ref,
    endpoint: (opts.endpoint ?? process.env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, ""),
    token: opts.token ?? (await defaultToken()),
    timeoutMs,
    onProgress: opts.onProgress,
  };
  return downloadSnapshot(hub, repoDir, revision, files, cached);
}

/**
 * Of a repo's file paths, those a sentence-transformers / Hugging Face encoder needs: configs,
 * tokenizer.json, safetensors weights (single or sharded), module configs and Dense weights.
 * Other formats (pytorch_model.bin, onnx/, tf, flax) and sentencepiece models are left out.
 */
export function selectModelFiles(paths: readonly string[]): string[] {
  return paths.filter((p) => ROOT_FILES.has(p) || SHARD.test(p) || MODULE_FILE.test(p));
}

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;
const COMMIT = /^[0-9a-f]{40}$/;
const ETAG = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
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
const WEIGHTS_HINT = "model.safetensors (or model.safetensors.index.json and its shards)";
const MAX_LISTED = 100_000;
const MAX_ATTEMPTS = 5;

interface Hub {
  readonly repoId: string;
  readonly endpoint: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
  readonly onProgress: ((progress: DownloadProgress) => void) | undefined;
}

interface CachedSnapshot {
  /** Where the snapshot is, or should be put. */
  readonly dir: string;
  readonly missing: readonly string[];
}

/**
 * The snapshot `refs/<revision>` names (or the revision itself when it is a commit), falling
 * back to `snapshots/<revision>/`, where a person can drop files by hand without knowing a sha.
 */
async function findCachedSnapshot(repoDir: string, revision: string, files: readonly string[] | undefined): Promise<CachedSnapshot> {
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

async function downloadSnapshot(
  hub: Hub,
  repoDir: string,
  revision: string,
  files: readonly string[] | undefined,
  cached: CachedSnapshot,
): Promise<string> {
  const fetchApi = hubFetch(hub);
  const repo = { type: "model" as const, name: hub.repoId };
  let sha: string;
  const entries: ListFileEntry[] = [];
  try {
    const info = await modelInfo({ name: hub.repoId, hubUrl: hub.endpoint, revision, additionalFields: ["sha"], fetch: fetchApi });
    if (typeof info.sha !== "string" || !COMMIT.test(info.sha)) throw new HubError(hub.repoId, `${hub.endpoint} gave no commit sha for revision "${revision}"`);
    sha = info.sha;
    let seen = 0;
    for await (const e of listFiles({ repo, recursive: true, revision: sha, hubUrl: hub.endpoint, fetch: fetchApi })) {
      if (++seen > MAX_LISTED) throw new HubError(hub.repoId, `lists more than ${MAX_LISTED} files`);
      if (e.type === "file") entries.push(e);
    }
  } catch (err) {
    if (isUnreachable(err)) {
      throw new ModelNotCachedError(hub.repoId, cached.dir, cached.missing, `${hub.endpoint} could not be reached (${describe(err, hub)})`, { cause: err });
    }
    throw apiError(err, hub, revision);
  }

  const byPath = new Map(entries.map((e) => [e.path, e]));
  const wanted = files ?? selectModelFiles([...byPath.keys()]);
  const absent = files ? files.filter((f) => !byPath.has(f)) : [];
  if (!files && !byPath.has("config.json")) absent.push("config.json");
  if (!files && !wanted.some((p) => !p.includes("/") && p.endsWith(".safetensors"))) absent.push(WEIGHTS_HINT);
  if (absent.length > 0) {
    const listed = [...byPath.keys()].slice(0, 30).join(", ");
    throw new HubError(hub.repoId, `the repo at ${revision} has no ${absent.join(", ")} (this library reads safetensors only); it holds: ${listed}`);
  }

  const snapshotDir = join(repoDir, "snapshots", sha);
  for (const path of wanted) await ensureFile(hub, repoDir, snapshotDir, sha, checkRepoPath(hub.repoId, path), byPath.get(path)!);
  if (!files && !byPath.has("tokenizer.json")) {
    const marker = join(repoDir, ".no_exist", sha, "tokenizer.json");
    await mkdir(dirname(marker), { recursive: true });
    await writeFile(marker, "");
  }
  if (revision !== sha) await writeFileAtomic(join(repoDir, "refs", revision), sha);
  return snapshotDir;
}

/** Links `path` into the snapshot, downloading its blob unless the cache already has it. */
async function ensureFile(hub: Hub, repoDir: string, snapshotDir: string, sha: string, path: string, entry: ListFileEntry): Promise<void> {
  const etag = entry.lfs?.oid ?? entry.oid;
  if (etag === undefined || !ETAG.test(etag)) throw new HubError(hub.repoId, `${path}: the hub listed no usable hash (${etag})`);
  const size = entry.lfs?.size ?? entry.size;
  const pointer = join(snapshotDir, path);
  if ((await fileSize(pointer)) === size) return;
  const blob = join(repoDir, "blobs", etag);
  if ((await fileSize(blob)) !== size) {
    const url = `${hub.endpoint}/${hub.repoId}/resolve/${sha}/${path.split("/").map(encodeURIComponent).join("/")}`;
    await downloadBlob(hub, url, path, blob, size, entry.lfs ? etag : undefined);
  }
  await linkInto(blob, pointer);
}

/**
 * Fetches `url` into `<blob>.incomplete`, resuming from its size with a Range request after a
 * dropped connection (in this call or an earlier one), then checks size and hash and renames.
 */
async function downloadBlob(hub: Hub, url: string, path: string, blob: string, size: number, sha256: string | undefined): Promise<void> {
  const part = `${blob}.incomplete`;
  await mkdir(dirname(blob), { recursive: true });
  let lastError: unknown;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const before = (await fileSize(part)) ?? 0;
    if (before === size) break;
    try {
      await fetchInto(hub, url, path, part, before > size ? 0 : before, size);
    } catch (err) {
      if (!(err instanceof RetryableError) && !isUnreachable(err)) throw err;
      lastError = err;
      // A connection that delivered bytes is worth retrying at once; one that did not, after a pause.
      if (((await fileSize(part)) ?? 0) <= before && attempt < MAX_ATTEMPTS) await sleep(500 * attempt);
    }
  }
  const got = (await fileSize(part)) ?? 0;
  if (got !== size) {
    throw new HubError(
      hub.repoId,
      `downloading ${path} failed after ${MAX_ATTEMPTS} attempts (${describe(lastError, hub)}); ` +
        `${got} of ${size} bytes are kept in ${part} and the next call resumes from there`,
      { cause: lastError },
    );
  }
  if (sha256 !== undefined) {
    const actual = await sha256File(part);
    if (actual !== sha256) {
      await rm(part, { force: true });
      throw new HubError(hub.repoId, `${path}: downloaded bytes have sha256 ${actual}, the hub lists ${sha256}; deleted them, try again`);
    }
  }
  await rename(part, blob);
}

/** A failure worth another attempt: a dropped connection, a stall, a 5xx. */
class RetryableError extends Error {}

/** One request, appended to `part` from `offset` (or rewritten from 0 if the server ignores the range). */
async function fetchInto(hub: Hub, url: string, path: string, part: string, offset: number, size: number): Promise<void> {
  const abort = new AbortController();
  let stalled = false;
  let timer: NodeJS.Timeout | undefined;
  // One timer covers both the wait for headers and the gaps between chunks, so a large file may
  // take as long as it needs while a dead connection is dropped after `timeoutMs`.
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      abort.abort();
    }, hub.timeoutMs);
  };
  let progress: FileProgress | undefined;
  try {
    arm();
    const headers: Record<string, string> = { "Accept-Encoding": "identity" };
    if (hub.token) headers.Authorization = `Bearer ${hub.token}`;
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    const res = await fetch(url, { headers, signal: abort.signal });
    if (res.status === 416) {
      await res.body?.cancel();
      await rm(part, { force: true });
      throw new RetryableError(`the server refused to resume ${path} at byte ${offset}; starting over`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      const message = `GET ${url} answered ${res.status} ${res.statusText}`;
      throw res.status >= 500 || res.status === 429 || res.status === 408 ? new RetryableError(message) : new HubError(hub.repoId, message);
    }
    const resumed = offset > 0 && res.status === 206 && rangeStart(res.headers.get("content-range")) === offset;
    let done = resumed ? offset : 0;
    progress = fileProgress(hub, path, size, done);
    const fh = await open(part, resumed ? "a" : "w");
    try {
      if (res.body) {
        for await (const chunk of res.body) {
          arm();
          await fh.write(chunk);
          done += chunk.length;
          progress.update(done);
          if (done > size) throw new HubError(hub.repoId, `${path}: the server sent more than the ${size} bytes the hub lists`);
        }
      }
    } finally {
      await fh.close();
    }
    if (done !== size) throw new RetryableError(`the connection closed after ${done} of ${size} bytes`);
    progress.finish();
  } catch (err) {
    progress?.abandon();
    if (stalled) throw new RetryableError(`no data for ${hub.timeoutMs / 1000} s`, { cause: err });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

interface FileProgress {
  update(done: number): void;
  finish(): void;
  abandon(): void;
}

/** Bytes are shown in KiB, or MiB for big files, since the shared bar prints plain counts. */
function fileProgress(hub: Hub, path: string, size: number, start: number): FileProgress {
  const report = hub.onProgress;
  if (report) {
    return { update: (done) => report({ file: path, done, total: size }), finish: () => {}, abandon: () => {} };
  }
  const [unit, bytes] = size >= 10 * 2 ** 20 ? ["MiB", 2 ** 20] : ["KiB", 1024];
  // The bar measures rate from its own start, so it counts only this request's bytes.
  const label = `${hub.repoId} ${path} [${unit}]${start > 0 ? ` resuming at ${Math.floor(start / bytes)}` : ""}`;
  const bar = progressBar(label, Math.ceil((size - start) / bytes));
  return {
    update: (done) => bar.update(Math.floor((done - start) / bytes)),
    finish: () => bar.finish(),
    abandon: () => {
      if (process.stderr.isTTY) process.stderr.write("\n");
    },
  };
}

/** fetch for @huggingface/hub's API calls: our token, and a deadline so nothing hangs. */
function hubFetch(hub: Hub): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    if (hub.token && !headers.has("authorization")) headers.set("authorization", `Bearer ${hub.token}`);
    return fetch(input, { ...init, headers, signal: AbortSignal.timeout(hub.timeoutMs) });
  };
}

/** No answer at all, or the hub is down: the cases where a cached copy would have helped. */
function isUnreachable(err: unknown): boolean {
  if (err instanceof HubApiError) return err.statusCode >= 500 || err.statusCode === 429 || err.statusCode === 408;
  if (!(err instanceof Error)) return false;
  // undici's fetch reports refused / reset / DNS failures as TypeError("fetch failed"), a body cut short as "terminated".
  return err.name === "TimeoutError" || err.name === "AbortError" || (err instanceof TypeError && /fetch failed|terminated/.test(err.message));
}

function apiError(err: unknown, hub: Hub, revision: string): Error {
  if (!(err instanceof HubApiError)) return err instanceof Error ? err : new Error(String(err));
  const said = err.message.split(". URL:")[0];
  if (err.statusCode === 404 || err.statusCode === 401) {
    const auth = hub.token ? "the token sent may lack access to it" : "if it is private, set HF_TOKEN";
    return new HubError(
      hub.repoId,
      `no such model (or revision "${revision}") at ${hub.endpoint}, and no local directory of that name; ${auth} (hub said: ${said})`,
      { cause: err },
    );
  }
  if (err.statusCode === 403) {
    return new HubError(hub.repoId, `access denied by ${hub.endpoint}: the model is gated or private; accept its terms at ${hub.endpoint}/${hub.repoId} and set HF_TOKEN (hub said: ${said})`, {
      cause: err,
    });
  }
  return new HubError(hub.repoId, `${hub.endpoint} answered ${err.statusCode}: ${said}`, { cause: err });
}

function describe(err: unknown, hub: Hub): string {
  if (!(err instanceof Error)) return String(err);
  if (err instanceof RetryableError || err instanceof HubError) return err.message;
  if (err.name === "TimeoutError") return `no response within ${hub.timeoutMs / 1000} s`;
  const cause = err.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return `${err.message}: ${code ? `${code} ` : ""}${cause.message}`;
  }
  return err.message;
}

/** Rejects paths that would leave the snapshot folder once joined onto it. */
function checkRepoPath(repoId: string, path: string): string {
  const parts = path.split("/");
  if (path === "" || isAbsolute(path) || path.includes("\\") || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new HubError(repoId, `"${path}" is not a plain relative file path inside the repo`);
  }
  return path;
}

/** Points `pointer` at `blob` by a relative symlink, as Python does; a copy where symlinks are refused. */
async function linkInto(blob: string, pointer: string): Promise<void> {
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

async function defaultToken(): Promise<string | undefined> {
  const fromEnv = process.env.HF_TOKEN?.trim() || process.env.HUGGING_FACE_HUB_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const home = process.env.HF_HOME ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "huggingface");
  try {
    return (await readFile(process.env.HF_TOKEN_PATH ?? join(home, "token"), "utf8")).trim() || undefined;
  } catch {
    return undefined;
  }
}

function envFlag(value: string | undefined): boolean {
  return value !== undefined && ["1", "true", "yes", "on"].includes(value.trim().toLowerCase());
}

function envSeconds(value: string | undefined): number | undefined {
  const s = Number(value);
  return value !== undefined && value.trim() !== "" && Number.isFinite(s) && s > 0 ? s * 1000 : undefined;
}

function rangeStart(contentRange: string | null): number | undefined {
  const m = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(contentRange ?? "");
  return m ? Number(m[1]) : undefined;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new DataError(path, `cannot be read as JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
