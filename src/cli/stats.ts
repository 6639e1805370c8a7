import { loadDataset } from "../data/lareqa.js";
import { datasetStats } from "../data/stats.js";
import { datasetArg, parse } from "./args.js";

export const usage = "usage: hybrid-ir stats <xquad-r|mlqa-r> [--json]";

export async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { json: { type: "boolean" } }, usage);
  const name = datasetArg(positionals[0], usage);
  const rows = datasetStats(await loadDataset(name));
  if (values.json) {
    console.log(JSON.stringify({ dataset: name, languages: rows }, null, 2));
    return;
  }
  console.log(`${name}: per-language counts`);
  console.table(
    Object.fromEntries(
      rows.map((r) => [
        r.lang,
        {
          questions: r.questions,
          candidates: r.candidates,
          paragraphs: r.paragraphs,
          "mean sentence chars": Number(r.meanSentenceChars.toFixed(1)),
          "relevant per question": Number(r.meanRelevantPerQuestion.toFixed(2)),
        },
      ]),
    ),
  );
  const total = rows.reduce((s, r) => [s[0] + r.questions, s[1] + r.candidates], [0, 0]);
  console.log(`total: ${total[0]} questions, ${total[1]} candidates`);
}
