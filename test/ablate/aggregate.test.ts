import assert from "node:assert/strict";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { AGGREGATE_COLUMNS, aggregateCsv, aggregateRuns } from "../../src/ablate/aggregate.js";
import { readGrid } from "../../src/ablate/grid.js";
import { runKey } from "../../src/ablate/run-state.js";
import type { AggregateRow } from "../../src/ablate/types.js";
import { readRunConfig } from "../../src/train/config.js";
import { cli, parseCsv, start, TINY_MODEL, tinyBase, waitFor, workspace } from "./helpers.js";

const ROW: AggregateRow = {
  key: "0123456789ab",
  dir: "0123456789ab",
  model: "mini 2x128",
  train: "mlqa-r",
  eval: "xquad-r",
  strategy: "hybrid",
  alpha: 0.5,
  seed: 1,
  state: "complete",
  steps: 300,
  checkpointStep: 250,
  bestValLoss: 1.25,
  monoMap: 0.5,
  crossMap: 0.25,
  multiMap: 0.125,
  rankDistance: 612.5,
  pairsPerSec: 40,
  gitCommit: null,
};

describe("aggregateCsv", () => {
  test("RFC 4180: a header of every column, CRLF rows, quoted fields where needed, null empty", () => {
    const odd: AggregateRow = { ...ROW, model: 'my "best", model', train: "records\nv2.jsonl", alpha: null, strategy: "x-x", eval: null };
    const text = aggregateCsv([ROW, odd]);
    assert.equal(text.split("\r\n")[0], AGGREGATE_COLUMNS.join(","));
    assert.equal(text.split("\r\n")[1], "0123456789ab,0123456789ab,mini 2x128,mlqa-r,xquad-r,hybrid,0.5,1,complete,300,250,1.25,0.5,0.25,0.125,612.5,40,");
    assert.match(text, /,"my ""best"", model","records\nv2\.jsonl",,x-x,,1,/);
    const [header, ...rows] = parseCsv(text);
    assert.deepEqual(header, [...AGGREGATE_COLUMNS]);
    assert.equal(rows[1][header.indexOf("model")], 'my "best", model');
    assert.equal(rows[1][header.indexOf("train")], "records\nv2.jsonl");
    assert.equal(aggregateCsv([]), `${AGGREGATE_COLUMNS.join(",")}\r\n`);
  });
});

describe("hybrid-ir ablate --aggregate", () => {
  const ws = workspace("hybrid-ir-ablate-aggregate-");

  test("one row per run directory, whoever trained it, with a partial run's metrics null", async () => {
    const dir = ws.dir();
    // run 0 (x-x) trains to the end; run 1 (hybrid, long) is stopped early
    await ws.write("agg.json", {
      base: tinyBase(),
      outputRoot: "runs/agg",
      axes: { seed: [1] },
      grids: [{ axes: { strategy: ["x-x"] } }, { axes: { strategy: ["hybrid"] }, set: { steps: 300 } }],
    });
    const grid = await readGrid("agg.json", dir);
    const task0 = await cli(dir, "ablate", "--grid", "agg.json", "--task", "0");
    assert.equal(task0.code, 0, task0.stderr + task0.stdout);
    const partialDir = grid.runs[1].config.outputDir;
    const task1 = start(dir, ["ablate", "--grid", "agg.json", "--task", "1"]);
    await waitFor("run 1 to log a training step", async () => (await readFile(join(partialDir, "metrics.jsonl"), "utf8").catch(() => "")).includes('"type":"train"'));
    task1.child.kill("SIGINT");
    assert.equal(await task1.exited, 130, task1.output.stderr);

    // a run trained by hand into the outputRoot, with a model whose path needs CSV quoting
    const model = join(dir, "models", 'tiny, "bert"');
    await cp(TINY_MODEL, model, { recursive: true });
    await ws.write("hand.json", tinyBase({ model: { ref: model, seed: 2 }, sampler: { name: "x-y", batchSize: 8, seed: 2 } }));
    const hand = await cli(dir, "train", "--config", "hand.json", "--output", "runs/agg/by-hand");
    assert.equal(hand.code, 0, hand.stderr);
    // what is not a run directory is left out; labels do not come from grid.json
    await mkdir(join(dir, "runs", "agg", "notes"));
    await writeFile(join(dir, "runs", "agg", "grid.json"), "not the manifest");

    const out = await cli(dir, "ablate", "--grid", "agg.json", "--aggregate");
    assert.equal(out.code, 0, out.stderr);
    const rows = JSON.parse(await readFile(join(dir, "runs", "agg", "results.json"), "utf8")) as AggregateRow[];
    assert.deepEqual(await aggregateRuns(grid.outputRoot), rows);
    // Sorted by model first: the copied model's path sorts before or after the fixture's
    // depending on where the checkout lives, and the two grid runs keep their order.
    const gridRows: unknown[][] = [
      [grid.runs[0].key, "x-x", null, 1, "complete"],
      [grid.runs[1].key, "hybrid", 0.5, 1, "partial"],
    ];
    const handRow: unknown[] = ["by-hand", "x-y", null, 2, "complete"];
    assert.deepEqual(
      rows.map((r) => [r.dir, r.strategy, r.alpha, r.seed, r.state]),
      model < TINY_MODEL ? [handRow, ...gridRows] : [...gridRows, handRow],
    );
    const byHand = rows.find((r) => r.dir === "by-hand")!;
    const [complete, partial] = rows.filter((r) => r !== byHand);
    assert.equal(byHand.key, runKey(await readRunConfig(join(dir, "runs", "agg", "by-hand", "config.json"))));
    assert.equal(byHand.model, model);
    assert.deepEqual([complete.key, partial.key], [grid.runs[0].key, grid.runs[1].key]);
    for (const row of [byHand, complete]) {
      assert.equal(row.train, "train.jsonl");
      assert.equal(row.eval, "xquad-r");
      assert.equal(row.steps, 10);
      assert.ok(row.checkpointStep !== null && row.checkpointStep <= 10);
      for (const v of [row.monoMap, row.crossMap, row.multiMap]) assert.ok(v !== null && v > 0 && v <= 1, JSON.stringify(row));
      assert.ok(row.rankDistance !== null && row.rankDistance > 0);
      assert.ok(row.bestValLoss !== null && row.pairsPerSec !== null && row.pairsPerSec > 0);
      assert.match(row.gitCommit ?? "", /^[0-9a-f]{40}$/);
    }
    assert.deepEqual([partial.monoMap, partial.crossMap, partial.multiMap, partial.rankDistance, partial.checkpointStep], [null, null, null, null, null]);
    assert.ok(partial.steps >= 5 && partial.steps < 300, `stopped at ${partial.steps}`);
    assert.ok(partial.pairsPerSec !== null && partial.pairsPerSec > 0);

    // results.csv holds the same rows, the quoted model path included
    const [header, ...csvRows] = parseCsv(await readFile(join(dir, "runs", "agg", "results.csv"), "utf8"));
    assert.deepEqual(header, [...AGGREGATE_COLUMNS]);
    assert.deepEqual(
      csvRows,
      rows.map((r) => AGGREGATE_COLUMNS.map((c) => (r[c] === null ? "" : String(r[c])))),
    );
    assert.match(out.stdout, /\/tiny, "bert"\s+train\.jsonl→xquad-r\s+x-y\s+-\s+2\s+complete\s+0\.\d{3}/);
    assert.match(out.stdout, /hybrid\s+0\.5\s+1\s+partial\s+-\s+-\s+-\s+-$/m);
    assert.match(out.stdout, /3 runs: runs\/agg\/results\.csv, runs\/agg\/results\.json/);
  });
});
