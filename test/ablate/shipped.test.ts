import assert from "node:assert/strict";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { readGrid, type Grid } from "../../src/ablate/grid.js";
import { runGrid } from "../../src/ablate/runner.js";
import { runState } from "../../src/ablate/run-state.js";
import { compareWithShipped, installShipped, readShippedManifest, shipGrid, shippedMarker, shippedMatMulEnv } from "../../src/ablate/shipped.js";
import { loadGridReport, originLine } from "../../src/report/grid-report.js";
import { DataError } from "../../src/util/errors.js";
import { cli, tinyBase, workspace } from "./helpers.js";
import { silentLogger } from "../../src/util/logger.js";

describe("shipped results", () => {
  const ws = workspace("hybrid-ir-shipped-");
  // One grid file per outputRoot: the runs (and so their keys) are the same in all of them.
  const gridAt = async (name: string): Promise<Grid> => {
    await ws.write(`${name}.json`, { base: tinyBase(), outputRoot: `runs/${name}`, axes: { strategy: ["x-x", "hybrid"], seed: [1] } });
    return readGrid(`${name}.json`, ws.dir());
  };

  test("a shipped grid installs as complete runs, reads back identically, and a run retrained elsewhere equals its shipped copy", async () => {
    const trained = await gridAt("trained");
    const summary = await runGrid(trained, { concurrency: 2, logger: silentLogger });
    assert.equal(summary.failed, 0);
    const shipped = join(ws.dir(), "results", "tiny");

    const manifest = await shipGrid(trained, shipped);
    assert.deepEqual(manifest.runs.map((r) => r.key), trained.runs.map((r) => r.key));
    assert.deepEqual(await readShippedManifest(shipped), manifest);
    for (const run of trained.runs) {
      const files = (await readdir(join(shipped, run.key))).sort();
      assert.deepEqual(files, ["alignment.json", "config.json", "metrics.jsonl", "per-query.json.gz", "results.json"]);
      const perQuery = gunzipSync(await readFile(join(shipped, run.key, "per-query.json.gz")));
      assert.deepEqual(perQuery, await readFile(join(run.config.outputDir, "per-query.json")));
    }

    // A fresh outputRoot (a fresh clone): every run installs, complete, with the trained numbers.
    const fresh = await gridAt("fresh");
    const install = await installShipped(fresh, shipped);
    assert.deepEqual([install.installed.length, install.present.length, install.missing.length], [2, 0, 0]);
    for (const run of fresh.runs) {
      assert.equal(await runState(run.config.outputDir, run.config), "complete");
      assert.equal((await shippedMarker(run.config.outputDir))?.commit, manifest.commit);
      const config = JSON.parse(await readFile(join(run.config.outputDir, "config.json"), "utf8")) as { outputDir: string };
      assert.equal(config.outputDir, run.config.outputDir, "config.json names the directory it is in");
    }
    assert.equal((await readdir(fresh.outputRoot)).filter((e) => e.endsWith(".tmp")).length, 0);
    const [a, b] = await Promise.all([loadGridReport(trained), loadGridReport(fresh)]);
    assert.deepEqual(
      b.runs.map((r) => [r.row.key, r.row.monoMap, r.row.crossMap, r.row.multiMap, r.perQuery]),
      a.runs.map((r) => [r.row.key, r.row.monoMap, r.row.crossMap, r.row.multiMap, r.perQuery]),
    );
    assert.match(originLine(b), /^2 complete runs: 0 trained here, 2 from /);
    assert.equal(originLine(a), "2 complete runs: 2 trained here");
    // The grid runner takes installed runs as complete: nothing to train.
    const again = await runGrid(fresh, { logger: silentLogger });
    assert.deepEqual(again.runs.map((r) => r.outcome), ["skipped", "skipped"]);
    assert.deepEqual([(await installShipped(fresh, shipped)).installed.length, (await installShipped(fresh, shipped)).present.length], [0, 2]);

    // Retrained from scratch, alone and with other threads: the same run, bit for bit.
    const retrained = await gridAt("retrained");
    const one = retrained.runs.filter((r) => r.labels.strategy === "hybrid");
    assert.equal((await runGrid(retrained, { only: one.map((r) => r.index), logger: silentLogger })).failed, 0);
    assert.deepEqual(await compareWithShipped(one, shipped), []);
    // The rest install around it; the retrained run is left as it is.
    const around = await installShipped(retrained, shipped);
    assert.deepEqual([around.installed.length, around.present.map((r) => r.key)], [1, one.map((r) => r.key)]);
    assert.equal(await shippedMarker(one[0].config.outputDir), null);
    assert.match(originLine(await loadGridReport(retrained)), /^2 complete runs: 1 trained here, 1 from /);

    // A changed number is found and named.
    const results = join(shipped, one[0].key, "results.json");
    const original = await readFile(results, "utf8");
    const json = JSON.parse(original) as { mono: { mean: { map: number } } };
    json.mono.mean.map += 1e-12;
    await writeFile(results, JSON.stringify(json));
    const differences = await compareWithShipped(one, shipped);
    assert.equal(differences.length, 1);
    assert.match(differences[0], new RegExp(`^\\[${one[0].index}\\] ${one[0].key} results.json: mono.mean.map: `));
    await writeFile(results, original);
    // A run the shipped folder lacks is a difference too (the trainer or the grid changed since).
    await ws.write("other.json", { base: tinyBase({ steps: 11 }), outputRoot: "runs/other", axes: { seed: [1] } });
    const other = await readGrid("other.json", ws.dir());
    assert.match((await compareWithShipped(other.runs, shipped))[0], /not in .*ship it again/);
    assert.equal((await installShipped(other, shipped)).missing.length, 1);
  });

  test("verifying retrains on the shipped runs' matrix-product engine: XNNPACK for runs from before it was recorded", async () => {
    const shipped = join(ws.dir(), "results", "tiny");
    const grid = await gridAt("trained");
    const paths = grid.runs.map((r) => join(shipped, r.key, "config.json"));
    const originals = await Promise.all(paths.map((p) => readFile(p, "utf8")));
    const recorded = (JSON.parse(originals[0]) as { provenance: { matmul: { engine: string; threads: number | null } } }).provenance.matmul;
    const expected = recorded.engine === "xnnpack" ? { HYBRID_IR_MATMUL: "xnnpack" } : { HYBRID_IR_MATMUL: "blas", HYBRID_IR_BLAS_THREADS: String(recorded.threads) };
    assert.deepEqual(await shippedMatMulEnv(grid.runs, shipped), expected);
    const rewrite = (i: number, matmul: unknown) => {
      const json = JSON.parse(originals[i]) as { provenance: Record<string, unknown> };
      return writeFile(paths[i], JSON.stringify({ ...json, provenance: { ...json.provenance, matmul } }));
    };
    try {
      await Promise.all(paths.map((_, i) => rewrite(i, undefined)));
      assert.deepEqual(await shippedMatMulEnv(grid.runs, shipped), { HYBRID_IR_MATMUL: "xnnpack" });
      await rewrite(1, { engine: "blas", threads: 2, library: "libopenblas.so.0" });
      await assert.rejects(shippedMatMulEnv(grid.runs, shipped), (err: unknown) => err instanceof DataError && err.file === shipped && /different matrix-product settings/.test(err.problem));
    } finally {
      await Promise.all(paths.map((p, i) => writeFile(p, originals[i])));
    }
  });

  test("a damaged shipped file is an error naming it, and installs nothing", async () => {
    const shipped = join(ws.dir(), "results", "tiny");
    const grid = await gridAt("damaged");
    const key = grid.runs[1].key;
    // What a killed install left: its temporary run directory goes at the next install.
    await mkdir(join(grid.outputRoot, `.${key}.999999999.tmp`), { recursive: true });
    await writeFile(join(grid.outputRoot, `.${key}.999999999.tmp`, "results.json"), "{");
    const gz = join(shipped, key, "per-query.json.gz");
    const bytes = await readFile(gz);
    await writeFile(gz, bytes.subarray(0, bytes.length - 20));
    await assert.rejects(installShipped(grid, shipped), (err: unknown) => err instanceof DataError && err.file === gz && /gzip/.test(err.problem));
    await writeFile(gz, bytes);
    const metrics = join(shipped, key, "metrics.jsonl");
    const text = await readFile(metrics, "utf8");
    await writeFile(metrics, text + "{not json\n");
    await assert.rejects(installShipped(grid, shipped), (err: unknown) => err instanceof DataError && err.file.startsWith(metrics));
    await writeFile(metrics, text);
    // Run 0 installed before run 1 failed; run 1 left nothing behind, not even a temporary directory,
    // and the killed install's directory is gone.
    const left = (await readdir(grid.outputRoot)).sort();
    assert.deepEqual(left, [grid.runs[0].key]);
    const manifest = join(shipped, "manifest.json");
    const original = await readFile(manifest, "utf8");
    await writeFile(manifest, JSON.stringify({ format: "something else" }));
    await assert.rejects(installShipped(grid, shipped), (err: unknown) => err instanceof DataError && err.file === manifest);
    await writeFile(manifest, original);
  });

  test("hybrid-ir ablate --ship refuses an unfinished grid and keeps what was shipped; --dry-run marks shipped runs", async () => {
    const shipped = join(ws.dir(), "results", "tiny");
    const before = await readFile(join(shipped, "manifest.json"), "utf8");
    await ws.write("unfinished.json", { base: tinyBase(), outputRoot: "runs/unfinished", axes: { strategy: ["x-x", "hybrid"], seed: [1] } });
    const refused = await cli(ws.dir(), "ablate", "--grid", "unfinished.json", "--ship", "results/tiny");
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /2 of 2 runs are not complete .*finish the grid before shipping it/);
    assert.doesNotMatch(refused.stderr, /\n\s+at /, "no stack trace");
    assert.equal(await readFile(join(shipped, "manifest.json"), "utf8"), before);

    const listed = await cli(ws.dir(), "ablate", "--grid", "fresh.json", "--dry-run");
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout.match(/complete \(shipped\)/g)?.length, 2);
    const trained = await cli(ws.dir(), "ablate", "--grid", "trained.json", "--dry-run");
    assert.doesNotMatch(trained.stdout, /shipped/);

    // Shipping again from the installed copies gives the same runs.
    const reshipped = await cli(ws.dir(), "ablate", "--grid", "fresh.json", "--ship", "results/again");
    assert.equal(reshipped.code, 0, reshipped.stderr);
    for (const key of JSON.parse(before).runs.map((r: { key: string }) => r.key) as string[]) {
      assert.deepEqual(await readFile(join(ws.dir(), "results/again", key, "per-query.json.gz")), await readFile(join(shipped, key, "per-query.json.gz")));
    }
    await rm(join(ws.dir(), "results/again"), { recursive: true });
  });
});
