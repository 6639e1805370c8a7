/**
 * The paper's published numbers (`paper-reference.ts`): read from data/reference only after the
 * checksum matches, once per process, and shaped as the type says (the module casts the JSON
 * without checking it, so this test is what holds the vendored file to the type). The refusals
 * run on a copy of the compiled modules under a scratch package whose data/ can be broken.
 */
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dataDir } from "../../src/paths.js";
import { loadPaperResults, PAPER_FILE, type PaperResults } from "../../src/report/paper-reference.js";
import { DataError } from "../../src/util/errors.js";

const REFERENCE = join(dataDir(), "reference");
const MODELS = ["xlm-r", "labse"] as const;
const DATASETS = ["xquad-r", "mlqa-r"] as const;
const SETTINGS = ["mono", "cross", "multi"] as const;
const STRATEGIES = ["x-x", "x-y", "hybrid"] as const;

describe("loadPaperResults", () => {
  test("returns the vendored file's contents, and the same object on every call", async () => {
    const raw = JSON.parse(await readFile(join(REFERENCE, PAPER_FILE), "utf8")) as unknown;
    const paper = await loadPaperResults();
    assert.deepEqual(paper, raw);
    assert.equal(await loadPaperResults(), paper);
    assert.match(paper.source, /arXiv:2408\.10536/);
  });

  test("every table is complete for both models, both datasets, every setting and strategy", async () => {
    const paper: PaperResults = await loadPaperResults();
    const isFraction = (v: unknown) => typeof v === "number" && v > 0 && v < 1;
    const isDistance = (v: unknown) => typeof v === "number" && v > 0;
    for (const model of MODELS) {
      for (const dataset of DATASETS) {
        const languages = Object.keys(paper.map_per_language[model][dataset]);
        assert.equal(languages.at(-1), "mean");
        assert.equal(languages.length, dataset === "xquad-r" ? 12 : 8, `${model} ${dataset}: 11 or 7 languages and the mean`);
        for (const strategy of STRATEGIES) {
          assert.ok(isDistance(paper.table2_rank_distance[model][dataset][strategy]), `table 2 ${model} ${dataset} ${strategy}`);
          for (const setting of SETTINGS) {
            assert.ok(isFraction(paper.table1_map[model][dataset][setting][strategy]), `table 1 ${model} ${dataset} ${setting} ${strategy}`);
            for (const lang of languages) {
              assert.ok(isFraction(paper.map_per_language[model][dataset][lang][setting][strategy]), `${model} ${dataset} ${lang} ${setting} ${strategy}`);
            }
          }
          for (const lang of languages) {
            assert.ok(isDistance(paper.rank_distance_per_language[dataset][lang][model][strategy]), `rank distance ${dataset} ${lang} ${model} ${strategy}`);
          }
        }
      }
    }
    for (const dataset of DATASETS) {
      const baselines = Object.values(paper.lareqa_baselines_map[dataset]);
      assert.ok(baselines.length > 0 && baselines.every(isFraction), `LAReQA baselines on ${dataset}`);
    }
    assert.equal(typeof paper.lareqa_baselines_map.model, "string");
  });
});

describe("a reference file that does not match its checksum", () => {
  // A scratch package: package.json, data/reference, and dist/src copied from this build, so the
  // copied paths.ts finds the scratch data/ and the copied module keeps its own cache.
  let pkg = "";
  before(async () => {
    pkg = await mkdtemp(join(tmpdir(), "hybrid-ir-paper-reference-"));
    await writeFile(join(pkg, "package.json"), "{}\n");
    await cp(fileURLToPath(new URL("../../src", import.meta.url)), join(pkg, "dist", "src"), { recursive: true });
  });
  after(() => rm(pkg, { recursive: true, force: true }));

  /** loadPaperResults of a fresh copy of the module, reading `<pkg>/data/reference` as `files` leave it. */
  async function loadWith(files: Record<string, string>): Promise<unknown> {
    const reference = join(pkg, "data", "reference");
    await rm(reference, { recursive: true, force: true });
    await mkdir(reference, { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(join(reference, name), text);
    const url = pathToFileURL(join(pkg, "dist", "src", "report", "paper-reference.js"));
    url.search = `?case=${Object.keys(files).join("+")}-${Math.random()}`;
    const module = (await import(url.href)) as { loadPaperResults: () => Promise<unknown> };
    return module.loadPaperResults();
  }

  test("the unchanged files load from the scratch package", async () => {
    const text = await readFile(join(REFERENCE, PAPER_FILE), "utf8");
    const manifest = await readFile(join(REFERENCE, "SHA256SUMS"), "utf8");
    assert.deepEqual(await loadWith({ [PAPER_FILE]: text, SHA256SUMS: manifest }), JSON.parse(text));
  });

  test("a changed number is refused, naming the file and the mismatch", async () => {
    const text = (await readFile(join(REFERENCE, PAPER_FILE), "utf8")).replace('"hybrid": 0.798', '"hybrid": 0.899');
    const manifest = await readFile(join(REFERENCE, "SHA256SUMS"), "utf8");
    const file = join(pkg, "data", "reference", PAPER_FILE);
    await assert.rejects(loadWith({ [PAPER_FILE]: text, SHA256SUMS: manifest }), (err: unknown) => {
      // The copy has its own DataError class: check by name and fields.
      assert.equal((err as Error).name, "DataError");
      assert.equal((err as DataError).file, file);
      assert.match((err as DataError).problem, /^checksum mismatch \(sha256 [0-9a-f]{64}, manifest says [0-9a-f]{64}\): the file was modified or truncated$/);
      return true;
    });
  });

  test("a failed load is not kept: the same module reads the file anew once it is fixed", async () => {
    const text = await readFile(join(REFERENCE, PAPER_FILE), "utf8");
    const manifest = await readFile(join(REFERENCE, "SHA256SUMS"), "utf8");
    const reference = join(pkg, "data", "reference");
    await rm(reference, { recursive: true, force: true });
    await mkdir(reference, { recursive: true });
    await writeFile(join(reference, PAPER_FILE), text);
    const url = pathToFileURL(join(pkg, "dist", "src", "report", "paper-reference.js"));
    url.search = `?retry-${Math.random()}`;
    const module = (await import(url.href)) as { loadPaperResults: () => Promise<unknown> };
    await assert.rejects(module.loadPaperResults(), { name: "DataError" });
    await writeFile(join(reference, "SHA256SUMS"), manifest);
    assert.deepEqual(await module.loadPaperResults(), JSON.parse(text));
  });

  test("a missing manifest, or a file it does not list, is refused", async () => {
    const text = await readFile(join(REFERENCE, PAPER_FILE), "utf8");
    const reference = join(pkg, "data", "reference");
    await assert.rejects(loadWith({ [PAPER_FILE]: text }), {
      name: "DataError",
      message: `${join(reference, "SHA256SUMS")}: checksum manifest is missing (re-vendor with \`npm run vendor-data\`)`,
    });
    await assert.rejects(loadWith({ [PAPER_FILE]: text, SHA256SUMS: "" }), {
      name: "DataError",
      message: `${join(reference, PAPER_FILE)}: not listed in ${join(reference, "SHA256SUMS")}`,
    });
  });
});
