/**
 * Hugging Face tokenizer.json files (Unigram, WordPiece, BPE) behind the `TextTokenizer`
 * interface, through @huggingface/tokenizers.
 */
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { Tokenizer } from "@huggingface/tokenizers";
import { DataError } from "../data/errors.js";
import type { DecodeOptions, EncodeOptions, Encoded, TextTokenizer, TokenizerJson } from "./types.js";

const gunzipAsync = promisify(gunzip);

/**
 * Stands in for tokenizer_config.json. Outer clean-up is off because it is an English heuristic
 * ("a ." → "a.") that breaks round trips of French "Bonjour !" and the like; tokenizer.json
 * decoders that want it (BERT's WordPiece `cleanup`) still apply it themselves.
 */
const TOKENIZER_CONFIG = { clean_up_tokenization_spaces: false };

/**
 * Loads any Hugging Face tokenizer.json (Unigram, WordPiece, BPE), plain or gzip-compressed;
 * gzip is recognised by its magic bytes, not the file name.
 */
export async function loadTokenizerJson(path: string): Promise<TextTokenizer> {
  return tokenizerFromJson(await readTokenizerJson(path), path);
}

/** As `loadTokenizerJson`, from bytes already read; `path` names them in errors. */
export async function parseTokenizerJson(bytes: Buffer, path: string): Promise<TextTokenizer> {
  return tokenizerFromJson(await decodeTokenizerJson(bytes, path), path);
}

/** The JSON inside plain or gzip-compressed tokenizer.json bytes, checked to be a tokenizer. */
export async function decodeTokenizerJson(bytes: Buffer, path: string): Promise<TokenizerJson> {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (err) {
      throw new DataError(path, `is not valid gzip (${errorMessage(err)})`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw new DataError(path, `is not valid JSON (${errorMessage(err)})`);
  }
  if (typeof json !== "object" || json === null || !("model" in json) || typeof json.model !== "object") {
    throw new DataError(path, "is not a tokenizer.json (no \"model\" object)");
  }
  return json as TokenizerJson;
}

export async function readTokenizerJson(path: string): Promise<TokenizerJson> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new DataError(path, `cannot read tokenizer file (${errorMessage(err)})`);
  }
  return decodeTokenizerJson(bytes, path);
}

/** Wraps parsed tokenizer.json; `source` names it in errors. */
export function tokenizerFromJson(json: TokenizerJson, source: string): TextTokenizer {
  try {
    return new HfTextTokenizer(new Tokenizer({ added_tokens: [], ...json }, TOKENIZER_CONFIG));
  } catch (err) {
    throw new DataError(source, `is not a tokenizer.json this library can load (${errorMessage(err)})`);
  }
}

class HfTextTokenizer implements TextTokenizer {
  readonly vocabSize: number;

  constructor(private readonly hf: Tokenizer) {
    let maxId = -1;
    for (const id of hf.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
  }

  encode(text: string, opts: EncodeOptions = {}): Encoded {
    const { ids, tokens } = this.hf.encode(text, {
      text_pair: opts.pair ?? null,
      add_special_tokens: opts.addSpecialTokens ?? true,
    });
    return { ids, tokens };
  }

  encodeBatch(texts: readonly string[], opts: Omit<EncodeOptions, "pair"> = {}): Encoded[] {
    return texts.map((text) => this.encode(text, opts));
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    // The library throws on an empty list; an empty sequence decodes to "" everywhere else.
    if (ids.length === 0) return "";
    return this.hf.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens ?? false });
  }

  tokenId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
