/**
 * What goes into the offline bundle, as a sorted list of archive members: the Node runtime, the
 * compiled suite, the production dependencies (trimmed to what Node loads), the vendored data and
 * a launcher. Pure decisions about files; reading and writing them is the driver's job.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ClosurePackage } from "./closure.js";

/** Left out with everything only they need (see docs/bundle.md for why each). */
export const EXCLUDED_PACKAGES: ReadonlyMap<string, string> = new Map([
  ["tslab", "notebook kernel, notebooks only"],
  ["danfojs-node", "data frames for the notebooks"],
  ["plotly.js-dist-min", "figures in the notebook reports"],
  ["@tensorflow/tfjs-node", "native binding; its install downloads libtensorflow"],
  ["@tensorflow/tfjs-node-gpu", "native CUDA binding; its install downloads libtensorflow (install it separately, docs/bundle.md)"],
]);

/** Type declarations only: never loaded at run time. */
export function isTypeOnlyPackage(name: string): boolean {
  return name.startsWith("@types/");
}

/** The bundle is for this platform; the webgpu package ships Dawn for several. */
export const PLATFORM = "linux-x64";

/** One archive member, its path relative to the bundle's top folder. */
export interface BundleFile {
  readonly path: string;
  /** A file to copy, or generated content. */
  readonly source: string | { readonly text: string };
  readonly executable: boolean;
}

/** Files and folders under `dir`, recursively, as `/`-separated paths relative to it, sorted. */
export function listFiles(dir: string, skipDir: (rel: string) => boolean = () => false, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    const full = join(dir, rel);
    // Follow symbolic links: the archive holds plain files.
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && statSync(full).isDirectory());
    if (isDir) {
      if (!skipDir(rel)) out.push(...listFiles(dir, skipDir, rel));
    } else {
      out.push(rel);
    }
  }
  return out.sort();
}

function isExecutable(file: string): boolean {
  return (statSync(file).mode & 0o111) !== 0;
}

/**
 * Packages cut down to their `main` file (plus .wasm binaries): the tfjs packages, whose `main`
 * is a single CommonJS bundle for Node that requires the others by name. The ES module trees and
 * browser bundles beside it (over 100 MB) are for bundlers and browsers; the dependencies only
 * those need (core-js, regenerator-runtime, the converter wizard's yargs and chalk) go too.
 */
export function isTrimmedToMain(realName: string): boolean {
  return realName.startsWith("@tensorflow/tfjs");
}

/** `main` as a path relative to the package folder. */
export function mainPath(main: string | undefined): string {
  return (main ?? "index.js").replace(/^\.\//, "");
}

/** Source maps, TypeScript sources and declarations: nothing Node loads. */
const NOT_RUNTIME = /\.(map|ts|mts|cts|tsbuildinfo)$/;

/**
 * Whether a package's file is packed: never source maps or TypeScript; for packages trimmed to
 * `main` ({@link isTrimmedToMain}) only that file and `dist/*.wasm`; for `webgpu` only Dawn's
 * prebuilt `dawn.node` for this platform, not the build tooling. Licenses and READMEs always.
 */
export function keepPackageFile(pkg: ClosurePackage, rel: string, main: string | undefined): boolean {
  if (NOT_RUNTIME.test(rel)) return false;
  if (/^(LICENSE|LICENCE|NOTICE|README|COPYING)/i.test(rel) || rel === "package.json") return true;
  if (isTrimmedToMain(pkg.realName)) return rel === mainPath(main) || /^dist\/[^/]+\.wasm$/.test(rel);
  if (pkg.realName === "webgpu") {
    if (rel.startsWith("build/")) return false;
    if (rel.startsWith("dist/")) return rel.startsWith(`dist/${PLATFORM}/`);
  }
  return true;
}

/** The files of one package (its nested node_modules are packages of their own). */
export function packageFiles(root: string, pkg: ClosurePackage, main: string | undefined): BundleFile[] {
  const dir = join(root, pkg.dir);
  return listFiles(dir, (rel) => rel === "node_modules" || rel.endsWith("/node_modules"))
    .filter((rel) => keepPackageFile(pkg, rel, main))
    .map((rel) => ({ path: `${pkg.dir}/${rel}`, source: join(dir, rel), executable: isExecutable(join(dir, rel)) }));
}

/**
 * The launcher: finds its own folder (through symbolic links, so `ln -s …/bin/hybrid-ir ~/bin/`
 * works) and runs the CLI with the Node beside it, whatever `node` is or is not on PATH.
 */
export const LAUNCHER = `#!/bin/sh
# hybrid-ir launcher: runs the command-line tool with the Node.js runtime shipped in this bundle.
self=$0
while [ -L "$self" ]; do
  target=$(readlink -- "$self")
  case $target in
    /*) self=$target ;;
    *) self=$(dirname -- "$self")/$target ;;
  esac
done
bin=$(CDPATH= cd -P -- "$(dirname -- "$self")" && pwd) || exit 1
exec "$bin/../node/bin/node" "$bin/../dist/src/cli/main.js" "$@"
`;

/** Node's license, where the running Node's installation keeps it (official tarball, Debian, NodeSource). */
export function nodeLicensePath(execPath: string): string | undefined {
  const prefix = dirname(dirname(execPath));
  const candidates = [
    join(prefix, "LICENSE"),
    join(prefix, "share", "doc", "node", "LICENSE"),
    join(prefix, "share", "doc", "nodejs", "LICENSE"),
    "/usr/share/doc/nodejs/LICENSE",
    "/usr/share/doc/nodejs/copyright",
  ];
  return candidates.find((c) => existsSync(c));
}

/** Compiled JavaScript (and JSON) of one dist/ subtree, without declarations or maps. */
export function compiledFiles(root: string, sub: string): BundleFile[] {
  const dir = join(root, sub);
  if (!existsSync(dir)) return [];
  return listFiles(dir)
    .filter((rel) => /\.(js|mjs|cjs|json)$/.test(rel))
    .map((rel) => ({ path: `${sub}/${rel}`, source: join(dir, rel), executable: false }));
}

/** Every file under data/: datasets, tokenizer, reference, with their LICENSE, README and SHA256SUMS. */
export function dataFiles(root: string): BundleFile[] {
  const dir = join(root, "data");
  return listFiles(dir).map((rel) => ({ path: `data/${rel}`, source: join(dir, rel), executable: false }));
}
