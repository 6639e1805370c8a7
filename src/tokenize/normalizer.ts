/**
 * The normalizer of a tokenizer.json, compiled to a function, for tokenizers whose normalizer
 * holds a real sentencepiece charsmap. @huggingface/tokenizers 0.2.0 never reads
 * `precompiled_charsmap`: its `Precompiled` applies a fixed NFKC-based approximation, which
 * differs from sentencepiece's `nmt_nfkc` rules on thousands of codepoints (compatibility forms,
 * controls, codepoint sequences). hf-tokenizer.ts hands the library this function instead.
 * Each node does what the Rust `tokenizers` node does, except `Precompiled`, which applies the
 * charsmap as sentencepiece does (see precompiled-charsmap.ts for where the two differ).
 */
import { DataError } from "../util/errors.js";
import { PrecompiledCharsmap } from "./precompiled-charsmap.js";

export type NormalizeFn = (text: string) => string;

interface NormalizerNode {
  type?: unknown;
  [key: string]: unknown;
}

/** Whether the normalizer tree holds a `Precompiled` node with a non-empty charsmap. */
export function hasPrecompiledCharsmap(node: unknown): boolean {
  if (!isNode(node)) return false;
  if (node.type === "Precompiled") return typeof node.precompiled_charsmap === "string" && node.precompiled_charsmap !== "";
  return node.type === "Sequence" && Array.isArray(node.normalizers) && node.normalizers.some(hasPrecompiledCharsmap);
}

/**
 * Compiles a tokenizer.json `normalizer` (null: identity). `source` names the file in errors.
 * Supports the nodes sentencepiece conversions use: Sequence, Precompiled, Replace, Strip,
 * NFC/NFD/NFKC/NFKD, Lowercase, Prepend.
 */
export function compileNormalizer(node: unknown, source: string): NormalizeFn {
  if (node === null || node === undefined) return (text) => text;
  if (!isNode(node)) throw new DataError(source, `normalizer ${JSON.stringify(node)} is not an object`);
  const bad = (problem: string): never => {
    throw new DataError(source, `normalizer ${String(node.type)}: ${problem}`);
  };
  switch (node.type) {
    case "Sequence": {
      if (!Array.isArray(node.normalizers)) return bad("has no normalizers list");
      const steps = node.normalizers.map((n) => compileNormalizer(n, source));
      return (text) => steps.reduce((t, step) => step(t), text);
    }
    case "Precompiled": {
      if (typeof node.precompiled_charsmap !== "string" || node.precompiled_charsmap === "") return bad("has no precompiled_charsmap");
      const charsmap = PrecompiledCharsmap.fromBase64(node.precompiled_charsmap, source);
      return (text) => charsmap.normalize(text);
    }
    case "Replace": {
      const pattern = node.pattern as { String?: unknown; Regex?: unknown } | undefined;
      const content = typeof node.content === "string" ? node.content : bad("has no content string");
      if (typeof pattern?.String === "string") {
        const from = pattern.String;
        return (text) => text.replaceAll(from, content);
      }
      if (typeof pattern?.Regex === "string") {
        let re: RegExp;
        try {
          re = new RegExp(pattern.Regex, "gu");
        } catch (err) {
          return bad(`pattern ${JSON.stringify(pattern.Regex)} is not a regular expression (${(err as Error).message})`);
        }
        // A function replacement: content is literal in Rust, while a string here would expand "$1".
        return (text) => text.replace(re, () => content);
      }
      return bad("has neither a String nor a Regex pattern");
    }
    case "Strip": {
      // Rust trims char::is_whitespace, the Unicode White_Space property (U+0085 yes, U+FEFF
      // no), not what String.prototype.trim takes.
      const left = node.strip_left === true ? /^\p{White_Space}+/u : null;
      const right = node.strip_right === true ? /\p{White_Space}+$/u : null;
      return (text) => {
        if (left) text = text.replace(left, "");
        if (right) text = text.replace(right, "");
        return text;
      };
    }
    case "NFC":
    case "NFD":
    case "NFKC":
    case "NFKD": {
      const form = node.type;
      return (text) => text.normalize(form);
    }
    case "Lowercase":
      return (text) => text.toLowerCase();
    case "Prepend": {
      const prefix = typeof node.prepend === "string" ? node.prepend : bad("has no prepend string");
      return (text) => (text === "" ? text : prefix + text);
    }
    default:
      return bad("is not supported beside a Precompiled charsmap");
  }
}

function isNode(node: unknown): node is NormalizerNode {
  return typeof node === "object" && node !== null && !Array.isArray(node);
}
