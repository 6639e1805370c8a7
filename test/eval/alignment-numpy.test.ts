/**
 * The alignment measures against an independent NumPy implementation (scripts/alignment/reference.py)
 * on random embeddings of four XQuAD-R languages. Needs NumPy from python/requirements/alignment.txt
 * (scripts/python-env.sh alignment); skipped without it, except in CI, which must run it.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { initBackend } from "../../src/compute/backend.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { writeNpy } from "../../src/data/npy.js";
import { bitextRetrieval, centroidDistances, parallelStructure, removeLanguageCentroids, translationCosine } from "../../src/eval/alignment.js";
import { mulberry32, randomNormal } from "../../src/util/random.js";

/** Compiled to dist/test/eval/: the repository root is three levels up. */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const NO_NUMPY = "NumPy is missing: run scripts/python-env.sh alignment (installs python/requirements/alignment.txt into .venv/)";

let python: string | null = null;
let dir = "";
before(async () => {
  await initBackend("wasm");
  dir = await mkdtemp(join(tmpdir(), "hybrid-ir-alignment-numpy-"));
  try {
    const { stdout } = await promisify(execFile)(join(ROOT, "scripts/python-env.sh"), ["alignment"], { timeout: 10 * 60_000 });
    python = stdout.trim();
  } catch {
    python = null;
  }
});
after(async () => rm(dir, { recursive: true, force: true }));

test("bitext P@1, cosines, centroid distances and centroid removal equal NumPy's", { timeout: 15 * 60_000 }, async (t) => {
  if (python === null) {
    if (process.env.CI) assert.fail(`CI must run the NumPy comparison: ${NO_NUMPY}`);
    t.skip(NO_NUMPY);
    return;
  }
  const ds = await loadDataset("xquad-r", { languages: ["ar", "de", "en", "zh"], maxQuestionIds: 200 });
  const s = parallelStructure(ds);
  const dim = 12;
  const rand = mulberry32(21);
  // A shared component per answer sentence set would make bitext trivial; half-correlated noise keeps P@1 in between.
  const base = Array.from({ length: 400 }, () => Array.from({ length: dim }, () => randomNormal(rand)));
  const group = new Map<number, number>();
  s.translations.forEach(([i, j], k) => group.set(i, group.get(i) ?? group.get(j) ?? k % 400).set(j, group.get(i)!));
  const data = new Float32Array(ds.candidates.length * dim);
  for (let i = 0; i < ds.candidates.length; i++) {
    const g = group.get(i);
    for (let k = 0; k < dim; k++) data[i * dim + k] = randomNormal(rand) + (g === undefined ? 0 : 1.2 * base[g][k]);
  }
  const candidates = { data, rows: ds.candidates.length, cols: dim };
  await writeNpy(join(dir, "candidates.npy"), candidates);
  await writeFile(join(dir, "structure.json"), JSON.stringify({ lang: [...s.candidateLang], pairs: s.translations, numLanguages: s.languages.length }));
  await promisify(execFile)(python, [join(ROOT, "scripts/alignment/reference.py"), dir], { timeout: 10 * 60_000, maxBuffer: 64 << 20 });
  const ref = JSON.parse(await readFile(join(dir, "reference.json"), "utf8")) as {
    bitext: (number | null)[][];
    translationCosine: number;
    nonTranslationCosine: number;
    nonTranslationPairs: number;
    centroidDistance: number[][];
    removedFirstRows: number[][];
  };
  const bitext = bitextRetrieval(candidates, s);
  assert.deepEqual(bitext.accuracy, ref.bitext);
  assert.ok(bitext.mean! > 0.05 && bitext.mean! < 0.95, `P@1 ${bitext.mean} should be neither chance nor perfect`);
  const cos = translationCosine(candidates, s);
  assert.ok(Math.abs(cos.translation! - ref.translationCosine) < 1e-6);
  assert.ok(Math.abs(cos.nonTranslation! - ref.nonTranslationCosine) < 1e-6);
  assert.equal(cos.nonTranslationPairs, ref.nonTranslationPairs);
  const centroids = centroidDistances(candidates, s);
  centroids.distance.forEach((row, a) => row.forEach((v, b) => assert.ok(Math.abs(v - ref.centroidDistance[a][b]) < 1e-6, `distance ${a},${b}`)));
  const removed = removeLanguageCentroids(candidates, s.candidateLang, s.languages.length);
  ref.removedFirstRows.flat().forEach((v, k) => assert.ok(Math.abs(removed.data[k] - v) < 1e-5, `removed value ${k}`));
});
