import { collectionFromDataset, writeBeirCollection } from "../data/lareqa-collection.js";
import { DATASET_LANGUAGES, loadDataset } from "../data/lareqa.js";
import { datasetArg, parse, UsageError } from "./args.js";

export const usage = `usage: hybrid-ir export-collection --dataset <xquad-r|mlqa-r> [--languages en,de] --out DIR

Writes the dataset's multilingual pool (every question against every candidate sentence of the
languages given; all by default) in BEIR layout: DIR/corpus.jsonl, DIR/queries.jsonl,
DIR/qrels/test.tsv. One language gives its monolingual setting. \`hybrid-ir bm25 --collection DIR\`
then scores exactly what \`bm25 --dataset ... --run-out\` ranks in its multi (or mono) run.`;

export async function run(argv: string[]): Promise<void> {
  const { values } = parse(argv, { dataset: { type: "string" }, languages: { type: "string" }, out: { type: "string" } }, usage);
  const name = datasetArg(values.dataset, usage);
  if (values.out === undefined) throw new UsageError(`--out DIR is required\n\n${usage}`);
  const languages = values.languages?.split(",").map((l) => l.trim());
  for (const l of languages ?? []) {
    if (!DATASET_LANGUAGES[name].includes(l)) throw new UsageError(`${name} has no language '${l}' (it has: ${DATASET_LANGUAGES[name].join(", ")})`);
  }
  const ds = await loadDataset(name, { languages });
  await writeBeirCollection(values.out, collectionFromDataset(ds));
  console.error(`wrote ${values.out}: ${ds.questions.length} queries, ${ds.candidates.length} documents`);
}
