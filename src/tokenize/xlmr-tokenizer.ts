import { join } from "node:path";
import { readVerified } from "../data/manifest.js";
import { dataDir } from "../paths.js";
import { loadTokenizerJson, parseTokenizerJson } from "./hf-tokenizer.js";
import type { TextTokenizer } from "./types.js";

const VENDORED_DIR = () => join(dataDir(), "tokenizers", "xlm-roberta-base");
const VENDORED_FILE = "tokenizer.json.gz";

/** The vendored xlm-roberta-base tokenizer (`npm run build-tokenizer` rebuilds it). */
export function defaultXlmrTokenizerPath(): string {
  return join(VENDORED_DIR(), VENDORED_FILE);
}

/**
 * Loads the XLM-R (xlm-roberta-base / -large, same vocabulary) tokenizer: the vendored copy,
 * checked against its SHA256SUMS, unless `path` names another file.
 *
 * @example
 * const tok = await loadXlmrTokenizer();
 * tok.encode("Hello World!").ids; // [0, 35378, 6661, 38, 2]
 */
export async function loadXlmrTokenizer(path?: string): Promise<TextTokenizer> {
  if (path !== undefined) return loadTokenizerJson(path);
  const bytes = (await readVerified(VENDORED_DIR(), [VENDORED_FILE])).get(VENDORED_FILE)!;
  return parseTokenizerJson(bytes, defaultXlmrTokenizerPath());
}
