import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { DataError } from "../util/errors.js";

/** `sha256sum`-format manifest, so `sha256sum -c SHA256SUMS` checks the same files by hand. */
export const MANIFEST_NAME = "SHA256SUMS";

export type Manifest = ReadonlyMap<string, string>;

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function parseManifest(text: string, file: string): Manifest {
  const entries = new Map<string, string>();
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const m = /^([0-9a-f]{64}) [ *](?:\.\/)?(.+)$/.exec(line);
    if (!m) throw new DataError(file, `line ${i + 1} is not '<sha256>  <path>'`);
    entries.set(m[2], m[1]);
  });
  return entries;
}

export function formatManifest(entries: Manifest): string {
  return [...entries.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, hash]) => `${hash}  ${path}\n`)
    .join("");
}

export async function readManifest(dir: string): Promise<Manifest> {
  const file = join(dir, MANIFEST_NAME);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new DataError(file, "checksum manifest is missing (re-vendor with `npm run vendor-data`)");
  }
  return parseManifest(text, file);
}

/**
 * Reads the named files (paths relative to `dir`) and checks each against the manifest before
 * returning any of them, so a caller never starts parsing a set that is partly corrupt.
 */
export async function readVerified(dir: string, paths: readonly string[]): Promise<Map<string, Buffer>> {
  const manifest = await readManifest(dir);
  const out = new Map<string, Buffer>();
  for (const path of paths) {
    const file = join(dir, path);
    const expected = manifest.get(path);
    if (expected === undefined) {
      throw new DataError(file, `not listed in ${join(dir, MANIFEST_NAME)}`);
    }
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      throw new DataError(file, "file is missing");
    }
    const actual = sha256(bytes);
    if (actual !== expected) {
      throw new DataError(
        file,
        `checksum mismatch (sha256 ${actual}, manifest says ${expected}): the file was modified or truncated`,
      );
    }
    out.set(path, bytes);
  }
  return out;
}

export function relativeTo(dir: string, file: string): string {
  return relative(dir, file).split("\\").join("/");
}
