/**
 * Structured logs for the command line: one JSON object per line, or a readable line on a terminal.
 *
 * @module
 */

/** Log levels, most verbose first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Writes structured log records. */
export interface Logger {
  /**
   * Writes one record.
   *
   * @param level How serious it is.
   * @param message What happened, as a short sentence.
   * @param fields Details as key/value pairs.
   */
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/**
 * A logger writing to a text sink (stderr by default), as JSON lines or pretty lines.
 *
 * @param options `format`: "json" or "pretty"; `name`: the node name put on every record; `write`: the sink.
 * @returns The logger.
 * @example
 * ```ts
 * import { createLogger } from "./log.ts";
 * const lines: string[] = [];
 * const logger = createLogger({ format: "json", name: "n1", write: (line) => lines.push(line) });
 * logger.log("info", "leader elected", { term: 2 });
 * console.log(JSON.parse(lines[0]!).msg); // "leader elected"
 * ```
 */
export function createLogger(options: {
  format: "json" | "pretty";
  name: string;
  write: (line: string) => void;
  now?: () => Date;
}): Logger {
  const now = options.now ?? (() => new Date());
  return {
    log(level, message, fields = {}) {
      const time = now().toISOString();
      if (options.format === "json") {
        options.write(JSON.stringify({ time, level, node: options.name, msg: message, ...fields }));
        return;
      }
      const details = Object.entries(fields).map(([key, value]) => `${key}=${formatValue(value)}`).join(" ");
      options.write(
        `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${message}${details ? ` ${details}` : ""}`,
      );
    },
  };
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return /\s/.test(value) ? JSON.stringify(value) : value;
  if (value instanceof Error) return JSON.stringify(value.message);
  return JSON.stringify(value) ?? String(value);
}
