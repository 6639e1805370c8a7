/**
 * Leveled logging. The entry point (the CLI, a notebook, a test, a bench script) makes one logger
 * and passes it down to every module that reports progress; modules never pick a destination.
 *
 * - debug: what a bug report needs (backends skipped and why, each file a step touched);
 * - info: progress and results (training lines, evaluation summaries);
 * - warn: something to know or act on that did not stop the work (a stale lock taken over, a run
 *   that diverged, files a killed write left, data contamination allowed by the config);
 * - error: a failure the caller went on past (a grid run that failed while the others go on).
 *
 * Messages are for people. Code that needs an outcome (notebooks, reports, tests of behaviour)
 * reads the returned objects, never log text.
 */

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** The levels a message can have ("silent" only turns everything off). */
export type MessageLevel = Exclude<LogLevel, "silent">;

/** Read by {@link consoleLogger}; the CLI's --log-level / --quiet / --verbose set it, so child processes inherit it. */
export const LOG_LEVEL_ENV = "HYBRID_IR_LOG_LEVEL";

export interface Logger {
  /** Messages below it are dropped. */
  readonly level: LogLevel;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && (LOG_LEVELS as readonly string[]).includes(value);
}

/** `level` as a LogLevel; a RangeError saying `where` it came from and what is allowed otherwise. */
export function parseLogLevel(level: string, where: string): LogLevel {
  if (!isLogLevel(level)) throw new RangeError(`${where}: unknown log level '${level}' (expected one of: ${LOG_LEVELS.join(", ")})`);
  return level;
}

/** The level named by HYBRID_IR_LOG_LEVEL, "info" when unset. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const value = env[LOG_LEVEL_ENV];
  return value === undefined || value === "" ? "info" : parseLogLevel(value, LOG_LEVEL_ENV);
}

/**
 * A logger that sends each message at or above `level` to `sink`.
 *
 * @example
 * const logger = levelLogger("warn", (level, message) => lines.push(`${level}: ${message}`));
 */
export function levelLogger(level: LogLevel, sink: (level: MessageLevel, message: string) => void): Logger {
  const at = (l: MessageLevel) => (RANK[l] >= RANK[level] ? (message: string) => sink(l, message) : () => undefined);
  return { level, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** Whether `logger` lets messages of `level` through. */
export function logs(logger: Logger, level: MessageLevel): boolean {
  return RANK[level] >= RANK[logger.level];
}

/**
 * The terminal: debug and info to stdout as they are, warnings and errors to stderr with a
 * "warning: " / "error: " prefix, so `2>` separates what needs attention from progress.
 */
export function consoleLogger(level: LogLevel = logLevelFromEnv()): Logger {
  return levelLogger(level, (l, message) => {
    if (l === "warn") console.error(`warning: ${message}`);
    else if (l === "error") console.error(`error: ${message}`);
    else console.log(message);
  });
}

/** {@link consoleLogger} with everything on stderr: for scripts whose stdout is data (JSON, tables). */
export function stderrLogger(level: LogLevel = logLevelFromEnv()): Logger {
  return levelLogger(level, (l, message) => console.error(l === "warn" ? `warning: ${message}` : l === "error" ? `error: ${message}` : message));
}

/** Drops everything. */
export const silentLogger: Logger = levelLogger("silent", () => undefined);

/** One logged message. */
export interface LogRecord {
  readonly level: MessageLevel;
  readonly message: string;
}

/** Keeps every message (at or above `level`) in `records`, in order: for tests and notebooks. */
export function recordingLogger(level: LogLevel = "debug"): Logger & { readonly records: LogRecord[] } {
  const records: LogRecord[] = [];
  return { ...levelLogger(level, (l, message) => records.push({ level: l, message })), records };
}

/** `logger` with `before` called ahead of every message it lets through (to clear a progress bar, say). */
export function beforeEach(logger: Logger, before: () => void): Logger {
  const wrap = (level: MessageLevel) => (message: string) => {
    if (!logs(logger, level)) return;
    before();
    logger[level](message);
  };
  return { level: logger.level, debug: wrap("debug"), info: wrap("info"), warn: wrap("warn"), error: wrap("error") };
}
