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
  const problem = vocabProblem((json as { model: unknown }).model) ?? idsProblem(json as Record<string, unknown>);
  if (problem !== undefined) throw new DataError(path, problem);
  return json as TokenizerJson;
}

/** The ids of added and special tokens, which the tokenizers library takes as they are. */
function idsProblem(json: Record<string, unknown>): string | undefined {
  const isId = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const added = json.added_tokens ?? [];
  if (!Array.isArray(added)) return `added_tokens must be an array`;
  const bad = added.findIndex((t) => typeof t !== "object" || t === null || !isId((t as { id?: unknown }).id) || typeof (t as { content?: unknown }).content !== "string");
  if (bad >= 0) return `added_tokens[${bad}] needs a token id (a whole number >= 0) and a string content, got ${JSON.stringify(added[bad])}`;
  const special = (json.post_processor as { special_tokens?: unknown } | null | undefined)?.special_tokens;
  if (typeof special === "object" && special !== null) {
    for (const [name, t] of Object.entries(special)) {
      const ids = (t as { ids?: unknown } | null)?.ids;
      if (!Array.isArray(ids) || !ids.every(isId)) return `post_processor.special_tokens['${name}'].ids must be token ids, got ${JSON.stringify(ids)}`;
    }
  }
  return undefined;
}

/**
 * What the tokenizers library does not check itself: a vocabulary whose ids are not whole
 * numbers ≥ 0 loads, then encodes to ids that are not token ids.
 */
function vocabProblem(model: unknown): string | undefined {
  if (typeof model !== "object" || model === null) return `"model" must be an object`;
  const vocab = (model as { vocab?: unknown }).vocab;
  if (vocab === undefined) return undefined;
  const isId = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  if (Array.isArray(vocab)) {
    // Unigram: [piece, log-probability] pairs; the id is the position.
    const bad = vocab.findIndex((e) => !Array.isArray(e) || e.length !== 2 || typeof e[0] !== "string" || typeof e[1] !== "number" || !Number.isFinite(e[1]));
    return bad < 0 ? undefined : `model.vocab[${bad}] must be a [piece, score] pair, got ${JSON.stringify(vocab[bad])}`;
  }
  if (typeof vocab !== "object" || vocab === null) return `model.vocab must be an object or an array`;
  const bad = Object.entries(vocab).find(([, id]) => !isId(id));
  return bad === undefined ? undefined : `model.vocab['${bad[0]}'] must be a token id (a whole number >= 0), got ${JSON.stringify(bad[1])}`;
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
