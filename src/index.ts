/**
 * The public API: what notebooks, scripts and other packages import. Nothing reachable from
 * here may use top-level await, because tslab loads this module with require().
 */
export * from "./data/types.js";
export { DataError } from "./util/errors.js";
export { DATASET_LANGUAGES, isDatasetName, lareqaRoot, loadDataset, type LoadOptions } from "./data/lareqa.js";
export { datasetStats, type LanguageStats } from "./data/stats.js";
export { formatNpy, parseNpy, readNpy, writeNpy, type Matrix } from "./data/npy.js";
export { readEmbeddingsDir, writeEmbeddingsDir, type AlignedEmbeddings } from "./data/embeddings-dir.js";
export { packageRoot } from "./paths.js";
export {
  PRESETS,
  preparePresetGrid,
  presetFromEnv,
  presetGridPath,
  presetShippedDir,
  presetUntrained,
  presetVerifyRuns,
  readPresetGrid,
  type Preset,
  type PresetName,
} from "./presets.js";
export {
  compareWithShipped,
  installShipped,
  readShippedManifest,
  shipGrid,
  shippedMarker,
  type InstallReport,
  type ShippedManifest,
  type ShippedMarker,
} from "./ablate/shipped.js";
export * from "./tokenize/types.js";
export { loadTokenizerJson } from "./tokenize/hf-tokenizer.js";
export { loadXlmrTokenizer } from "./tokenize/xlmr-tokenizer.js";
export * from "./eval/types.js";
export * from "./eval/result.js";
export { evaluate, DEFAULT_RECALL_KS, type EvaluateOptions } from "./eval/evaluate.js";
export { taskFromDataset } from "./eval/task.js";
export {
  compareRuns,
  meanOverRuns,
  pairedTest,
  pairPerQuery,
  seedPermutationTest,
  seedSpread,
  type PairedSample,
  type PairedTest,
  type PairedTestOptions,
  type PerQueryMetric,
  type SeedSpread,
  type SeedTest,
} from "./eval/significance.js";
export { DenseScorer, ParallelDenseScorer, type ParallelDenseScorerOptions } from "./eval/dense-scorer.js";
export { formatCrossMatrix, formatSettingTable, formatSummaryTable } from "./eval/format.js";
export { initBackend, type BackendName } from "./compute/backend.js";
export { resolveThreads } from "./compute/threads.js";
export { Bm25Index, type Bm25Options } from "./baselines/bm25.js";
export { bm25Scorer } from "./baselines/bm25-dataset.js";
export { loadPaperResults, type PaperResults, type PaperModel, type Strategy, type Setting } from "./report/paper-reference.js";
export { paperRows, resultRow, type ComparisonRow } from "./report/comparison.js";
export { heatmapFigure, plotlyHtml, show, tableHtml, type PlotlyFigure } from "./report/display.js";
export { interruptSignal, withProgress } from "./report/cell.js";
export { progressBar, type Progress } from "./util/progress.js";
export {
  consoleLogger,
  levelLogger,
  LOG_LEVELS,
  recordingLogger,
  silentLogger,
  stderrLogger,
  type Logger,
  type LogLevel,
  type LogRecord,
} from "./util/logger.js";
export {
  configGroups,
  directionLabel,
  directions,
  loadGridReport,
  originLine,
  stateCounts,
  strategyLabel,
  type ConfigGroup,
  type GridReport,
  type RunRecord,
} from "./report/grid-report.js";
export {
  alphaSweep,
  alphaSweepFigure,
  formatTable1Cell,
  meanCrossMatrix,
  perLanguageTable,
  SETTINGS,
  strategyTestRecords,
  strategyTests,
  table1,
  table1Legend,
  table1Markdown,
  table1Records,
  type AlphaPoint,
  type Table1,
  type Table1Cell,
  type Table1Column,
  type Table1Options,
  type Table1Row,
  type StrategyTest,
} from "./report/ablation-tables.js";
export { readUntrainedReference, type UntrainedReference, type UntrainedResult } from "./report/untrained.js";
export {
  claimOutcome,
  claimRecords,
  claimsMarkdown,
  claimSummaries,
  formatSeedTest,
  PAPER_CLAIMS,
  paperClaims,
  type ClaimComparison,
  type ClaimNumber,
  type ClaimOutcome,
  type ClaimVerdict,
  type PaperClaimsOptions,
  type QueryOutcome,
  type SeedOutcome,
} from "./report/paper-claims.js";
export { groupsOf, medianPoolRanks, poolRankFigure, rankDistanceDistributionFigure, rankDistanceTable } from "./report/language-bias.js";
export * from "./eval/stats.js";
export { lossCurvesFigure, runLabel, throughputRows, type ThroughputRow } from "./report/training-curves.js";
export {
  alignmentBarsFigure,
  alignmentHeadline,
  alignmentTable,
  bitextFigure,
  centroidDistanceFigure,
  loadAlignments,
  meanHeadline,
  type AlignmentHeadline,
} from "./report/alignment.js";
export {
  bitextRetrieval,
  centroidDistances,
  centroidRemoval,
  formatAlignment,
  languageProbe,
  measureAlignment,
  parallelStructure,
  removeLanguageCentroids,
  translationCosine,
  type AlignmentResult,
  type ParallelStructure,
} from "./eval/alignment.js";
export { LanguageAdversary, lambdaAt, reverseGradient } from "./train/adversarial.js";
export * from "./model/types.js";
export { Encoder, type EncoderInputs, type EncoderOptions } from "./model/encoder.js";
export { SentenceEncoder, loadSentenceEncoder, type EmbedOptions } from "./model/sentence-encoder.js";
export { EmbedPool, withEmbedPool } from "./model/embed-pool.js";
export { loadModel, type LoadedModel, type LoadModelOptions } from "./model/load.js";
export { createMiniEncoder } from "./model/mini.js";
export { MODEL_PRESETS, MINI_CONFIG, type ModelPreset, type ModelPresetName } from "./model/presets.js";
export { resolveModel, type ResolveModelOptions } from "./model/hub/index.js";
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
  type GradCacheSection,
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
  type RunSummary,
} from "./train/run-dir.js";
export { loadCheckpointModel } from "./train/checkpoint-state.js";
export { readAggregate } from "./run-files/aggregate.js";
export { readAlignmentFile } from "./run-files/alignment.js";
export { readMetricsFile, type MetricsLine } from "./run-files/metrics.js";
export { readPerQueryFile } from "./run-files/per-query.js";
export { readResultsFile, readResultsFileIfExists, type CheckpointName, type RunResults, type TrainStatus } from "./run-files/results.js";
export { readCheckpointRunConfig, readRunConfigFile, type Provenance, type RunConfigFile } from "./run-files/run-config.js";
export { readTrainerProgress, type TrainerProgress } from "./run-files/trainer-state.js";
export {
  cachedGradients,
  plainGradients,
  stepGradients,
  type EmbeddingLoss,
  type EmbeddingModel,
  type PairEmbeddings,
  type StepGradients,
  type StepInputs,
} from "./train/grad-cache.js";
export { train, type StepInfo, type TrainOptions, type TrainResult } from "./train/trainer.js";
export { evaluateOnBenchmark, summaryLine, type BenchmarkOptions } from "./train/validation.js";
export { datasetTexts, encodeDataset, type EncodeDatasetOptions } from "./model/encode-dataset.js";
export { buildPools, summarizePools, type PoolGroup, type PoolSummary, type TrainingPools } from "./sampling/pools.js";
export { createSampler, SAMPLERS } from "./sampling/sampler.js";
export type { Batch, BatchPair, BatchSampler, SamplerOptions, SamplerState } from "./sampling/types.js";
export { SAMPLER_NAMES, isSamplerName, type Alpha, type SamplerName } from "./sampling/options.js";
export { DEFAULT_SAMPLER_CONFIG, type SamplerConfig } from "./sampling/config.js";
export { DEFAULT_ALPHA, HybridSampler, bySizeAlpha } from "./sampling/hybrid.js";
export { MonolingualSampler } from "./sampling/x-x.js";
export { CrossLingualSampler } from "./sampling/x-y.js";
export { readTrainingJsonl, type TrainingRecord } from "./train-data/format.js";
export { fromRetrievalDataset } from "./train-data/from-squad.js";
export { normalizeText, splitByArticle, type TrainValidationSplit } from "./train-data/split.js";
export * from "./report/sampling-figures.js";
export { drawBatches } from "./sampling/draw.js";
export { naiveBatches, type NaiveOptions } from "./sampling/naive.js";
export { runTrainingRecords } from "./train/run-records.js";
export * from "./ablate/types.js";
export { readGrid, type Grid } from "./ablate/grid.js";
export { runKey, runState } from "./ablate/run-state.js";
export { runGrid, writeManifest, type GridSummary, type RunGridOptions, type RunOutcome, type RunReport } from "./ablate/runner.js";
export { aggregateRuns, formatAggregate, labelsOf, labelText } from "./ablate/aggregate.js";
export { AGGREGATE_COLUMNS, aggregateCsv, writeAggregate } from "./run-files/aggregate.js";
export { slurmScript, type SlurmOptions } from "./ablate/slurm.js";
