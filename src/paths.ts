import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cachedRoot: string | undefined;

/**
 * The directory holding this package's package.json. Found by walking up from this module
 * because the same code runs from src/ and from dist/src/, at different depths. A `dist`
 * directory is skipped: tsc copies package.json into it as soon as some module imports that
 * file, and the copy has no data/ beside it.
 */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (basename(dir) !== "dist" && existsSync(join(dir, "package.json"))) return (cachedRoot = dir);
    if (dirname(dir) === dir) throw new Error(`no package.json in ${start} or any parent directory`);
  }
}

/** `<packageRoot>/data`: vendored datasets, tokenizers and reference results. */
export function dataDir(): string {
  return join(packageRoot(), "data");
}

/** `<cache>/<name>`: where the suite keeps what it can recompute; $HYBRID_IR_CACHE, else $XDG_CACHE_HOME/hybrid-ir, else ~/.cache/hybrid-ir. */
export function hybridIrCacheDir(name: string): string {
  if (process.env.HYBRID_IR_CACHE) return join(process.env.HYBRID_IR_CACHE, name);
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "hybrid-ir", name);
}
