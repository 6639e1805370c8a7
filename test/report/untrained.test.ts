import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { packageRoot } from "../../src/paths.js";
import { readUntrainedReference } from "../../src/report/untrained.js";
import { DataError } from "../../src/util/errors.js";

const E5_FILE = join(packageRoot(), "bench", "results", "2026-12-04-e5-small-zero-shot.json");

describe("readUntrainedReference", () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), "hybrid-ir-untrained-"));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test("e5-small's zero-shot file: both benchmarks' headline numbers, as the raw JSON has them", async () => {
    const ref = await readUntrainedReference(E5_FILE);
    const raw = JSON.parse(await readFile(E5_FILE, "utf8"));
    assert.equal(ref.model, raw.model);
    assert.deepEqual(Object.keys(ref.results).sort(), ["mlqa-r", "xquad-r"]);
    for (const name of ["xquad-r", "mlqa-r"] as const) {
      const r = raw.datasets[name].result;
      assert.deepEqual(ref.results[name], {
        engine: raw.datasets[name].engine,
        mono: r.mono.mean.map,
        cross: r.cross.mean.map,
        multi: r.multi.mean.map,
        rankDistance: r.languageBias.mean,
      });
    }
    // The untrained e5-small: strong monolingually, weak across languages (README's zero-shot table).
    assert.ok(ref.results["xquad-r"]!.mono! > 0.79 && ref.results["xquad-r"]!.multi! < 0.31);
  });

  test("a benchmark the file lacks is absent; a malformed field is a DataError naming the file and field", async () => {
    const raw = JSON.parse(await readFile(E5_FILE, "utf8"));
    const onlyXquad = join(work, "xquad-only.json");
    await writeFile(onlyXquad, JSON.stringify({ ...raw, datasets: { "xquad-r": raw.datasets["xquad-r"] } }));
    assert.deepEqual(Object.keys((await readUntrainedReference(onlyXquad)).results), ["xquad-r"]);

    const bad = join(work, "bad.json");
    raw.datasets["mlqa-r"].result.multi.mean.map = "high";
    await writeFile(bad, JSON.stringify(raw));
    await assert.rejects(readUntrainedReference(bad), (err: Error) => {
      assert.ok(err instanceof DataError);
      assert.match(err.message, /bad\.json/);
      assert.match(err.message, /datasets\.mlqa-r\.result\.multi\.mean\.map must be a finite number or null, got "high"/);
      return true;
    });
    const noDatasets = join(work, "none.json");
    await writeFile(noDatasets, JSON.stringify({ model: "m" }));
    await assert.rejects(readUntrainedReference(noDatasets), /datasets must be a JSON object, got undefined/);
    await assert.rejects(readUntrainedReference(join(work, "missing.json")), /missing\.json/);
  });
});
