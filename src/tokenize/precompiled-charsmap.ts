/**
 * sentencepiece's compiled normalization rules (`precompiled_charsmap`, the `Precompiled`
 * normalizer of a Hugging Face tokenizer.json), read and applied as sentencepiece applies them.
 *
 * Layout of the blob: a little-endian u32 `n`, then a darts-clone double-array trie of `n / 4`
 * u32 units whose keys are UTF-8 byte strings, then the replacement strings, each ended by a NUL
 * byte. A key's value is the byte offset of its replacement. Keys are single codepoints and
 * codepoint sequences (e.g. `Ａ` + U+0301 → `Á`): at each position sentencepiece takes the
 * **longest** key that matches, and copies one codepoint unchanged when none does.
 */
import { DataError } from "../util/errors.js";

export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly strings: Uint8Array;
  /** Decoded replacements by offset into `strings`. */
  private readonly replacements = new Map<number, string>();
  /** Whether a BMP code unit can start a key; most text then skips the trie. */
  private readonly startsKey = new Uint8Array(0x10000);

  /** `source` names the file in errors. */
  constructor(bytes: Uint8Array, source: string) {
    const fail = (problem: string): never => {
      throw new DataError(source, `precompiled_charsmap ${problem}`);
    };
    if (bytes.length < 4) fail(`has ${bytes.length} bytes, too few for its header`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const trieBytes = view.getUint32(0, true);
    if (trieBytes === 0 || trieBytes % 4 !== 0 || 4 + trieBytes > bytes.length) {
      fail(`declares a ${trieBytes}-byte trie in ${bytes.length} bytes`);
    }
    this.units = new Uint32Array(trieBytes / 4);
    for (let i = 0; i < this.units.length; i++) this.units[i] = view.getUint32(4 + 4 * i, true);
    this.strings = bytes.slice(4 + trieBytes);
    if (this.strings.length > 0 && this.strings[this.strings.length - 1] !== 0) fail("does not end its last replacement with NUL");
    for (let c = 0; c < 0x10000; c++) {
      // Surrogates take the slow path, where Buffer.from turns a lone one into U+FFFD as
      // sentencepiece's UTF-8 input would carry it.
      const surrogate = c >= 0xd800 && c < 0xe000;
      this.startsKey[c] = surrogate || this.isPrefix(Buffer.from(String.fromCharCode(c), "utf8")) ? 1 : 0;
    }
  }

  static fromBase64(b64: string, source: string): PrecompiledCharsmap {
    return new PrecompiledCharsmap(Buffer.from(b64, "base64"), source);
  }

  /** Every rule as [key, replacement], in trie (byte) order. */
  *entries(): Generator<[string, string]> {
    // ignoreBOM: a key that is U+FEFF (a rule of XLM-R's charsmap) would otherwise decode as "".
    const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    const units = this.units;
    // Depth-first walk over byte labels; a node's children are found by trying every label.
    const stack: Array<{ pos: number; key: number[] }> = [{ pos: offset(units[0]), key: [] }];
    while (stack.length > 0) {
      const { pos, key } = stack.pop()!;
      const children: Array<{ pos: number; key: number[] }> = [];
      for (let byte = 1; byte < 256; byte++) {
        const child = pos ^ byte;
        if (child >= units.length || label(units[child]) !== byte) continue;
        const next = child ^ offset(units[child]);
        const k = [...key, byte];
        if (hasLeaf(units[child])) yield [decoder.decode(Uint8Array.from(k)), this.replacement(value(units[next]))];
        children.push({ pos: next, key: k });
      }
      stack.push(...children.reverse());
    }
  }

  /**
   * Applies the rules to `text`: the longest key at each position is replaced, any other
   * codepoint is kept. No whitespace handling (the tokenizer.json's other normalizers do that).
   */
  normalize(text: string): string {
    let i = 0;
    while (i < text.length && !this.startsKey[text.charCodeAt(i)]) i++;
    if (i === text.length) return text;
    const bytes = Buffer.from(text, "utf8");
    let out = text.slice(0, i);
    // Byte offset of text[i]: the prefix skipped so far.
    let b = Buffer.byteLength(out, "utf8");
    while (b < bytes.length) {
      const match = this.longestMatch(bytes, b);
      if (match !== null) {
        out += this.replacement(match.value);
        b += match.length;
      } else {
        const len = utf8Length(bytes[b]);
        out += bytes.toString("utf8", b, b + len);
        b += len;
      }
    }
    return out;
  }

  /** The longest key that starts at `bytes[start]`, as darts-clone's commonPrefixSearch finds them. */
  private longestMatch(bytes: Uint8Array, start: number): { length: number; value: number } | null {
    const units = this.units;
    let pos = offset(units[0]);
    let best: { length: number; value: number } | null = null;
    for (let i = start; i < bytes.length; i++) {
      pos ^= bytes[i];
      if (pos >= units.length) break;
      const unit = units[pos];
      if (label(unit) !== bytes[i]) break;
      pos ^= offset(unit);
      if (hasLeaf(unit)) best = { length: i + 1 - start, value: value(units[pos]) };
    }
    return best;
  }

  /** Whether some key starts with `bytes`. */
  private isPrefix(bytes: Uint8Array): boolean {
    const units = this.units;
    let pos = offset(units[0]);
    for (const byte of bytes) {
      pos ^= byte;
      if (pos >= units.length || label(units[pos]) !== byte) return false;
      pos ^= offset(units[pos]);
    }
    return true;
  }

  private replacement(at: number): string {
    let s = this.replacements.get(at);
    if (s === undefined) {
      const end = this.strings.indexOf(0, at);
      s = Buffer.from(this.strings.buffer, this.strings.byteOffset + at, (end < 0 ? this.strings.length : end) - at).toString("utf8");
      this.replacements.set(at, s);
    }
    return s;
  }
}

// darts-clone's unit encoding: the label in the low byte (bit 31 set marks a leaf unit), bit 8
// says a leaf hangs below, the offset to the children sits in the upper bits (shifted by 8
// more when bit 9 is set), and a leaf unit's low 31 bits are its value.
const label = (unit: number): number => unit & 0x800000ff;
const hasLeaf = (unit: number): boolean => ((unit >>> 8) & 1) === 1;
const value = (unit: number): number => unit & 0x7fffffff;
const offset = (unit: number): number => (unit >>> 10) << ((unit & 0x200) >>> 6);

/** Bytes in the UTF-8 sequence that starts with `lead` (Buffer.from never writes invalid UTF-8). */
function utf8Length(lead: number): number {
  return lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}
