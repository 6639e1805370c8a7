/**
 * Trains the grid of the preset named by HYBRID_IR_PRESET (default small) before the notebooks
 * run, so that `npm run reproduce` shows the training's progress in the terminal rather than
 * inside a notebook cell. Finished runs are skipped and interrupted ones resumed, exactly as
 * notebook 03 and `hybrid-ir ablate` do (they call the same runGrid).
 *
 *   node dist/scripts/train-preset.js                   # the whole grid, HYBRID_IR_CONCURRENCY at once (default 2);
 *                                                       # runs installed from shipped results are trained afresh
 *   node dist/scripts/train-preset.js --verify-shipped  # what `npm test` runs: see below
 *
 * --verify-shipped trains only the preset's `verify` runs, requires each to equal its shipped copy
 * (results, per-query ranks, alignment, every loss: training is deterministic), then installs the
 * other shipped runs for the notebooks. A difference, or a grid run the shipped folder lacks (the
 * trainer or the grid changed since it was shipped), exits 1: ship the grid again with
 * `hybrid-ir ablate --grid <grid> --ship <folder>` after training it whole.
 */
import { rm } from "node:fs/promises";
import { runGrid } from "../src/ablate/runner.js";
import { compareWithShipped, installShipped, readShippedManifest, shippedMarker, shippedMatMulEnv } from "../src/ablate/shipped.js";
import { presetFromEnv, presetShippedDir, presetVerifyRuns, readPresetGrid } from "../src/presets.js";

const args = process.argv.slice(2);
const verify = args.includes("--verify-shipped");
const unknown = args.filter((a) => a !== "--verify-shipped");
if (unknown.length > 0) {
  console.error(`train-preset: unknown argument ${unknown[0]} (expected nothing or --verify-shipped)`);
  process.exit(2);
}
const preset = presetFromEnv();
const concurrency = Number(process.env.HYBRID_IR_CONCURRENCY ?? 2);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`HYBRID_IR_CONCURRENCY=${process.env.HYBRID_IR_CONCURRENCY}: expected a positive integer`);
  process.exit(2);
}
const grid = await readPresetGrid(preset);
console.log(`preset ${preset.name}: ${preset.description}`);
const shippedDir = presetShippedDir(preset);
const verifyRuns = presetVerifyRuns(preset, grid);
if (verify && (shippedDir === null || verifyRuns.length === 0)) {
  console.error(`preset ${preset.name} ships no results to verify (its "shipped" and "verify" fields in src/presets.ts)`);
  process.exit(1);
}
// Runs installed from the shipped folder (by a notebook, say) are trained here afresh: a verify run
// would otherwise be compared with itself, and `npm run reproduce` means training the grid here.
const retrain = verify ? verifyRuns : grid.runs;
let removed = 0;
for (const run of retrain) {
  if ((await shippedMarker(run.config.outputDir)) === null) continue;
  await rm(run.config.outputDir, { recursive: true });
  removed++;
}
if (removed > 0) console.log(`removed ${removed} run directories installed from shipped results, to train them here`);
if (verify) {
  // Bit-for-bit equality needs the engine the shipped runs were trained with; the grid's runs inherit it.
  const env = await shippedMatMulEnv(verifyRuns, shippedDir!);
  Object.assign(process.env, env);
  if (Object.keys(env).length > 0) console.log(`matrix products as the shipped runs had them: ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(" ")}`);
}
const controller = new AbortController();
const stop = () => controller.abort();
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
const started = Date.now();
const summary = await runGrid(grid, {
  concurrency,
  signal: controller.signal,
  only: verify ? verifyRuns.map((r) => r.index) : undefined,
});
console.log(`preset ${preset.name}: ${verify ? `${verifyRuns.length} runs` : "grid"} done in ${((Date.now() - started) / 60_000).toFixed(1)} min`);
if (summary.interrupted) process.exit(130);
if (summary.failed > 0) {
  console.error(`${summary.failed} run(s) failed: see ${grid.outputRoot}/logs/`);
  process.exit(1);
}
if (verify) {
  const dir = shippedDir!;
  const manifest = await readShippedManifest(dir);
  console.log(`shipped results: ${dir} (commit ${manifest?.commit ?? "?"}, ${manifest?.shippedAt ?? "no manifest"})`);
  const differences = await compareWithShipped(verifyRuns, dir);
  for (const run of verifyRuns) {
    const mine = differences.filter((d) => d.startsWith(`[${run.index}] `));
    console.log(`[${run.index}] ${run.key} trained here ${mine.length === 0 ? "equals its shipped copy" : "DIFFERS from its shipped copy"}`);
  }
  const install = await installShipped(grid, dir);
  console.log(`installed ${install.installed.length} shipped runs; ${install.present.length} were there; ${install.missing.length} missing`);
  const problems = [...differences, ...install.missing.map((r) => `[${r.index}] ${r.key}: the grid has this run and ${dir} does not`)];
  if (problems.length > 0) {
    for (const p of problems) console.error(`  ${p}`);
    console.error(`${dir} does not match what this checkout trains: retrain the grid and ship it again (README, "Shipped results")`);
    process.exit(1);
  }
}
