/**
 * Fetching a snapshot's files into the cache (cache.ts): @huggingface/hub answers the metadata
 * questions (`modelInfo` for the commit, `listFiles` for names, sizes and hashes); bytes are
 * fetched here because its `downloadFileToCacheDir` restarts an interrupted file from zero,
 * shows no progress, and files a snapshot under the commit that last touched each file rather
 * than the commit asked for. A file resumes with a Range request after a dropped or stalled
 * connection, in this call or a later one, and is checked against the listed size and sha256.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { listFiles, modelInfo } from "@huggingface/hub";
import type { ListFileEntry } from "@huggingface/hub";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { progressBar } from "../../util/progress.js";
import { COMMIT, ETAG, WEIGHTS_HINT, checkRepoPath, fileSize, linkInto, selectModelFiles, type CachedSnapshot } from "./cache.js";
import { HubError, ModelNotCachedError, RetryableError, apiError, describe, isUnreachable } from "./errors.js";
import type { Hub } from "./settings.js";

const MAX_LISTED = 100_000;

const MAX_ATTEMPTS = 5;

export async function downloadSnapshot(
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

function rangeStart(contentRange: string | null): number | undefined {
  const m = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(contentRange ?? "");
  return m ? Number(m[1]) : undefined;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
