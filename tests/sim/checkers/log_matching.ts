/**
 * Log matching: if two logs hold an entry with the same index and term, they are identical up to it.
 *
 * @module
 */

import { CheckerError, type LogView } from "./checker_error.ts";

/**
 * Checks each log's own shape (consecutive indices, non-decreasing terms) and the log matching property for
 * every pair of logs, over the range both still hold.
 *
 * @param logs The logs of every node (in a fixed order, for deterministic messages).
 * @throws {CheckerError} On the first violation.
 * @example
 * ```ts
 * import { checkLogMatching } from "./log_matching.ts";
 * checkLogMatching([
 *   { nodeId: 1, snapshotIndex: 0, entries: [{ index: 1, term: 1, digest: "a" }] },
 *   { nodeId: 2, snapshotIndex: 0, entries: [{ index: 1, term: 1, digest: "a" }, { index: 2, term: 2, digest: "b" }] },
 * ]);
 * ```
 */
export function checkLogMatching(logs: readonly LogView[]): void {
  for (const log of logs) checkShape(log);
  for (let i = 0; i < logs.length; i++) {
    for (let j = i + 1; j < logs.length; j++) checkPair(logs[i]!, logs[j]!);
  }
}

function checkShape(log: LogView): void {
  const entries = log.entries;
  if (entries.length > 0 && entries[0]!.index !== log.snapshotIndex + 1) {
    throw new CheckerError(
      "log matching",
      `node ${log.nodeId} starts its log at ${entries[0]!.index} after a snapshot at ${log.snapshotIndex}`,
    );
  }
  for (let k = 1; k < entries.length; k++) {
    const previous = entries[k - 1]!, entry = entries[k]!;
    if (entry.index !== previous.index + 1) {
      throw new CheckerError(
        "log matching",
        `node ${log.nodeId} has index ${entry.index} after ${previous.index}`,
      );
    }
    if (entry.term < previous.term) {
      throw new CheckerError(
        "log matching",
        `node ${log.nodeId} has term ${entry.term} at index ${entry.index} after term ${previous.term}`,
      );
    }
  }
}

function checkPair(a: LogView, b: LogView): void {
  if (a.entries.length === 0 || b.entries.length === 0) return;
  const aFirst = a.entries[0]!.index, bFirst = b.entries[0]!.index;
  const low = Math.max(aFirst, bFirst);
  const high = Math.min(aFirst + a.entries.length - 1, bFirst + b.entries.length - 1);
  let matched = false;
  for (let index = high; index >= low; index--) {
    const x = a.entries[index - aFirst]!, y = b.entries[index - bFirst]!;
    if (!matched && x.term === y.term) matched = true;
    if (matched && (x.term !== y.term || x.digest !== y.digest)) {
      throw new CheckerError(
        "log matching",
        `nodes ${a.nodeId} and ${b.nodeId} agree on a later index but differ at index ${index}: ` +
          `term ${x.term} (${x.digest}) vs term ${y.term} (${y.digest})`,
      );
    }
  }
}
