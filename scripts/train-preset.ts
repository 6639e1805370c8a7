/**
 * Trains the grid of the preset named by HYBRID_IR_PRESET (default small) before the notebooks
 * run, so that `npm run reproduce` and `npm test` show the training's progress in the terminal
 * rather than inside a notebook cell. Finished runs are skipped and interrupted ones resumed,
 * exactly as notebook 03 and `hybrid-ir ablate` do (they call the same runGrid).
 *
 *   node dist/scripts/train-preset.js        # HYBRID_IR_CONCURRENCY runs at a time (default 2)
 */
import { runGrid } from "../src/ablate/runner.js";
import { presetFromEnv, readPresetGrid } from "../src/presets.js";

const preset = presetFromEnv();
const concurrency = Number(process.env.HYBRID_IR_CONCURRENCY ?? 2);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`HYBRID_IR_CONCURRENCY=${process.env.HYBRID_IR_CONCURRENCY}: expected a positive integer`);
  process.exit(2);
}
const grid = await readPresetGrid(preset);
console.log(`preset ${preset.name}: ${preset.description}`);
const controller = new AbortController();
const stop = () => controller.abort();
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
const started = Date.now();
const summary = await runGrid(grid, { concurrency, signal: controller.signal });
console.log(`preset ${preset.name}: grid done in ${((Date.now() - started) / 60_000).toFixed(1)} min`);
if (summary.interrupted) process.exitCode = 130;
else if (summary.failed > 0) {
  console.error(`${summary.failed} run(s) failed: see ${grid.outputRoot}/logs/`);
  process.exitCode = 1;
}
