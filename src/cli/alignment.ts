import { initBackend } from "../compute/backend.js";
import { readEmbeddingsDir, type AlignedEmbeddings } from "../data/embeddings-dir.js";
import { loadDataset } from "../data/lareqa.js";
import type { RetrievalDataset } from "../data/types.js";
import { formatAlignment, measureAlignment } from "../eval/alignment.js";
import { datasetTexts, encodeDataset } from "../model/encode-dataset.js";
import { loadModel } from "../model/load.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { backendArg, datasetArg, intArg, parse, UsageError } from "./args.js";

export const usage = `usage: hybrid-ir alignment --dataset <xquad-r|mlqa-r> (--embeddings DIR | --model DIR|HUB_ID|mini|xlm-r-base|labse)
       [--json] [--out FILE.json] [--batch-size 32] [--seed N] [--backend auto|tensorflow|webgpu|wasm|cpu]

How aligned a model's languages are, on the benchmark's parallel structure (translations = a
question's answer sentences in two languages): bitext retrieval P@1 per language pair, cosine of
translations against other cross-language pairs, a linear language-ID probe (trained on half the
candidates, tested on the other half), distances between language centroids, and the protocol's
mAP before and after removing each language's centroid. DIR is the layout \`evaluate\` reads;
--model encodes the benchmark first (the preset's prefixes; --seed initialises \`mini\`).`;

export async function run(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    {
      dataset: { type: "string" },
      embeddings: { type: "string" },
      model: { type: "string" },
      json: { type: "boolean" },
      out: { type: "string" },
      "batch-size": { type: "string", default: "32" },
      seed: { type: "string", default: "0" },
      backend: { type: "string", default: "auto" },
    },
    usage,
  );
  const name = datasetArg(values.dataset, usage);
  if ((values.embeddings === undefined) === (values.model === undefined)) {
    throw new UsageError(`give --embeddings DIR or --model REF (one of them)\n\n${usage}`);
  }
  const backend = backendArg(values.backend);
  const batchSize = intArg("--batch-size", values["batch-size"], 1);
  const seed = intArg("--seed", values.seed, 0);
  const ds = await loadDataset(name);
  await initBackend(backend);
  const emb = values.embeddings !== undefined ? await readEmbeddingsDir(values.embeddings, ds) : await encodeWith(values.model!, ds, batchSize, seed);
  const result = await measureAlignment(ds, emb);
  const json = JSON.stringify(result, null, 2);
  if (values.out !== undefined) await writeFileAtomic(values.out, json + "\n");
  console.log(values.json ? json : formatAlignment(result));
}

async function encodeWith(ref: string, ds: RetrievalDataset, batchSize: number, seed: number): Promise<AlignedEmbeddings> {
  const loaded = await loadModel(ref, { corpus: () => datasetTexts(ds, false), seed });
  try {
    console.error(`encoding ${ds.name} with ${ref} (dim ${loaded.model.dim})`);
    return await encodeDataset(loaded.model, ds, { batchSize, queryPrefix: loaded.queryPrefix, passagePrefix: loaded.passagePrefix });
  } finally {
    loaded.model.dispose();
  }
}
