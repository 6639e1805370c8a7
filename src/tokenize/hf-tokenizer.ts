/**
 * Hugging Face tokenizer.json files (Unigram, WordPiece, BPE) behind the `TextTokenizer`
 * interface, through @huggingface/tokenizers.
 */
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import * as hfTokenizers from "@huggingface/tokenizers";
import { Tokenizer } from "@huggingface/tokenizers";
import { DataError } from "../util/errors.js";
import { compileNormalizer, hasPrecompiledCharsmap, type NormalizeFn } from "./normalizer.js";
import { sentencepieceSegment, type UnigramVocab } from "./sentencepiece-viterbi.js";
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
    if (bad >= 0) return `model.vocab[${bad}] must be a [piece, score] pair, got ${JSON.stringify(vocab[bad])}`;
    // The unknown piece's id is what every out-of-vocabulary character encodes to.
    const unk = (model as { unk_id?: unknown }).unk_id;
    if (unk !== undefined && unk !== null && !(isId(unk) && (unk as number) < vocab.length)) {
      return `model.unk_id must be the id of a piece (0 to ${vocab.length - 1}), got ${JSON.stringify(unk)}`;
    }
    return undefined;
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

/**
 * Wraps parsed tokenizer.json; `source` names it in errors. A tokenizer with a real sentencepiece
 * charsmap is a sentencepiece model and tokenizes as sentencepiece does: its normalizer runs
 * through normalizer.ts (the library ignores the charsmap) and its Unigram lattice through
 * sentencepiece-viterbi.ts (float32 scores).
 */
export function tokenizerFromJson(json: TokenizerJson, source: string): TextTokenizer {
  const own = hasPrecompiledCharsmap(json.normalizer) ? compileNormalizer(json.normalizer, source) : null;
  let hf: Tokenizer;
  try {
    hf = new Tokenizer({ added_tokens: [], ...json, ...(own ? { normalizer: null } : {}) }, TOKENIZER_CONFIG);
  } catch (err) {
    throw new DataError(source, `is not a tokenizer.json this library can load (${errorMessage(err)})`);
  }
  if (own) {
    // Set after construction, which only uses the normalizer for added tokens marked
    // `normalized`; those would then match their raw text only.
    if (json.added_tokens?.some((t) => (t as { normalized?: boolean }).normalized === true)) {
      throw new DataError(source, "added tokens with \"normalized\": true beside a Precompiled charsmap are not supported");
    }
    hf.normalizer = new FunctionNormalizer(own) as unknown as Tokenizer["normalizer"];
    if (json.model.type === "Unigram") useSentencepieceViterbi(hf, json, source);
  }
  return new HfTextTokenizer(hf);
}

/**
 * The library's Normalizer base class: exported at run time, but its type declarations do not
 * resolve under NodeNext, hence the hand-written constructor type.
 */
const NormalizerBase = (hfTokenizers as unknown as { Normalizer: new (config: object) => { normalize(text: string): string } }).Normalizer;

/** A compiled normalizer in the library's Normalizer shape (a callable object). */
class FunctionNormalizer extends NormalizerBase {
  constructor(private readonly fn: NormalizeFn) {
    super({ type: "Sequence", normalizers: [] });
  }

  override normalize(text: string): string {
    return this.fn(text);
  }
}

/** The parts of the library's Unigram model (not in its type declarations) that are replaced or read. */
interface LibraryUnigram {
  tokenize(word: string): string[];
  trie: { common_prefix_search(chars: readonly string[], start: number): Iterable<string> };
  tokens_to_ids: Map<string, number>;
}

/** Replaces the library's float64 Viterbi with sentencepiece's float32 one, on the same trie. */
function useSentencepieceViterbi(hf: Tokenizer, json: TokenizerJson, source: string): void {
  const model = hf.model as unknown as Partial<LibraryUnigram>;
  const { trie, tokens_to_ids: ids } = model;
  if (typeof model.tokenize !== "function" || typeof trie?.common_prefix_search !== "function" || !(ids instanceof Map)) {
    throw new Error("internal: @huggingface/tokenizers' Unigram model no longer has tokenize/trie/tokens_to_ids");
  }
  const pieces = json.model.vocab as [string, number][];
  // sentencepiece keeps control and unknown pieces out of its trie; here they are the added tokens.
  const excluded = new Set<number>((json.added_tokens ?? []).map((t) => t.id));
  if (typeof json.model.unk_id === "number") excluded.add(json.model.unk_id);
  const scores = new Float32Array(pieces.length);
  let lowest = Infinity;
  pieces.forEach(([, score], id) => {
    if (typeof score !== "number") throw new DataError(source, `model.vocab[${id}] has no numeric score`);
    scores[id] = score;
    if (!excluded.has(id)) lowest = Math.min(lowest, scores[id]);
  });
  const vocab: UnigramVocab = {
    prefixes: (chars, start) => trie.common_prefix_search(chars, start),
    score: (piece) => {
      const id = ids.get(piece);
      return id === undefined || excluded.has(id) ? undefined : scores[id];
    },
    unkScore: Math.fround(lowest - 10),
  };
  model.tokenize = (word: string) => sentencepieceSegment(word, vocab);
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
