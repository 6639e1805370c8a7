/**
 * Builds native/blas_matmul.cc into dist/native/blas_matmul.node (the last step of `npm run
 * build`): the BLAS matrix products for tfjs's wasm backend (src/compute/blas.ts). Optional:
 * without a C++ compiler or Node's headers, or on Windows, it says so and exits 0, and wasm's
 * products stay on XNNPACK. HYBRID_IR_NATIVE=0 skips it; CXX picks the compiler. The BLAS itself
 * is opened at run time, so building needs no BLAS headers.
 *
 *   node dist/scripts/build-native.js
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { nativeModulePath } from "../src/compute/blas.js";
import { packageRoot } from "../src/paths.js";

export interface NativeBuild {
  readonly source: string;
  readonly out: string;
  /** The compiler to run (default $CXX, else c++). */
  readonly cxx?: string;
}

/** What happened: "built", "up to date", or why nothing was built (the products then stay on XNNPACK). */
export type NativeBuildResult = { readonly built: boolean; readonly message: string };

/** Compiles `source` into `out` unless `out` is newer; never throws, and leaves no partial file behind. */
export function buildNative({ source, out, cxx = process.env.CXX ?? "c++" }: NativeBuild): NativeBuildResult {
  const not = (why: string) => ({ built: false, message: `${why}; matrix products stay on XNNPACK (environment.md)` });
  if (process.platform === "win32") return not("not built on Windows");
  // Up to date: nothing to do, so `npm run build` stays at tsc's speed.
  if (existsSync(out) && statSync(out).mtimeMs > statSync(source).mtimeMs) return { built: false, message: "up to date" };
  // Node's own headers: installed beside the node binary by nodesource, nvm and the official tarballs.
  const include = join(dirname(process.execPath), "..", "include", "node");
  if (!existsSync(join(include, "node_api.h"))) return not(`no node_api.h in ${include}`);
  const link = process.platform === "darwin" ? ["-bundle", "-undefined", "dynamic_lookup"] : ["-shared"];
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const args = ["-O2", "-std=c++17", "-fPIC", "-Wall", "-Wextra", "-DNODE_GYP_MODULE_NAME=blas_matmul", `-I${include}`, ...link, source, "-o", tmp, "-ldl"];
  const r = spawnSync(cxx, args, { stdio: ["ignore", "inherit", "inherit"] });
  if (r.error !== undefined || r.status !== 0) {
    rmSync(tmp, { force: true });
    return not(r.error !== undefined ? `no C++ compiler (${cxx}: ${r.error.message})` : `compiling ${source} failed (${cxx} exited ${r.status})`);
  }
  renameSync(tmp, out);
  return { built: true, message: `built ${out}` };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (process.env.HYBRID_IR_NATIVE === "0") {
    console.log("build-native: skipped (HYBRID_IR_NATIVE=0)");
  } else {
    const { built, message } = buildNative({ source: join(packageRoot(), "native", "blas_matmul.cc"), out: nativeModulePath() });
    if (built || message !== "up to date") console.log(`build-native: ${message}`);
  }
}
