/**
 * The production dependency closure of a package, read from an installed node_modules tree: the
 * packages Node would load at run time, found the way Node finds them (a package's own
 * node_modules first, then each parent's), so nested copies and npm aliases come out right.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";

/** One installed package of the closure. */
export interface ClosurePackage {
  /** The name it is required by: its folder under node_modules (an alias's own name). */
  readonly name: string;
  /** `name` in its package.json; differs from `name` for an npm alias (`"x": "npm:y@^1"`). */
  readonly realName: string;
  readonly version: string;
  readonly license: string;
  /** Folder relative to the root, `/`-separated: `node_modules/webgpu/node_modules/debug`. */
  readonly dir: string;
  /** The first chain of dependencies that reached it, root excluded: `["webgpu", "debug"]`. */
  readonly via: readonly string[];
}

export interface ClosureOptions {
  /**
   * Packages left out with everything only they need, by required name or real name. A package
   * of the closure that needs one (not optionally) is an error.
   */
  readonly exclude?: ReadonlySet<string>;
  /**
   * Packages never loaded at run time (type declarations: `@types/*`), left out silently with
   * whatever only they need. Default: none.
   */
  readonly skip?: (name: string) => boolean;
  /**
   * The packages `pkg` loads, when known better than its package.json says: for a package
   * trimmed to the files Node loads, the names those files require. They replace its declared
   * dependencies, which can be more (browser polyfills, a CLI's argument parser) and also less
   * (a name it requires but only a sibling declares, found through hoisting). Default: undefined,
   * i.e. the declared ones.
   */
  readonly requires?: (pkg: ClosurePackage) => ReadonlySet<string> | undefined;
  /** Follow the root's optionalDependencies too (those installed). Default true. */
  readonly rootOptional?: boolean;
}

interface Manifest {
  name?: string;
  version?: string;
  license?: unknown;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
}

function licenseOf(m: Manifest): string {
  if (typeof m.license === "string") return m.license;
  if (typeof m.license === "object" && m.license !== null && "type" in m.license) return String((m.license as { type: unknown }).type);
  return "UNKNOWN";
}

/**
 * Where `require(name)` from a module in `fromDir` finds the package: `<D>/node_modules/<name>`
 * for D = fromDir and each parent up to `root` (a folder named node_modules is skipped, as Node
 * skips it). Never looks above `root`: a bundle must not depend on what lies around the project.
 */
export function resolvePackageDir(root: string, fromDir: string, name: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (basename(dir) !== "node_modules") {
      const candidate = join(dir, "node_modules", name);
      if (existsSync(join(candidate, "package.json"))) return candidate;
    }
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

/** `npm:@scope/pkg@^1` → `@scope/pkg`; undefined for a plain version range. */
export function aliasTarget(spec: string): string | undefined {
  if (!spec.startsWith("npm:")) return undefined;
  const rest = spec.slice(4);
  const at = rest.indexOf("@", 1);
  return at === -1 ? rest : rest.slice(0, at);
}

/**
 * Walks `dependencies` (and the optional and peer dependencies that are installed) from the
 * package at `root`, breadth-first, so `via` is a shortest chain. Returns the packages sorted by
 * folder. Throws naming the chain when a required dependency is not installed or is excluded.
 *
 * @example
 * const packages = dependencyClosure("/work/main", { exclude: new Set(["tslab"]) });
 * packages.map((p) => p.dir); // ["node_modules/@huggingface/hub", …]
 */
export function dependencyClosure(root: string, options: ClosureOptions = {}): ClosurePackage[] {
  const exclude = options.exclude ?? new Set<string>();
  const rootManifest = readManifest(root);
  const found = new Map<string, ClosurePackage>(); // by absolute folder
  const queue: { dir: string; manifest: Manifest; pkg: ClosurePackage }[] = [];

  const visit = (fromDir: string, name: string, spec: string, via: readonly string[], optional: boolean): void => {
    if (options.skip?.(name)) return;
    const chain = [...via, name].join(" → ");
    const target = aliasTarget(spec);
    if (exclude.has(name) || (target !== undefined && exclude.has(target))) {
      if (optional || via.length === 0) return; // the root's own exclusions are the point
      throw new Error(`${chain}: '${name}' is excluded from the bundle but required by ${via[via.length - 1]}`);
    }
    const dir = resolvePackageDir(root, fromDir, name);
    if (dir === undefined) {
      if (optional) return;
      throw new Error(`${chain}: '${name}' (${spec}) is not installed under ${root}; run npm ci`);
    }
    if (found.has(dir)) return;
    const manifest = readManifest(dir);
    const realName = manifest.name ?? name;
    if (exclude.has(realName)) {
      if (optional || via.length === 0) return;
      throw new Error(`${chain}: '${name}' is ${realName}, which is excluded from the bundle`);
    }
    const pkg: ClosurePackage = {
      name,
      realName,
      version: manifest.version ?? "0.0.0",
      license: licenseOf(manifest),
      dir: relative(root, dir).split(sep).join("/"),
      via: [...via, name],
    };
    found.set(dir, pkg);
    queue.push({ dir, manifest, pkg });
  };

  const edges = (m: Manifest, includeOptional: boolean): [string, string, boolean][] => [
    // optionalDependencies override dependencies of the same name (npm's rule).
    ...Object.entries(m.dependencies ?? {})
      .filter(([n]) => !(n in (m.optionalDependencies ?? {})))
      .map(([n, s]): [string, string, boolean] => [n, s, false]),
    ...(includeOptional ? Object.entries(m.optionalDependencies ?? {}).map(([n, s]): [string, string, boolean] => [n, s, true]) : []),
    // npm ≥ 7 installs peers; one that is absent was optional or is satisfied higher up.
    ...Object.entries(m.peerDependencies ?? {}).map(([n, s]): [string, string, boolean] => [n, s, true]),
  ];

  for (const [name, spec, optional] of edges(rootManifest, options.rootOptional ?? true)) {
    visit(root, name, spec, [], optional);
  }
  while (queue.length > 0) {
    const { dir, manifest, pkg } = queue.shift()!;
    const required = options.requires?.(pkg);
    const next = required === undefined ? edges(manifest, true) : [...required].sort().map((n): [string, string, boolean] => [n, "required by its code", false]);
    for (const [name, spec, optional] of next) visit(dir, name, spec, pkg.via, optional);
  }
  return [...found.values()].sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
}
