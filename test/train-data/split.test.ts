import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { loadDataset } from "../../src/data/lareqa.js";
import type { RetrievalDataset } from "../../src/data/types.js";
import type { TrainingRecord } from "../../src/train-data/format.js";
import { fromRetrievalDataset } from "../../src/train-data/from-squad.js";
import {
  checkContamination,
  ContaminationError,
  normalizeText,
  splitByArticle,
} from "../../src/train-data/split.js";

let mlqa: RetrievalDataset;
let xquad: RetrievalDataset;
let mlqaRecords: TrainingRecord[];
let xquadRecords: TrainingRecord[];
before(async () => {
  [mlqa, xquad] = await Promise.all([loadDataset("mlqa-r"), loadDataset("xquad-r")]);
  mlqaRecords = fromRetrievalDataset(mlqa);
  xquadRecords = fromRetrievalDataset(xquad);
});

/** The keys found on both sides of a split. */
function onBothSides(train: readonly TrainingRecord[], validation: readonly TrainingRecord[], key: (r: TrainingRecord) => string): string[] {
  const held = new Set(validation.map(key));
  return [...new Set(train.map(key))].filter((k) => held.has(k));
}

describe("splitByArticle", () => {
  for (const name of ["mlqa-r", "xquad-r"] as const) {
    test(`${name}: no article and no group on both sides; validation reaches its share by whole articles`, () => {
      const records = name === "mlqa-r" ? mlqaRecords : xquadRecords;
      const { train, validation, units, validationUnits } = splitByArticle(records, { validationFraction: 0.1, seed: 3 });
      assert.equal(train.length + validation.length, records.length);
      assert.deepEqual(onBothSides(train, validation, (r) => `${r.lang}/${r.article}`), []);
      assert.deepEqual(onBothSides(train, validation, (r) => r.group), []);
      assert.ok(validation.length >= 0.1 * records.length, `${validation.length} of ${records.length}`);
      assert.ok(validation.length < 0.2 * records.length, `${validation.length} of ${records.length}`);
      assert.ok(validationUnits > 0 && validationUnits < units);
      // Each side keeps the input order.
      const index = new Map(records.map((r, i) => [r, i]));
      for (const side of [train, validation]) assert.ok(side.every((r, i) => i === 0 || index.get(side[i - 1])! < index.get(r)!));
    });
  }

  test("MLQA-R's 4,199 records fall into 520 units: one per English article, its translations joined through the groups", () => {
    assert.equal(splitByArticle(mlqaRecords, { validationFraction: 0.1, seed: 1 }).units, 520);
    assert.equal(new Set(mlqaRecords.filter((r) => r.lang === "en").map((r) => r.article)).size, 520);
    assert.equal(splitByArticle(xquadRecords, { validationFraction: 0.1, seed: 1 }).units, 48);
  });

  test("the seed decides the split, and only the seed", () => {
    const a = splitByArticle(mlqaRecords, { validationFraction: 0.2, seed: 1 });
    const b = splitByArticle(mlqaRecords, { validationFraction: 0.2, seed: 1 });
    const c = splitByArticle(mlqaRecords, { validationFraction: 0.2, seed: 2 });
    assert.deepEqual(a.validation, b.validation);
    assert.notDeepEqual(a.validation.map((r) => r.group), c.validation.map((r) => r.group));
  });

  test("an article joins groups across languages even when titles differ; records without an article go with their group", () => {
    const r = (group: string, lang: string, article?: string): TrainingRecord => ({ group, lang, query: `${group}?`, positive: `${group}.`, ...(article ? { article } : {}) });
    // g1 and g2 share the English article; g2 and g3 share the German one: all three are one unit.
    const records = [r("g1", "en", "A"), r("g2", "en", "A"), r("g2", "de", "A-de"), r("g3", "de", "A-de"), r("g4", "en"), r("g4", "de"), r("g5", "en", "B")];
    for (let seed = 0; seed < 20; seed++) {
      const { train, validation, units } = splitByArticle(records, { validationFraction: 0.3, seed });
      assert.equal(units, 3);
      const sides = (groups: string[]) => new Set(groups.map((g) => (validation.some((x) => x.group === g) ? "v" : "t")));
      assert.equal(sides(["g1", "g2", "g3"]).size, 1);
      assert.equal(sides(["g4"]).size, 1);
      assert.equal(train.length + validation.length, records.length);
    }
  });

  test("options are checked; a split that would leave training empty is refused", () => {
    for (const validationFraction of [0, 1, -0.1, Number.NaN]) {
      assert.throws(() => splitByArticle(mlqaRecords, { validationFraction, seed: 1 }), /validationFraction must lie in \(0, 1\)/);
    }
    assert.throws(() => splitByArticle(mlqaRecords, { validationFraction: 0.1, seed: 1.5 }), /seed must be an integer/);
    const one: TrainingRecord[] = [{ group: "g", lang: "en", query: "q", positive: "p", article: "A" }];
    assert.throws(() => splitByArticle(one, { validationFraction: 0.5, seed: 1 }), /validation would take all/);
  });
});

describe("checkContamination", () => {
  test("normalizeText: NFKC, lower case, whitespace collapsed", () => {
    assert.equal(normalizeText("  Ｔｈｅ\u00A0Answer\n\tIS  ﬁne。 "), "the answer is fine。");
  });

  test("XQuAD-R-derived records against XQuAD-R are refused, with counts and three examples", () => {
    let error: ContaminationError | undefined;
    try {
      checkContamination(xquadRecords, xquad);
    } catch (err) {
      assert.ok(err instanceof ContaminationError);
      error = err;
    }
    assert.ok(error, "expected a ContaminationError");
    const { report } = error;
    assert.deepEqual([report.records, report.queryOverlaps, report.positiveOverlaps, report.negativeOverlaps], [13090, 13090, 13090, 0]);
    assert.equal(Object.keys(report.byLanguage).length, 11);
    assert.equal(report.examples.length, 3);
    assert.deepEqual(report.examples.slice(0, 2).map((o) => [o.record, o.field, o.matches]), [[0, "query", "question"], [0, "positive", "candidate"]]);
    assert.match(error.message, /^13090 of 13090 training records share normalised text with xquad-r \(queries: 13090, positives: 13090, negatives: 0\)\n  record 0 /);
  });

  test("MLQA-R-derived records against XQuAD-R pass (measured: not one shared question or sentence), and the reverse too", () => {
    const report = checkContamination(mlqaRecords, xquad);
    assert.deepEqual([report.queryOverlaps, report.positiveOverlaps, report.examples.length], [0, 0, 0]);
    const reverse = checkContamination(xquadRecords, mlqa);
    assert.deepEqual([reverse.queryOverlaps, reverse.positiveOverlaps], [0, 0]);
  });

  test("overlap after normalisation is found in any field; allowOverlap reports instead of throwing", () => {
    const candidate = xquad.candidates[5].text;
    const question = xquad.questions[7].text;
    const records: TrainingRecord[] = [
      { group: "a", lang: "en", query: "an unrelated question?", positive: `  ${candidate.toUpperCase()} ` },
      { group: "b", lang: "en", query: question.replace(/ /g, "\n "), positive: "nothing shared." },
      { group: "c", lang: "en", query: "clean?", positive: "clean.", negatives: ["x", candidate] },
      { group: "d", lang: "en", query: "clean too?", positive: "also clean." },
    ];
    assert.throws(() => checkContamination(records, xquad), ContaminationError);
    const report = checkContamination(records, xquad, { allowOverlap: true });
    assert.deepEqual([report.queryOverlaps, report.positiveOverlaps, report.negativeOverlaps], [1, 1, 1]);
    assert.deepEqual(report.byLanguage, { en: 3 });
    assert.deepEqual(report.examples.map((o) => [o.group, o.field, o.matches]), [["a", "positive", "candidate"], ["b", "query", "question"], ["c", "negative", "candidate"]]);
  });
});
