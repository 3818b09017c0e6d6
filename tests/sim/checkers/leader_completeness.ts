/**
 * Leader completeness: a leader of term T holds every entry committed in a term before T.
 *
 * @module
 */

import { CheckerError, type LogEntryView, type LogView } from "./checker_error.ts";

/**
 * Checks one leader's log against the committed entries known so far. Entries compacted from the leader's
 * log (below its first entry) are covered by its snapshot and skipped.
 *
 * @param leaderTerm The term the node leads.
 * @param log The leader's log (durable part, containing at least everything it had when elected).
 * @param committed Entries known committed, by increasing index.
 * @throws {CheckerError} When a committed entry of an earlier term is missing or different.
 * @example
 * ```ts
 * import { checkLeaderCompleteness } from "./leader_completeness.ts";
 * checkLeaderCompleteness(3, { nodeId: 1, snapshotIndex: 0, entries: [{ index: 1, term: 1, digest: "a" }] }, [
 *   { index: 1, term: 1, digest: "a" },
 * ]);
 * ```
 */
export function checkLeaderCompleteness(
  leaderTerm: number,
  log: LogView,
  committed: readonly LogEntryView[],
): void {
  const first = log.snapshotIndex + 1;
  const last = log.snapshotIndex + log.entries.length;
  for (const entry of committed) {
    if (entry.term >= leaderTerm) continue;
    if (entry.index > last) {
      throw new CheckerError(
        "leader completeness",
        `node ${log.nodeId} leads term ${leaderTerm} but its log ends at ${last}, without committed index ` +
          `${entry.index} (term ${entry.term})`,
      );
    }
    if (entry.index < first) continue;
    const held = log.entries[entry.index - first]!;
    if (held.term !== entry.term || held.digest !== entry.digest) {
      throw new CheckerError(
        "leader completeness",
        `node ${log.nodeId} leads term ${leaderTerm} with term ${held.term} (${held.digest}) at index ` +
          `${entry.index}, where term ${entry.term} (${entry.digest}) was committed`,
      );
    }
  }
}
