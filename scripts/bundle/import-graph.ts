/**
 * Which packages the compiled code can load: the module graph from entry points, following
 * static imports, re-exports, `import("literal")` and `require("literal")` (lazy loads count:
 * they run when their code path does). Specifiers built at run time (`import(name)`) are not
 * seen; they are reported as such so a reader knows the graph's limits.
 */
import { existsSync, readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, relative, resolve, sep } from "node:path";

/** A bare specifier reached from the entry points, with the chain of files that reaches it. */
export interface PackageUse {
  /** `@scope/name` or `name`. */
  readonly name: string;
  /** The specifier as written: `@tensorflow/tfjs` or `tslab`. */
  readonly specifier: string;
  /** Whether it is loaded on demand (`import()` / `require` inside a function) or at load. */
  readonly lazy: boolean;
  /** Files from an entry point to the importing file, relative to `root`. */
  readonly chain: readonly string[];
}

export interface ImportGraph {
  /** Every local module reached, relative to `root`, sorted. */
  readonly files: readonly string[];
  /** Every (package, importing file) pair, first chain found (breadth-first, so shortest). */
  readonly packages: readonly PackageUse[];
  /** `import(` / `require(` calls whose argument is not a string literal: file → count. */
  readonly computed: ReadonlyMap<string, number>;
}

/** Comments out of the way, so a `import("x")` in a doc comment is not an import. */
function stripComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

const STATIC = /(?:^|[;\n])\s*(?:import|export)\s+(?:[\w$*{}\s,]+?\s+from\s+)?(["'])([^"'\n]+)\1/g;
const DYNAMIC = /(?<![\w$.])(?:import|require)\s*\(\s*(["'])([^"'\n]+)\1\s*\)/g;
const COMPUTED = /(?<![\w$.])(?:import|require)\s*\(\s*(?!["'])/g;

/** Specifiers in one module: static ones are eager, `import()` / `require()` lazy. */
export function moduleSpecifiers(code: string): { specifier: string; lazy: boolean }[] {
  const text = stripComments(code);
  const out: { specifier: string; lazy: boolean }[] = [];
  for (const m of text.matchAll(STATIC)) out.push({ specifier: m[2], lazy: false });
  for (const m of text.matchAll(DYNAMIC)) out.push({ specifier: m[2], lazy: true });
  return out;
}

/** `@scope/name/deep/path` → `@scope/name`; `name/deep` → `name`. */
export function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Walks the graph from `entries` (absolute paths of .js files). */
export function importGraph(root: string, entries: readonly string[]): ImportGraph {
  const rel = (file: string): string => relative(root, file).split(sep).join("/");
  const chainOf = new Map<string, readonly string[]>();
  const queue: string[] = [];
  for (const entry of entries) {
    if (!chainOf.has(entry)) {
      chainOf.set(entry, [rel(entry)]);
      queue.push(entry);
    }
  }
  const packages = new Map<string, PackageUse>();
  const computed = new Map<string, number>();
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (!file.endsWith(".js") && !file.endsWith(".mjs") && !file.endsWith(".cjs")) continue; // JSON and the like
    const code = readFileSync(file, "utf8");
    const chain = chainOf.get(file)!;
    const dynamicComputed = [...stripComments(code).matchAll(COMPUTED)].length;
    if (dynamicComputed > 0) computed.set(rel(file), dynamicComputed);
    for (const { specifier, lazy } of moduleSpecifiers(code)) {
      if (specifier.startsWith(".") || specifier.startsWith("/")) {
        const target = resolve(dirname(file), specifier);
        if (!existsSync(target)) throw new Error(`${rel(file)} imports '${specifier}', which does not exist (${rel(target)}); rebuild with npm run build`);
        if (!chainOf.has(target)) {
          chainOf.set(target, [...chain, rel(target)]);
          queue.push(target);
        }
      } else if (!specifier.startsWith("node:") && !isBuiltin(specifier)) {
        const name = packageName(specifier);
        const key = `${name}\u0000${rel(file)}`;
        if (!packages.has(key)) packages.set(key, { name, specifier, lazy, chain });
      }
    }
  }
  return {
    files: [...chainOf.keys()].map(rel).sort(),
    packages: [...packages.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    computed,
  };
}
