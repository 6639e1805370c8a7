import assert from "node:assert/strict";
import { test } from "node:test";
import { beforeEach, levelLogger, logLevelFromEnv, logs, recordingLogger, silentLogger } from "../../src/util/logger.js";

test("a logger passes the messages at or above its level, in order, with their levels", () => {
  const logger = recordingLogger("info");
  logger.debug("d");
  logger.info("i");
  logger.warn("w");
  logger.error("e");
  assert.deepEqual(logger.records, [
    { level: "info", message: "i" },
    { level: "warn", message: "w" },
    { level: "error", message: "e" },
  ]);
  const seen: string[] = [];
  const warnings = levelLogger("warn", (level, message) => seen.push(`${level}:${message}`));
  warnings.info("progress");
  warnings.warn("stale lock");
  assert.deepEqual(seen, ["warn:stale lock"]);
  assert.equal(logs(warnings, "info"), false);
  assert.equal(logs(warnings, "error"), true);
  silentLogger.error("nothing happens");
  assert.equal(logs(silentLogger, "error"), false);
});

test("beforeEach runs its hook only for messages that get through", () => {
  const inner = recordingLogger("info");
  let cleared = 0;
  const logger = beforeEach(inner, () => cleared++);
  logger.debug("dropped");
  logger.info("kept");
  logger.warn("kept too");
  assert.equal(cleared, 2);
  assert.deepEqual(inner.records.map((r) => r.message), ["kept", "kept too"]);
});

test("HYBRID_IR_LOG_LEVEL picks the default level; an unknown one is an error naming the variable", () => {
  assert.equal(logLevelFromEnv({}), "info");
  assert.equal(logLevelFromEnv({ HYBRID_IR_LOG_LEVEL: "warn" }), "warn");
  assert.throws(() => logLevelFromEnv({ HYBRID_IR_LOG_LEVEL: "chatty" }), /HYBRID_IR_LOG_LEVEL: unknown log level 'chatty'/);
});
