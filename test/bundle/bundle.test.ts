/**
 * The offline bundle end to end: build it (scripts/bundle.ts), unpack it with tar outside the
 * repository, and run the CLI from the unpacked folder with a PATH whose `node` is a trap, so
 * only the bundled Node and the bundled node_modules can serve. ~45 s on 2 cores, most of it
 * building the archive.
 *
 * HYBRID_IR_BUNDLE=path/to/hybrid-ir-…-linux-x64.tar.gz reuses an archive built earlier (e.g. by
 * `npm run bundle`) instead of building one.
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { readNpy } from "../../src/data/npy.js";

const BUNDLE_SCRIPT = fileURLToPath(new URL("../../scripts/bundle.js", import.meta.url));
const TAR_MISSING = spawnSync("tar", ["--version"]).error !== undefined;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, { env, cwd, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("offline bundle", { skip: TAR_MISSING ? "tar is not installed: cannot unpack the bundle" : false }, () => {
  let work: string;
  let archive: string;
  let top: string;
  let members: string[];
  let env: NodeJS.ProcessEnv;
  let probeOut: string;
  let trapMarker: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "hybrid-ir-bundle-test-"));
    const reuse = process.env.HYBRID_IR_BUNDLE;
    if (reuse !== undefined && reuse !== "") {
      assert.ok(existsSync(reuse), `HYBRID_IR_BUNDLE=${reuse} does not exist`);
      archive = reuse;
    } else {
      const built = await run(process.execPath, [BUNDLE_SCRIPT, "--out-dir", join(work, "out")], process.env);
      assert.equal(built.code, 0, `bundle failed:\n${built.stdout}\n${built.stderr}`);
      const m = /wrote (\S+\.tar\.gz)/.exec(built.stdout);
      assert.ok(m, `no archive named in:\n${built.stdout}`);
      archive = m[1];
    }
    const listing = await run("tar", ["-tzf", archive], process.env);
    assert.equal(listing.code, 0, listing.stderr);
    members = listing.stdout.split("\n").filter((l) => l !== "");
    top = members[0].replace(/\/.*$/, "");

    // Unpacked under the system temp folder: no node_modules of the repository above it.
    const unpackDir = join(work, "unpacked");
    await mkdir(unpackDir);
    const unpacked = await run("tar", ["-xzf", archive, "-C", unpackDir], process.env);
    assert.equal(unpacked.code, 0, unpacked.stderr);
    top = join(unpackDir, top);

    // A `node` on PATH that must not run, and a preload that records which node does run.
    const trapDir = join(work, "trap-bin");
    trapMarker = join(work, "trap-node-ran");
    await mkdir(trapDir);
    await writeFile(join(trapDir, "node"), `#!/bin/sh\necho "$0 $*" >> '${trapMarker}'\nexit 97\n`);
    await chmod(join(trapDir, "node"), 0o755);
    probeOut = join(work, "exec-path.txt");
    const probe = join(work, "probe.cjs");
    await writeFile(probe, `require("node:fs").appendFileSync(process.env.HYBRID_IR_PROBE_OUT, process.execPath + "\\n");\n`);
    env = {
      PATH: `${trapDir}:/usr/bin:/bin`,
      HOME: work,
      NODE_OPTIONS: `--require ${probe}`,
      HYBRID_IR_PROBE_OUT: probeOut,
    };
  });

  after(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  test("holds node, the suite, data with checksums, a launcher; no notebook or native tfjs packages", () => {
    const has = (rel: string) => members.includes(`${members[0].replace(/\/.*$/, "")}/${rel}`);
    for (const rel of [
      "bin/hybrid-ir",
      "node/bin/node",
      "BUNDLE-README.md",
      "package.json",
      "dist/src/cli/main.js",
      "dist/bench/gpu/webgpu-step.js",
      "data/lareqa/SHA256SUMS",
      "data/tokenizers/xlm-roberta-base/SHA256SUMS",
      "data/reference/SHA256SUMS",
      "node_modules/@tensorflow/tfjs-backend-webgpu/package.json",
      "node_modules/webgpu/dist/linux-x64/dawn.node",
    ]) {
      assert.ok(has(rel), `missing ${rel}`);
    }
    const forbidden = /\/node_modules\/(tslab|@tslab|danfojs-node|plotly\.js-dist-min|@tensorflow\/tfjs-node(-gpu)?|typescript|@types)\//;
    assert.deepEqual(members.filter((m) => forbidden.test(m)), []);
    assert.deepEqual(members.filter((m) => /\/node_modules\/webgpu\/dist\//.test(m) && !/dist\/(linux-x64\/.*)?$/.test(m)), []);
    assert.deepEqual(members.filter((m) => /\.(map|d\.ts)$/.test(m)), []);
  });

  test("bin/hybrid-ir stats runs on the bundled node, not the one on PATH", async () => {
    const r = await run(join(top, "bin", "hybrid-ir"), ["stats", "xquad-r", "--json"], env, work);
    assert.equal(r.code, 0, r.stderr);
    const stats = JSON.parse(r.stdout) as { languages: { lang: string; questions: number }[] };
    assert.equal(stats.languages.length, 11);
    assert.equal(stats.languages.find((l) => l.lang === "en")?.questions, 1190);
    assert.equal(existsSync(trapMarker), false, "the launcher ran the node on PATH");
    const ran = (await readFile(probeOut, "utf8")).trim().split("\n");
    assert.deepEqual([...new Set(ran)], [await realpath(join(top, "node", "bin", "node"))]);
  });

  test("bin/hybrid-ir embed --model mini --backend wasm writes a [3 × 256] .npy", async () => {
    const input = join(work, "three.jsonl");
    await writeFile(
      input,
      ['{"text": "Where is the Eiffel tower?"}', '{"text": "Wo steht der Eiffelturm?"}', '{"text": "Der Turm steht in Paris.", "context": "Paris"}'].join("\n") + "\n",
    );
    const out = join(work, "x.npy");
    const r = await run(join(top, "bin", "hybrid-ir"), ["embed", "--model", "mini", "--input", input, "--out", out, "--backend", "wasm"], env, work);
    assert.equal(r.code, 0, r.stderr);
    const m = await readNpy(out);
    assert.deepEqual([m.rows, m.cols], [3, 256]);
    for (let r = 0; r < 3; r++) {
      const norm = Math.hypot(...m.data.subarray(r * 256, (r + 1) * 256));
      assert.ok(Math.abs(norm - 1) < 1e-4, `row ${r} has norm ${norm}`);
    }
    assert.equal(existsSync(trapMarker), false, "the launcher ran the node on PATH");
  });

  test("backend auto: tfjs-node is not bundled, Dawn (webgpu) loads from the bundle", async () => {
    const input = join(work, "one.jsonl");
    await writeFile(input, '{"text": "hello"}\n');
    const r = await run(join(top, "bin", "hybrid-ir"), ["embed", "--model", "mini", "--input", input, "--out", join(work, "one.npy"), "--backend", "auto", "--verbose"], env, work);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /@tensorflow\/tfjs-node-gpu is not installed/);
    assert.doesNotMatch(r.stderr, /webgpu is not installed/);
  });

  test("the launcher works through a symbolic link", async () => {
    const link = join(work, "hybrid-ir-link");
    await symlink(join(top, "bin", "hybrid-ir"), link);
    const r = await run(link, ["--help"], env, work);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /usage: hybrid-ir <command>/);
  });
});
