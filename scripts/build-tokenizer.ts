/**
 * Builds data/tokenizers/xlm-roberta-base/tokenizer.json.gz, a Hugging Face tokenizer.json for
 * xlm-roberta-base, from BlingFire's copy of its sentencepiece vocabulary (the Hub file itself
 * cannot be fetched here) and the charsmap of sentencepiece's nmt_nfkc rules, which the PyPI
 * `sentencepiece` package compiles (scripts/tokenizer/spm_reference.py charsmap). Run by a
 * maintainer (`npm run build-tokenizer [-- --zip <path>] [-- --charsmap <base64 file>]`); users
 * get the vendored .gz with the clone. Output bytes are deterministic, so a rebuild that
 * changes the printed sha256 means the script or the sources changed.
 */
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { constants, crc32, gzipSync, inflateRawSync } from "node:zlib";
import { MANIFEST_NAME, formatManifest, sha256 } from "../src/data/manifest.js";
import { dataDir, packageRoot } from "../src/paths.js";
import { writeFileAtomic } from "../src/util/atomic-write.js";

const DICT_NAME = "pos.dict.utf8";
const OUT_NAME = "tokenizer.json.gz";

const { values } = parseArgs({
  options: {
    zip: {
      type: "string",
      default: join(packageRoot(), "..", "shared", "data", "tokenizers", "xlm-roberta-base-vocab", "pos.dict.utf8.zip"),
    },
    out: { type: "string", default: join(dataDir(), "tokenizers", "xlm-roberta-base") },
    /** A file holding the base64 charsmap; default: computed by sentencepiece in .venv. */
    charsmap: { type: "string" },
  },
});
const zipPath = resolve(values.zip ?? "");
const outDir = resolve(values.out ?? "");

/** Reads one member of a zip archive (stored or deflated, no zip64), checking size and CRC. */
function readZipEntry(zip: Buffer, name: string, file: string): Buffer {
  // The end-of-central-directory record sits in the last 22 bytes + up to 64 KiB of comment.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file}: not a zip archive (no end-of-central-directory record)`);
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let k = 0; k < count; k++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: corrupt central directory at byte ${p}`);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    const compressedSize = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const localOffset = zip.readUInt32LE(p + 42);
    const entryName = zip.toString("utf8", p + 46, p + 46 + nameLen);
    p += 46 + nameLen + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
    names.push(entryName);
    if (entryName !== name) continue;
    if (compressedSize === 0xffffffff || localOffset === 0xffffffff) throw new Error(`${file}: zip64 is not supported`);
    // Sizes come from the central directory: the local header's may be zero when a data
    // descriptor follows the data, but its name and extra lengths can differ from these.
    const start = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const raw = zip.subarray(start, start + compressedSize);
    const data = method === 0 ? raw : method === 8 ? inflateRawSync(raw) : undefined;
    if (data === undefined) throw new Error(`${file}: ${name} uses compression method ${method}, expected 0 or 8`);
    if (data.length !== size || crc32(data) !== crc) throw new Error(`${file}: ${name} fails its size/CRC check`);
    return data;
  }
  throw new Error(`${file}: no member ${name} (has: ${names.join(", ")})`);
}

type Piece = [piece: string, score: number];

/**
 * Parses `piece<TAB>WORD_ID_<id><TAB>logprob` lines into the Unigram vocab in id order. Ids
 * must run 1..max without gaps because a Unigram vocab is positional.
 */
function parseVocab(text: string, file: string): Piece[] {
  const vocab: Piece[] = [];
  text.split("\n").forEach((line, i) => {
    if (line === "") return;
    const m = /^([^\t]+)\tWORD_ID_(\d+)\t(-?\d+(?:\.\d+)?(?:[eE]-?\d+)?)$/.exec(line);
    if (!m) throw new Error(`${file}: line ${i + 1} is not 'piece<TAB>WORD_ID_n<TAB>logprob': ${JSON.stringify(line)}`);
    const id = Number(m[2]);
    if (id !== vocab.length + 1) throw new Error(`${file}: line ${i + 1} has id ${id}, expected ${vocab.length + 1}`);
    vocab.push([m[1], Number(m[3])]);
  });
  return vocab;
}

const SPECIALS = { "<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": 250001 } as const;
const UNK_ID = SPECIALS["<unk>"];

/** The base64 nmt_nfkc charsmap, from `--charsmap` or from sentencepiece through scripts/python-env.sh. */
async function nmtNfkcCharsmap(): Promise<string> {
  if (values.charsmap !== undefined) return (await readFile(resolve(values.charsmap), "utf8")).trim();
  const root = packageRoot();
  const python = execFileSync(join(root, "scripts", "python-env.sh"), ["tokenizer"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
  return execFileSync(python, [join(root, "scripts", "tokenizer", "spm_reference.py"), "charsmap"], { encoding: "utf8", maxBuffer: 16 << 20 }).trim();
}

/** The xlm-roberta-base tokenizer.json from the Hub, with sentencepiece's whitespace handling (see the normalizer). */
function buildTokenizerJson(blingfire: Piece[], charsmap: string, file: string): object {
  // BlingFire leaves out id 0 because its own runtime adds <s> itself.
  const vocab: Piece[] = [["<s>", 0], ...blingfire];
  for (const [token, id] of Object.entries(SPECIALS)) {
    if (vocab[id]?.[0] !== token) throw new Error(`${file}: id ${id} is ${JSON.stringify(vocab[id]?.[0])}, expected ${token}`);
    // BlingFire stores -0.00001 for control symbols; the Hub file has 0. Unigram replaces the
    // <unk> score anyway, and added tokens are split off before the lattice sees them.
    vocab[id] = [token, 0];
  }
  if (vocab.length !== SPECIALS["<mask>"] + 1) throw new Error(`${file}: ${vocab.length} pieces, expected 250002`);

  const addedToken = (content: string, id: number) => ({
    id,
    content,
    single_word: false,
    // As in XLMRobertaTokenizer: "a <mask> b" must not leave a lone "▁" before <mask>.
    lstrip: content === "<mask>",
    rstrip: false,
    normalized: false,
    special: true,
  });
  const special = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  const sequence = (id: "A" | "B") => ({ Sequence: { id, type_id: 0 } });
  const metaspace = { replacement: "\u2581", add_prefix_space: true, prepend_scheme: "always" };

  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: Object.entries(SPECIALS).map(([content, id]) => addedToken(content, id)),
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "Precompiled", precompiled_charsmap: charsmap },
        // sentencepiece's remove_extra_whitespaces, which XLM-R was trained with: runs of " " in
        // the normalized text become one, then a leading and a trailing " " go (the Hub file
        // lacks both, so "a  b" gains a stray "▁" there). Not Strip: it would also trim U+0085,
        // which nmt_nfkc keeps and sentencepiece does not count as a space.
        { type: "Replace", pattern: { Regex: " {2,}" }, content: " " },
        { type: "Replace", pattern: { Regex: "^ | $" }, content: "" },
      ],
    },
    pre_tokenizer: { type: "Metaspace", ...metaspace },
    post_processor: {
      type: "TemplateProcessing",
      single: [special("<s>"), sequence("A"), special("</s>")],
      pair: [special("<s>"), sequence("A"), special("</s>"), special("</s>"), sequence("B"), special("</s>")],
      special_tokens: {
        "<s>": { id: "<s>", ids: [SPECIALS["<s>"]], tokens: ["<s>"] },
        "</s>": { id: "</s>", ids: [SPECIALS["</s>"]], tokens: ["</s>"] },
      },
    },
    decoder: { type: "Metaspace", ...metaspace },
    model: { type: "Unigram", unk_id: UNK_ID, vocab, byte_fallback: false },
  };
}

/**
 * gzipSync already writes mtime 0; the OS byte is pinned too because zlib builds for Windows
 * write 10 there instead of 3, which would change the sha256 for the same content.
 */
function deterministicGzip(bytes: Buffer): Buffer {
  const gz = gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION });
  gz[9] = 3;
  return gz;
}

const dict = readZipEntry(await readFile(zipPath), DICT_NAME, zipPath).toString("utf8");
const charsmap = await nmtNfkcCharsmap();
const json = Buffer.from(JSON.stringify(buildTokenizerJson(parseVocab(dict, `${zipPath}:${DICT_NAME}`), charsmap, zipPath)), "utf8");
const gz = deterministicGzip(json);
const hash = sha256(gz);
await writeFileAtomic(join(outDir, OUT_NAME), gz);
await writeFileAtomic(join(outDir, MANIFEST_NAME), formatManifest(new Map([[OUT_NAME, hash]])));
console.log(`${hash}  ${join(outDir, OUT_NAME)} (${gz.length} bytes; tokenizer.json sha256 ${sha256(json)}; charsmap sha256 ${sha256(Buffer.from(charsmap, "base64"))})`);

const readme = await readFile(join(outDir, "README.md"), "utf8").catch(() => "");
if (!readme.includes(hash)) console.warn(`note: ${join(outDir, "README.md")} does not mention sha256 ${hash}; update it`);
