/**
 * `npm run bundle`: one archive that runs hybrid-ir on a Linux x86-64 machine without network or
 * Node (a GPU cluster node): the Node binary running this script, the compiled suite, its
 * production dependencies, the vendored data and a launcher. docs/bundle.md says how to use it.
 *
 *   node dist/scripts/bundle.js [--out-dir bundle] [--device]
 *
 * Default: bundle/hybrid-ir-<version>-linux-x64.tar.gz (+ .sha256). `--device` writes the variant
 * bench/gpu/run.sh carries to the GPU machine, whose upload limit the full archive exceeds:
 * no data/ (the checkout there has it), Node without its symbol table, xz instead of gzip:
 * hybrid-ir-<version>-linux-x64-device.tar.xz.
 *
 * Before packing, the compiled CLI's import graph is checked against what is packed: a module
 * reachable from dist/src/cli/main.js or dist/bench that loads an excluded package, a
 * devDependency or anything not in the closure stops the build, naming the import chain.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { createGzip, constants as zlib } from "node:zlib";
import { packageRoot } from "../src/paths.js";
import { dependencyClosure, type ClosurePackage } from "./bundle/closure.js";
import {
  compiledFiles,
  dataFiles,
  EXCLUDED_PACKAGES,
  isTrimmedToMain,
  isTypeOnlyPackage,
  LAUNCHER,
  listFiles,
  mainPath,
  nodeLicensePath,
  packageFiles,
  PLATFORM,
  type BundleFile,
} from "./bundle/contents.js";
import { importGraph, moduleSpecifiers, packageName } from "./bundle/import-graph.js";
import { bundleReadme, elfNeeds } from "./bundle/readme.js";
import { tarChunks, type TarEntry } from "./bundle/tar.js";

const USAGE = "usage: node dist/scripts/bundle.js [--out-dir DIR] [--device]";

interface Manifest {
  name: string;
  version: string;
  main?: string;
  devDependencies?: Record<string, string>;
}

function git(root: string, ...args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

/** Seconds since the epoch stamped on every member: SOURCE_DATE_EPOCH, else the commit's time. */
function sourceDate(root: string): number {
  const fromEnv = Number(process.env.SOURCE_DATE_EPOCH);
  if (process.env.SOURCE_DATE_EPOCH !== undefined && Number.isInteger(fromEnv) && fromEnv >= 0) return fromEnv;
  return Number(git(root, "log", "-1", "--format=%ct") ?? 0) || 0;
}

/**
 * Problems with the run-time import graph: packages it loads that the bundle lacks on purpose
 * (excluded, devDependencies) or by accident, and deep imports into packages trimmed to `main`.
 */
function importProblems(root: string, entries: readonly string[], closure: readonly ClosurePackage[], manifest: Manifest): { problems: string[]; summary: string } {
  const graph = importGraph(root, entries);
  const topLevel = new Map(closure.filter((p) => p.dir === `node_modules/${p.name}`).map((p) => [p.name, p]));
  const problems: string[] = [];
  for (const use of graph.packages) {
    const how = `${use.lazy ? "loads on demand" : "imports"} '${use.specifier}' (${use.chain.join(" → ")})`;
    const bundled = topLevel.get(use.name);
    if (EXCLUDED_PACKAGES.has(use.name)) problems.push(`${how}: ${use.name} is excluded from the bundle (${EXCLUDED_PACKAGES.get(use.name)})`);
    else if (bundled === undefined && manifest.devDependencies?.[use.name] !== undefined) problems.push(`${how}: ${use.name} is a devDependency`);
    else if (bundled === undefined) problems.push(`${how}: ${use.name} is not in the production dependency closure`);
    else if (bundled.realName.startsWith("@tensorflow/tfjs") && use.specifier !== use.name) {
      problems.push(`${how}: the bundle keeps only ${use.name}'s Node bundle, not deep paths`);
    }
  }
  const names = [...new Set(graph.packages.map((p) => p.name))].sort();
  const computed = [...graph.computed.keys()].sort();
  const summary =
    `import graph: ${graph.files.length} modules; packages ${names.join(", ")}` +
    (computed.length > 0 ? `; import()/require() of computed names (not followed, covered by package.json) in ${computed.join(", ")}` : "");
  return { problems, summary };
}

async function strippedNode(execPath: string): Promise<{ bytes: Buffer; stripped: boolean }> {
  const dir = await mkdtemp(join(tmpdir(), "hybrid-ir-bundle-"));
  try {
    execFileSync("strip", ["-o", join(dir, "node"), execPath], { stdio: ["ignore", "ignore", "pipe"] });
    return { bytes: await readFile(join(dir, "node")), stripped: true };
  } catch (err) {
    console.warn(`bundle: could not strip ${execPath} (${(err as Error).message.split("\n")[0]}); packing it as is`);
    return { bytes: await readFile(execPath), stripped: false };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Members in archive order, contents read one at a time (the Node binary alone is ~100 MB). */
async function* members(top: string, files: readonly BundleFile[], node: () => Promise<Buffer>, total: { bytes: number }): AsyncGenerator<TarEntry> {
  for (const f of files) {
    const data =
      f.path === "node/bin/node" ? await node() : typeof f.source === "string" ? await readFile(f.source) : Buffer.from(f.source.text, "utf8");
    total.bytes += data.length;
    yield { path: `${top}/${f.path}`, data, executable: f.executable };
  }
}

async function writeArchive(out: string, chunks: AsyncGenerator<Buffer>, compression: "gzip" | "xz"): Promise<void> {
  const partial = `${out}.partial`;
  try {
    if (compression === "gzip") {
      await pipeline(Readable.from(chunks), createGzip({ level: zlib.Z_BEST_COMPRESSION }), createWriteStream(partial));
    } else {
      // --x86: the BCJ filter, which makes machine code (node, dawn.node) compress better.
      const xz = spawn("xz", ["--compress", "--stdout", "--x86", "--lzma2=preset=9e", "--threads=1"], { stdio: ["pipe", "pipe", "inherit"] });
      const exited = new Promise<number>((done, fail) => {
        xz.on("error", (e) => fail(new Error(`cannot run xz (${e.message}); install xz-utils or build without --device`)));
        xz.on("close", (code) => done(code ?? 1));
      });
      await Promise.all([pipeline(Readable.from(chunks), xz.stdin), pipeline(xz.stdout, createWriteStream(partial))]);
      const code = await exited;
      if (code !== 0) throw new Error(`xz exited with ${code}`);
    }
    await rename(partial, out);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

async function sha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { "out-dir": { type: "string" }, device: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const started = performance.now();
  const root = packageRoot();
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Manifest;
  const device = values.device === true;
  const top = `${manifest.name}-${manifest.version}-${PLATFORM}`;
  const archiveName = `${top}${device ? "-device.tar.xz" : ".tar.gz"}`;
  const outDir = resolve(values["out-dir"] ?? join(root, "bundle"));
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`the bundle packs the running Node, which is ${process.platform}-${process.arch}; build it on ${PLATFORM}`);
  }
  const mainJs = join(root, "dist", "src", "cli", "main.js");
  if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run npm run build first (npm run bundle does)`);

  const mainOf = (pkg: ClosurePackage): string | undefined =>
    (JSON.parse(readFileSync(join(root, pkg.dir, "package.json"), "utf8")) as { main?: string }).main;
  // A package trimmed to its main file needs what that file requires, declared or not.
  const requires = (pkg: ClosurePackage): Set<string> | undefined => {
    if (!isTrimmedToMain(pkg.realName)) return undefined;
    const code = readFileSync(join(root, pkg.dir, mainPath(mainOf(pkg))), "utf8");
    return new Set(moduleSpecifiers(code).map((s) => s.specifier).filter((s) => !isBuiltin(s) && !s.startsWith(".")).map(packageName));
  };
  const closure = dependencyClosure(root, { exclude: new Set(EXCLUDED_PACKAGES.keys()), skip: isTypeOnlyPackage, requires });
  const benchEntries = listFiles(join(root, "dist", "bench")).filter((f) => f.endsWith(".js")).map((f) => join(root, "dist", "bench", f));
  const { problems, summary } = importProblems(root, [mainJs, ...benchEntries], closure, manifest);
  console.log(summary);
  if (problems.length > 0) throw new Error(`the run-time import graph needs what the bundle leaves out:\n  ${problems.join("\n  ")}`);

  const dawn = join(root, "node_modules", "webgpu", "dist", PLATFORM, "dawn.node");
  const nodeLicense = nodeLicensePath(process.execPath);
  const commit = git(root, "rev-parse", "HEAD") ?? "unknown";
  const dirty = (git(root, "status", "--porcelain", "--untracked-files=no") ?? "") !== "";
  const mtime = sourceDate(root);
  const readme = bundleReadme({
    name: manifest.name,
    version: manifest.version,
    top,
    archive: archiveName,
    commit: `${commit}${dirty ? " with uncommitted changes" : ""}`,
    builtAt: `${new Date(mtime * 1000).toISOString().slice(0, 10)} (source date)`,
    nodeVersion: process.version,
    nodeNeeds: elfNeeds(process.execPath),
    dawnNeeds: existsSync(dawn) ? elfNeeds(dawn) : undefined,
    packages: closure,
    withData: !device,
    nodeLicense: nodeLicense !== undefined,
  });

  const files: BundleFile[] = [
    { path: "BUNDLE-README.md", source: { text: readme }, executable: false },
    { path: "LICENSE", source: join(root, "LICENSE"), executable: false },
    { path: "package.json", source: join(root, "package.json"), executable: false },
    { path: "bin/hybrid-ir", source: { text: LAUNCHER }, executable: true },
    { path: "node/bin/node", source: process.execPath, executable: true },
    ...(nodeLicense ? [{ path: "node/LICENSE", source: nodeLicense, executable: false }] : []),
    ...compiledFiles(root, "dist/src"),
    ...compiledFiles(root, "dist/bench"),
    ...(device ? [] : dataFiles(root)),
    ...closure.flatMap((pkg) => packageFiles(root, pkg, mainOf(pkg))),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (let i = 1; i < files.length; i++) if (files[i].path === files[i - 1].path) throw new Error(`two members at ${files[i].path}`);
  if (!files.some((f) => f.path === `node_modules/webgpu/dist/${PLATFORM}/dawn.node`)) throw new Error(`webgpu's ${PLATFORM} binary is missing from the bundle`);

  let nodeNote = "copied";
  const node = async (): Promise<Buffer> => {
    if (!device) return readFile(process.execPath);
    const { bytes, stripped } = await strippedNode(process.execPath);
    nodeNote = stripped ? "symbol table stripped" : "copied";
    return bytes;
  };
  await mkdir(outDir, { recursive: true });
  const out = join(outDir, archiveName);
  const unpacked = { bytes: 0 };
  await writeArchive(out, tarChunks(members(top, files, node, unpacked), mtime), device ? "xz" : "gzip");
  const digest = await sha256(out);
  await writeFile(`${out}.sha256`, `${digest}  ${archiveName}\n`);

  const size = (await stat(out)).size;
  console.log(
    [
      `packed ${closure.length} packages (${[...EXCLUDED_PACKAGES.keys()].join(", ")} and @types/* left out), Node ${process.version} (${nodeNote})${device ? ", no data/" : ""}`,
      `wrote ${out}`,
      `  ${(size / 2 ** 20).toFixed(1)} MiB (${(unpacked.bytes / 2 ** 20).toFixed(0)} MiB unpacked), ${files.length} files, sha256 ${digest}, ${((performance.now() - started) / 1000).toFixed(1)} s`,
    ].join("\n"),
  );
}

try {
  await main();
} catch (err) {
  console.error(`bundle: ${(err as Error).message}`);
  process.exitCode = 1;
}
