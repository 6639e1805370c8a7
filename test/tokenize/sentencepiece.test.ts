/**
 * The vendored XLM-R tokenizer against sentencepiece itself (PyPI `sentencepiece`, pinned in
 * python/requirements/tokenizer.txt) run with a model built from the same pieces, scores and
 * charsmap: on every question and sentence of XQuAD-R and MLQA-R, and on hostile text.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { loadDataset } from "../../src/data/lareqa.js";
import { DATASETS } from "../../src/data/types.js";
import { packageRoot } from "../../src/paths.js";
import { readTokenizerJson } from "../../src/tokenize/hf-tokenizer.js";
import { PrecompiledCharsmap } from "../../src/tokenize/precompiled-charsmap.js";
import { defaultXlmrTokenizerPath, loadXlmrTokenizer } from "../../src/tokenize/xlmr-tokenizer.js";
import { HOSTILE_TEXTS, mixedHostileText } from "./hostile-texts.js";
import { describeMismatches, referenceIds, skipWithoutPython, tokenizerPython } from "./python-reference.js";

const py = await tokenizerPython();
const skip = skipWithoutPython(py);
const tok = await loadXlmrTokenizer();
const json = await readTokenizerJson(defaultXlmrTokenizerPath());
const charsmapB64 = (json.normalizer as { normalizers: { type: string; precompiled_charsmap?: string }[] }).normalizers.find(
  (n) => n.type === "Precompiled",
)?.precompiled_charsmap;

function python(): string {
  if ("reason" in py) assert.fail(`CI must run the sentencepiece checks: ${py.reason}`);
  return py.python;
}

async function assertSameAsSentencepiece(texts: readonly string[], what: string): Promise<void> {
  const ref = await referenceIds(python(), defaultXlmrTokenizerPath(), texts, false);
  const ours = texts.map((t) => tok.encode(t, { addSpecialTokens: false }).ids);
  const { count, report } = describeMismatches(texts, ours, ref.sentencepiece!);
  assert.equal(count, 0, `${count} of ${texts.length} ${what} tokenize differently from sentencepiece ${ref.versions.sentencepiece}:\n${report}`);
}

test("the vendored charsmap is the one sentencepiece compiles from its nmt_nfkc rules", { skip }, async () => {
  const { stdout } = await promisify(execFile)(python(), [join(packageRoot(), "scripts", "tokenizer", "spm_reference.py"), "charsmap"], {
    maxBuffer: 16 << 20,
  });
  assert.ok(charsmapB64, "the vendored tokenizer.json has no Precompiled charsmap");
  assert.equal(charsmapB64, stdout.trim());
});

test("ids equal sentencepiece's on every question and sentence of XQuAD-R and MLQA-R", { skip, timeout: 20 * 60_000 }, async () => {
  const texts = new Set<string>();
  for (const name of DATASETS) {
    const ds = await loadDataset(name);
    for (const q of ds.questions) texts.add(q.text);
    for (const c of ds.candidates) texts.add(c.text);
  }
  assert.ok(texts.size > 50_000, `only ${texts.size} distinct texts`);
  await assertSameAsSentencepiece([...texts], "dataset texts");
});

test("ids equal sentencepiece's on hostile text", { skip, timeout: 10 * 60_000 }, async () => {
  const texts = [...HOSTILE_TEXTS, ...Array.from({ length: 50 }, (_, seed) => mixedHostileText(seed + 1))];
  await assertSameAsSentencepiece(texts, "hostile texts");
});

test("ids equal sentencepiece's around every rule of the charsmap", { skip, timeout: 10 * 60_000 }, async () => {
  assert.ok(charsmapB64);
  const rules = [...PrecompiledCharsmap.fromBase64(charsmapB64, defaultXlmrTokenizerPath()).entries()];
  // Single codepoints and the codepoint sequences (e.g. a letter and a combining mark).
  assert.ok(rules.length > 5000, `${rules.length} rules`);
  assert.ok(rules.some(([key]) => [...key].length > 1), "no rule over a codepoint sequence");
  // Sixteen rules to a text keeps the Python round trip short; each keeps its own contexts.
  const texts: string[] = [];
  for (let i = 0; i < rules.length; i += 16) texts.push(rules.slice(i, i + 16).map(([key]) => `x${key}y ${key} a${key}${key} `).join(""));
  await assertSameAsSentencepiece(texts, "texts around charsmap rules");
});
