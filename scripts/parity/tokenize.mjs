#!/usr/bin/env node
/**
 * Tokenizes texts with a Hugging Face tokenizer.json through @huggingface/tokenizers (the library
 * the TypeScript side uses), for scripts/parity/make_fixtures.py, which has no `tokenizers`
 * package to do it in Python.
 *
 *   node scripts/parity/tokenize.mjs TOKENIZER_JSON[.gz] < requests.json > results.json
 *
 * requests.json: {"requests": [{"text": "...", "pair": "..." | null, "max_length": 16 | null,
 *                               "add_special_tokens": true}]}
 * results.json:  {"library": "@huggingface/tokenizers 0.2.0",
 *                 "results": [{"ids", "tokens", "token_type_ids", "len_a", "len_b", "truncated"}]}
 *
 * Special tokens come from the tokenizer.json's TemplateProcessing post-processor, applied here
 * to the segments' ids so that truncation can happen in between, with Hugging Face tokenizers'
 * (Rust, "fast") rules: a single text keeps its first max_length − specials tokens; a pair is
 * cut by LongestFirst (see longestFirst below). Without truncation the result is checked
 * against the library's own encode() with special tokens.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { Tokenizer } from "@huggingface/tokenizers";

function fail(msg) {
  process.stderr.write(`tokenize.mjs: ${msg}\n`);
  process.exit(1);
}

const [path] = process.argv.slice(2);
if (!path) fail("usage: node scripts/parity/tokenize.mjs TOKENIZER_JSON[.gz] < requests.json");

let bytes = readFileSync(path);
if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
const json = JSON.parse(bytes.toString("utf8"));
// Same tokenizer_config stand-in as src/tokenize/hf-tokenizer.ts.
const tok = new Tokenizer({ added_tokens: [], ...json }, { clean_up_tokenization_spaces: false });

let version = "unknown";
try {
  const require = createRequire(import.meta.url);
  // The exports map hides package.json: find it beside the resolved entry point.
  let dir = dirname(require.resolve("@huggingface/tokenizers"));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  version = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
} catch {
  // The package's exports map may hide package.json; the version is informational only.
}

const post = json.post_processor;
if (!post || post.type !== "TemplateProcessing") fail(`post_processor must be TemplateProcessing, got ${post?.type}`);

/** Lays out segment ids (and types) by a TemplateProcessing template. */
function applyTemplate(template, a, b) {
  const ids = [];
  const types = [];
  for (const item of template) {
    if ("SpecialToken" in item) {
      const special = post.special_tokens[item.SpecialToken.id];
      if (!special) fail(`template names unknown special token ${item.SpecialToken.id}`);
      for (const id of special.ids) {
        ids.push(id);
        types.push(item.SpecialToken.type_id);
      }
    } else if ("Sequence" in item) {
      const seq = item.Sequence.id === "A" ? a : b;
      for (const id of seq) {
        ids.push(id);
        types.push(item.Sequence.type_id);
      }
    }
  }
  return { ids, types };
}

/**
 * Hugging Face tokenizers' (Rust) LongestFirst for a pair that exceeds `budget`, as in
 * tokenizers/src/utils/truncation.rs: the shorter segment keeps its length if the longer one can
 * take the rest; otherwise the shorter gets ⌊budget/2⌋ and the longer the remaining ⌈budget/2⌉
 * (the second segment when both are equally long). This is what sentence-transformers' fast
 * tokenizers do; the slow Python tokenizers (and a one-token-at-a-time loop) instead give the
 * odd token to the first segment when it is the shorter or equal one.
 */
function longestFirst(lenA, lenB, budget) {
  let n1 = lenA;
  let n2 = lenB;
  const swap = n1 > n2;
  if (swap) [n1, n2] = [n2, n1];
  n2 = n1 > budget ? n1 : Math.max(n1, budget - n1);
  if (n1 + n2 > budget) {
    n1 = Math.floor(budget / 2);
    n2 = n1 + (budget % 2);
  }
  if (swap) [n1, n2] = [n2, n1];
  return [Math.min(lenA, n1), Math.min(lenB, n2)];
}

function specialsIn(template) {
  let n = 0;
  for (const item of template) if ("SpecialToken" in item) n += post.special_tokens[item.SpecialToken.id].ids.length;
  return n;
}

const input = JSON.parse(readFileSync(0, "utf8"));
const results = input.requests.map((req, i) => {
  const hasPair = req.pair !== undefined && req.pair !== null && req.pair !== "";
  const addSpecial = req.add_special_tokens ?? true;
  const a = tok.encode(req.text, { add_special_tokens: false }).ids;
  const b = hasPair ? tok.encode(req.pair, { add_special_tokens: false }).ids : null;
  const template = hasPair ? post.pair : post.single;
  const budget = req.max_length == null ? Infinity : req.max_length - (addSpecial ? specialsIn(template) : 0);
  if (budget < 0) fail(`request ${i}: max_length ${req.max_length} leaves no room for the special tokens`);
  let la = a.length;
  let lb = b ? b.length : 0;
  if (la + lb > budget) {
    if (!b) la = budget;
    else [la, lb] = longestFirst(la, lb, budget);
  }
  const ta = a.slice(0, la);
  const tb = b ? b.slice(0, lb) : null;
  const truncated = la < a.length || (b !== null && lb < b.length);
  const laid = addSpecial ? applyTemplate(template, ta, tb) : { ids: [...ta, ...(tb ?? [])], types: [...ta.map(() => 0), ...(tb ?? []).map(() => 1)] };
  if (!truncated) {
    const ref = tok.encode(req.text, { text_pair: hasPair ? req.pair : null, add_special_tokens: addSpecial, return_token_type_ids: true });
    if (JSON.stringify(ref.ids) !== JSON.stringify(laid.ids)) {
      fail(`request ${i}: template ids ${JSON.stringify(laid.ids)} differ from encode() ${JSON.stringify(ref.ids)}`);
    }
    if (addSpecial && ref.token_type_ids && JSON.stringify(ref.token_type_ids) !== JSON.stringify(laid.types)) {
      fail(`request ${i}: template types differ from encode()`);
    }
  }
  const tokens = laid.ids.map((id) => tok.id_to_token(id));
  return { ids: laid.ids, tokens, token_type_ids: laid.types, len_a: la, len_b: tb ? lb : null, truncated };
});

process.stdout.write(JSON.stringify({ library: `@huggingface/tokenizers ${version}`, results }) + "\n");
