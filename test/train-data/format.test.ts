import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DataError } from "../../src/util/errors.js";
import { loadDataset } from "../../src/data/lareqa.js";
import {
  formatTrainingJsonl,
  parseTrainingJsonl,
  readTrainingJsonl,
  writeTrainingJsonl,
  type TrainingRecord,
} from "../../src/train-data/format.js";
import { fromRetrievalDataset } from "../../src/train-data/from-squad.js";

const FULL: TrainingRecord = {
  group: "q1",
  lang: "zh",
  query: "黑豹队的防守丢了多少分？",
  positive: "黑豹队的防守只丢了 308分。",
  context: "黑豹队的防守只丢了 308分。职业碗……",
  negatives: ["另一句。", "line\nbreak \"quoted\""],
  article: "Super_Bowl_50",
};
const MINIMAL: TrainingRecord = { group: "q1", lang: "en", query: "How many points?", positive: "Just 308 points." };

function parseError(text: string): string {
  try {
    parseTrainingJsonl(text, "t.jsonl");
  } catch (err) {
    assert.ok(err instanceof DataError, String(err));
    return err.message;
  }
  assert.fail(`expected ${JSON.stringify(text)} to be refused`);
}

describe("training JSONL format", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-train-format-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("write then read gives the records back, optional fields included or left out", async () => {
    const file = join(dir, "a", "records.jsonl");
    await writeTrainingJsonl(file, [FULL, MINIMAL]);
    assert.deepEqual(await readTrainingJsonl(file), [FULL, MINIMAL]);
    const lines = (await readFile(file, "utf8")).split("\n");
    assert.equal(lines.length, 3, "one line per record and a final newline");
    assert.deepEqual(Object.keys(JSON.parse(lines[0])), ["group", "lang", "query", "positive", "context", "negatives", "article"]);
    assert.deepEqual(await readdir(join(dir, "a")), ["records.jsonl"], "no temporary file left behind");
  });

  test("MLQA-R converted to records survives the round trip", async () => {
    const records = fromRetrievalDataset(await loadDataset("mlqa-r"), { context: true });
    const file = join(dir, "mlqa.jsonl");
    await writeTrainingJsonl(file, records);
    assert.deepEqual(await readTrainingJsonl(file), records);
  });

  test("blank lines, CRLF line ends and a byte order mark are accepted", () => {
    const text = `\uFEFF${JSON.stringify(MINIMAL)}\r\n\r\n${JSON.stringify(FULL)}\r\n`;
    assert.deepEqual(parseTrainingJsonl(text, "t.jsonl"), [MINIMAL, FULL]);
  });

  test("every problem names the file and the line", () => {
    const ok = JSON.stringify(MINIMAL);
    const line = (o: unknown) => `${ok}\n${JSON.stringify(o)}\n`;
    assert.match(parseError(`${ok}\n{"group": "q2",\n`), /^t\.jsonl: line 2: invalid JSON/);
    assert.match(parseError(line([1, 2])), /^t\.jsonl: line 2: expected a JSON object$/);
    assert.match(parseError(line({ ...MINIMAL, group: "q2", positive: undefined })), /line 2: missing field 'positive'/);
    assert.match(parseError(line({ ...MINIMAL, group: 7 })), /line 2: field 'group' must be a string, got number/);
    assert.match(parseError(line({ ...MINIMAL, group: "q2", query: "  " })), /line 2: field 'query' is empty/);
    assert.match(parseError(line({ ...MINIMAL, group: "q2", article: null })), /line 2: field 'article' must be a string, got null/);
    assert.match(parseError(line({ ...MINIMAL, group: "q2", negatives: "x" })), /line 2: field 'negatives' must be an array of strings/);
    assert.match(parseError(line({ ...MINIMAL, group: "q2", negatives: ["a", 3] })), /line 2: field 'negatives' item 1 must be a string, got number/);
    assert.match(parseError(line({ ...MINIMAL, group: "q2", postive: "x", id: 1 })), /line 2: unknown fields 'postive', 'id' \(allowed: /);
  });

  test("a second record for the same (group, language) is refused, naming both lines", () => {
    const text = [MINIMAL, { ...MINIMAL, lang: "de" }, { ...MINIMAL, query: "again?" }].map((r) => JSON.stringify(r)).join("\n");
    assert.equal(parseError(text), "t.jsonl: line 3: group 'q1' already has a 'en' record (line 1)");
  });

  test("a missing file is a DataError naming it", async () => {
    const file = join(dir, "nope.jsonl");
    await assert.rejects(readTrainingJsonl(file), (err: Error) => err instanceof DataError && err.message.startsWith(`${file}: cannot read`));
  });

  test("the writer refuses what the reader would refuse, and writes nothing", async () => {
    const file = join(dir, "bad.jsonl");
    await writeFile(file, "old\n");
    await assert.rejects(writeTrainingJsonl(file, [MINIMAL, { ...MINIMAL }]), /record 1: group 'q1' already has a 'en' record/);
    assert.throws(() => formatTrainingJsonl([{ ...MINIMAL, query: "" }]), /record 0: field 'query' is empty/);
    assert.equal(await readFile(file, "utf8"), "old\n");
  });
});
