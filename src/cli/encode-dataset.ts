import { initBackend } from "../compute/backend.js";
import { writeEmbeddingsDir } from "../data/embeddings-dir.js";
import { loadDataset } from "../data/lareqa.js";
import { datasetTexts, encodeDataset } from "../model/encode-dataset.js";
import { loadModel } from "../model/load.js";
import { type Progress, progressBar } from "../util/progress.js";
import { backendArg, datasetArg, intArg, parse, threadsArg, UsageError } from "./args.js";

export const usage = `usage: hybrid-ir encode-dataset --dataset <xquad-r|mlqa-r> --model DIR|HUB_ID|mini|xlm-r-base|labse --out DIR
       [--with-context] [--batch-size 32] [--max-query-length N] [--max-passage-length N]
       [--query-prefix STR] [--passage-prefix STR] [--backend B] [--seed N] [--threads N]

Writes the directory \`hybrid-ir evaluate --embeddings DIR\` reads. Prefixes default to the
paper's ("Query: " / "Passage: ") for the presets and to none for other models.
--with-context encodes each candidate sentence with its paragraph as a second segment.
--threads: worker threads to encode on (default \$HYBRID_IR_THREADS, else the number of cores;
1 = the main thread); the embeddings are the same bit for bit whatever the count.`;

export async function run(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    {
      dataset: { type: "string" },
      model: { type: "string" },
      out: { type: "string" },
      "with-context": { type: "boolean" },
      "batch-size": { type: "string", default: "32" },
      "max-query-length": { type: "string" },
      "max-passage-length": { type: "string" },
      "query-prefix": { type: "string" },
      "passage-prefix": { type: "string" },
      backend: { type: "string", default: "auto" },
      seed: { type: "string", default: "0" },
      threads: { type: "string" },
    },
    usage,
  );
  const name = datasetArg(values.dataset, usage);
  if (!values.model || !values.out) throw new UsageError(`--model and --out are required\n\n${usage}`);
  const batchSize = intArg("--batch-size", values["batch-size"], 1);
  const optionalLength = (flag: string, v: string | undefined) => (v === undefined ? undefined : intArg(flag, v, 2));
  const maxQuery = optionalLength("--max-query-length", values["max-query-length"]);
  const maxPassage = optionalLength("--max-passage-length", values["max-passage-length"]);
  const backendName = backendArg(values.backend);
  const threads = threadsArg(values.threads);
  const seed = intArg("--seed", values.seed, 0);
  const ds = await loadDataset(name);
  const backend = await initBackend(backendName);
  const withContext = values["with-context"] ?? false;
  const loaded = await loadModel(values.model, { corpus: () => datasetTexts(ds, withContext), seed });
  const { model } = loaded;
  try {
    console.error(`encoding ${name} with ${values.model} (dim ${model.dim}) on ${backend}`);
    // Each bar starts when its part does, so its rate and ETA are its own.
    const bars = new Map<string, Progress>();
    const bar = (part: string, total: number) => bars.get(part) ?? bars.set(part, progressBar(part.padEnd(10), total)).get(part)!;
    const embeddings = await encodeDataset(model, ds, {
      batchSize,
      maxQueryLength: maxQuery,
      maxPassageLength: maxPassage,
      queryPrefix: values["query-prefix"] ?? loaded.queryPrefix,
      passagePrefix: values["passage-prefix"] ?? loaded.passagePrefix,
      withContext,
      threads,
      onProgress: (part, done, total) => (done === total ? bar(part, total).finish() : bar(part, total).update(done)),
    });
    await writeEmbeddingsDir(values.out, ds, embeddings);
    console.error(`wrote ${values.out}: evaluate with \`hybrid-ir evaluate --dataset ${name} --embeddings ${values.out}\``);
  } finally {
    model.dispose();
  }
}
