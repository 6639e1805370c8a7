/**
 * The notebook check-lab interrupts: a setup cell, a long cell (the suite's hybrid sampler
 * drawing batches through `withProgress`, as notebook 02's α sweeps do) and a cell after it. The
 * long cell is long only while the flag file beside it exists, so that after the interrupt the
 * test removes the flag, restarts the kernel and checks that Run All completes.
 */
export const INTERRUPT_NOTEBOOK = "interrupt-check.ipynb";
export const LONG_FLAG = "interrupt-check.long";

export function interruptNotebook(): string {
  let cells = 0;
  const code = (source: string) => ({
    id: `cell-${++cells}`,
    cell_type: "code",
    execution_count: null,
    metadata: {},
    outputs: [],
    source: source.split(/(?<=\n)/),
  });
  const notebook = {
    cells: [
      code(
        [
          `import { buildPools, createSampler, drawBatches, readRunConfig, runTrainingRecords, withProgress } from "../dist/src/index.js";`,
          `import { existsSync } from "node:fs";`,
          `const config = await readRunConfig("../configs/offline-mini-hybrid.json");`,
          `const pools = buildPools(await runTrainingRecords(config));`,
          "console.log(`${pools.groups.length} question groups`);",
        ].join("\n"),
      ),
      code(
        [
          `const rounds: number = existsSync(${JSON.stringify(LONG_FLAG)}) ? 1_000_000 : 3;`,
          "const drawn: number[] = await withProgress(`hybrid batches, ${rounds} rounds of 50`, Array.from({ length: rounds }, (_, i) => i),",
          `  () => drawBatches(createSampler("hybrid", pools, config.sampler), 50).length);`,
          "console.log(`${drawn.length} rounds drawn`);",
        ].join("\n"),
      ),
      code(`console.log("the cell after the long one ran");`),
    ],
    metadata: {
      kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" },
      language_info: { name: "typescript", file_extension: ".ts", mimetype: "text/typescript" },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
  return JSON.stringify(notebook, null, 1) + "\n";
}
