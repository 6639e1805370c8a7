/**
 * Training curves and throughput from runs' metrics.jsonl, for the fine-tuning notebook.
 */
import type { MetricsLine } from "../run-files/metrics.js";
import type { PlotlyFigure } from "./display.js";
import type { RunRecord } from "./grid-report.js";
import { strategyLabel } from "./grid-report.js";

/** "hybrid α=0.5 · seed 1 · mlqa-r→xquad-r". */
export function runLabel(run: RunRecord): string {
  const r = run.row;
  return `${strategyLabel(r.strategy, r.alpha)} · seed ${r.seed} · ${r.train}→${r.eval ?? "-"}`;
}

type TrainLine = Extract<MetricsLine, { type: "train" }>;
type ValLine = Extract<MetricsLine, { type: "val" }>;

/** Training loss (per log interval) or validation loss against step, one line per run. */
export function lossCurvesFigure(runs: readonly RunRecord[], kind: "train" | "val", title: string): PlotlyFigure {
  return {
    data: runs.map((run) => {
      const lines = run.metrics.filter((m): m is TrainLine | ValLine => m.type === kind);
      return {
        type: "scatter",
        mode: kind === "val" ? "lines+markers" : "lines",
        name: runLabel(run),
        x: lines.map((m) => m.step),
        y: lines.map((m) => (m.type === "train" ? m.loss : m.valLoss)),
      };
    }),
    layout: {
      title: { text: title },
      xaxis: { title: { text: "step" } },
      yaxis: { title: { text: kind === "train" ? "training loss (InfoNCE)" : "validation loss (InfoNCE)" } },
    },
  };
}

export interface ThroughputRow {
  readonly run: string;
  readonly steps: number;
  readonly bestStep: number | null;
  readonly stop: string;
  /** Mean over log intervals. */
  readonly secPerStep: number | null;
  readonly pairsPerSec: number | null;
  /** Seconds spent in training steps (validation and evaluation not included). */
  readonly trainMinutes: number | null;
}

/** Steps, where it stopped and why, and training speed, per run. */
export function throughputRows(runs: readonly RunRecord[]): ThroughputRow[] {
  return runs.map((run) => {
    const train = run.metrics.filter((m): m is TrainLine => m.type === "train");
    const mean = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((s, x) => s + x, 0) / xs.length);
    // Each train line covers the steps since the previous one.
    let seconds = 0;
    let prev = 0;
    for (const m of train) {
      seconds += m.secPerStep * (m.step - prev);
      prev = m.step;
    }
    const events = run.metrics.filter((m) => m.type === "event").map((m) => (m.type === "event" ? m.event : ""));
    return {
      run: runLabel(run),
      steps: run.row.steps,
      bestStep: run.row.checkpointStep,
      stop: events.includes("early-stopped") ? "early stop" : run.row.state === "complete" ? "all steps" : run.row.state,
      secPerStep: mean(train.map((m) => m.secPerStep)),
      pairsPerSec: mean(train.map((m) => m.pairsPerSec)),
      trainMinutes: train.length === 0 ? null : seconds / 60,
    };
  });
}
