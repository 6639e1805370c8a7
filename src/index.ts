/**
 * The public API: what notebooks, scripts and other packages import. Nothing reachable from
 * here may use top-level await, because tslab loads this module with require().
 */
export * from "./data/types.js";
export { DataError } from "./data/errors.js";
export { DATASET_LANGUAGES, isDatasetName, lareqaRoot, loadDataset, type LoadOptions } from "./data/lareqa.js";
export { datasetStats, type LanguageStats } from "./data/stats.js";
export { formatNpy, parseNpy, readNpy, writeNpy, type Matrix } from "./data/npy.js";
export { readEmbeddingsDir, writeEmbeddingsDir, type AlignedEmbeddings } from "./data/embeddings-dir.js";
export { PRESETS, presetFromEnv, type Preset, type PresetName } from "./presets.js";
export * from "./tokenize/types.js";
export { loadTokenizerJson } from "./tokenize/hf-tokenizer.js";
export { loadXlmrTokenizer } from "./tokenize/xlmr-tokenizer.js";
export * from "./eval/types.js";
export * from "./eval/result.js";
export { evaluate, DEFAULT_RECALL_KS, type EvaluateOptions } from "./eval/evaluate.js";
export { taskFromDataset } from "./eval/task.js";
export { DenseScorer, ParallelDenseScorer, type ParallelDenseScorerOptions } from "./eval/dense-scorer.js";
export { formatCrossMatrix, formatSettingTable, formatSummaryTable } from "./eval/format.js";
export { initBackend, type BackendName } from "./compute/backend.js";
export { Bm25Index, type Bm25Options } from "./baselines/bm25.js";
export { bm25Scorer } from "./baselines/bm25-dataset.js";
export { loadPaperResults, type PaperResults, type PaperModel, type Strategy, type Setting } from "./report/paper-reference.js";
export { paperRows, resultRow, type ComparisonRow } from "./report/comparison.js";
export { heatmapFigure, plotlyHtml, show, tableHtml, type PlotlyFigure } from "./report/display.js";
export * from "./model/types.js";
export { Encoder, type EncoderInputs, type EncoderOptions } from "./model/encoder.js";
export { SentenceEncoder, loadSentenceEncoder, type EmbedOptions } from "./model/sentence-encoder.js";
export { loadModel, type LoadedModel, type LoadModelOptions } from "./model/load.js";
export { createMiniEncoder } from "./model/mini.js";
export { MODEL_PRESETS, MINI_CONFIG, type ModelPreset, type ModelPresetName } from "./model/presets.js";
export { resolveModel, type ResolveModelOptions } from "./model/hub.js";
export { encodeBatch, type EncodedBatch, type TextInput } from "./model/inputs.js";
export { trimTokenizerJson } from "./tokenize/trim-vocab.js";
export {
  DEFAULT_RUN_CONFIG,
  PAPER_PREFIXES,
  configDifferences,
  readRunConfig,
  resolveRunConfig,
  runConfigToJson,
  scheduleOf,
  warmupStepsOf,
  type DataSection,
  type EvalSection,
  type LossSection,
  type MiniArchitecture,
  type ModelSection,
  type OptimSection,
  type Prefixes,
  type RunConfig,
  type RunDefaults,
  type RunFlags,
  type TrainSource,
} from "./train/config.js";
export {
  formatRunComparison,
  openRunDir,
  readRunSummary,
  RunDir,
  type MetricsLine,
  type Provenance,
  type RunSummary,
} from "./train/run-dir.js";
export { loadCheckpointModel, readTrainerProgress, type TrainerProgress } from "./train/checkpoint-state.js";
export { train, summaryLine, type RunResults, type StepInfo, type TrainOptions, type TrainResult, type TrainStatus } from "./train/trainer.js";
export { evaluateOnBenchmark, type BenchmarkOptions } from "./train/validation.js";
export { datasetTexts, encodeDataset, type EncodeDatasetOptions } from "./model/encode-dataset.js";
