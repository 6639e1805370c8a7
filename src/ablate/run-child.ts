/**
 * What one grid run's child process does (runner.ts starts it): train a run from the config the
 * runner wrote, or resume it from its run directory, through the same library calls the
 * `train` command makes, not through the command line. Run as a script it takes its request
 * from its own arguments and exits with the run's status:
 *
 *   node dist/src/ablate/run-child.js start  <outputRoot>/configs/<key>.json
 *   node dist/src/ablate/run-child.js resume <outputRoot>/<key>
 *
 * A first SIGINT or SIGTERM (the runner's Ctrl-C, SLURM's scancel) finishes the step and saves
 * checkpoints/last, as `train` does; a second quits at once.
 */
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DataError } from "../util/errors.js";
import { readRunConfig } from "../train/config.js";
import { CONFIG_NAME } from "../run-files/run-config.js";
import { abortOnInterrupt } from "../util/interrupt.js";

/** This module's file, the script the runner starts (dist/src/ablate/run-child.js when built). */
export const RUN_CHILD = fileURLToPath(import.meta.url);

/** Start a new run (removing what a killed one left) from a config file, or resume one in place. */
export type GridRunRequest = { readonly mode: "start"; readonly configFile: string } | { readonly mode: "resume"; readonly dir: string };

/** The exit status a grid run's child reports: 0 complete, 130 interrupted (resumable), 1 diverged or failed. */
export type GridRunStatus = 0 | 1 | 130;

/** The script's arguments for `request`: what the runner passes and `parseRequest` reads back. */
export function requestArgs(request: GridRunRequest): string[] {
  return request.mode === "start" ? ["start", request.configFile] : ["resume", request.dir];
}

export function parseRequest(args: readonly string[]): GridRunRequest {
  const [mode, path, ...rest] = args;
  if (path === undefined || rest.length > 0 || (mode !== "start" && mode !== "resume")) {
    throw new RangeError(`run-child: expected "start CONFIG.json" or "resume RUN_DIR", got: ${args.join(" ")}`);
  }
  return mode === "start" ? { mode, configFile: path } : { mode, dir: path };
}

/**
 * Trains one grid run to completion, or until `signal` aborts it (checkpoints/last saved).
 * Throws what `train` throws (DataError for bad input).
 */
export async function trainGridRun(request: GridRunRequest, signal?: AbortSignal): Promise<GridRunStatus> {
  const resume = request.mode === "resume";
  const configFile = resume ? join(request.dir, CONFIG_NAME) : request.configFile;
  const config = await readRunConfig(configFile, resume ? { output: request.dir } : {});
  // Loaded here, not at the top: the runner imports this module for RUN_CHILD and requestArgs
  // and should not load tfjs and the model code it never runs itself.
  const { train } = await import("../train/trainer.js");
  const result = await train(config, { resume, overwrite: !resume, signal, configFile });
  if (result.status === "interrupted") return 130;
  if (result.status === "diverged") throw new DataError(result.outputDir, `training diverged: ${result.message}`);
  return 0;
}

/** The script: one request from `args`, signals handled as `train` handles them; resolves to the exit status. */
export async function runChild(args: readonly string[]): Promise<number> {
  const interrupt = abortOnInterrupt({
    first: "interrupted: finishing this step, then saving checkpoints/last",
    second: "second interrupt: quitting without saving",
  });
  try {
    return await trainGridRun(parseRequest(args), interrupt.signal);
  } catch (err) {
    // Input problems (and a hub model that cannot be had) are one line; anything else keeps its
    // stack, since this goes to the run's log file, read when something went wrong.
    const input = err instanceof DataError || err instanceof RangeError || (err instanceof Error && err.name === "HubError");
    console.error(err instanceof Error ? (input ? err.message : (err.stack ?? `${err.name}: ${err.message}`)) : String(err));
    return 1;
  } finally {
    interrupt.dispose();
  }
}

/** Whether node was started on this file (argv[1] may be a symlinked path to it). */
function isMain(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === RUN_CHILD;
  } catch {
    return false;
  }
}

// No top-level await: the library (src/index.ts, through runner.ts) imports this module, and tslab
// loads the library with require(), which refuses an ES module graph holding one.
if (isMain()) void runChild(process.argv.slice(2)).then((code) => (process.exitCode = code));
