/**
 * The error every checker throws when a run breaks a property.
 *
 * @module
 */

/**
 * A property of Raft (or of the client history) did not hold. The simulator catches it and reports the seed.
 *
 * @example
 * ```ts
 * import { CheckerError } from "./checker_error.ts";
 * const error = new CheckerError("election safety", "term 3 has leaders 1 and 2");
 * console.log(error.message); // "election safety: term 3 has leaders 1 and 2"
 * ```
 */
export class CheckerError extends Error {
  /** Which checker failed. */
  readonly checker: string;

  /**
   * @param checker Which checker failed.
   * @param detail What was violated, with the values.
   */
  constructor(checker: string, detail: string) {
    super(`${checker}: ${detail}`);
    this.name = "CheckerError";
    this.checker = checker;
  }
}

/** One log entry as the checkers see it: position, term, and a digest of type + data. */
export interface LogEntryView {
  index: number;
  term: number;
  digest: string;
}

/** A node's log as the checkers see it: consecutive entries (those before the first were compacted). */
export interface LogView {
  nodeId: number;
  /** The last index covered by the node's snapshot (entries start right after it). */
  snapshotIndex: number;
  entries: readonly LogEntryView[];
}
