/**
 * State machine safety: every node applies the same entry at each index, in index order. The entries seen
 * applied are also the "committed" record the leader completeness checker uses.
 *
 * @module
 */

import { CheckerError, type LogEntryView } from "./checker_error.ts";

/**
 * Records the first entry applied at each index and compares every later apply against it.
 *
 * @example
 * ```ts
 * import { StateMachineSafetyChecker } from "./state_machine_safety.ts";
 * const checker = new StateMachineSafetyChecker();
 * checker.observeStart(1, 0);
 * checker.observeApply(1, { index: 1, term: 1, digest: "a" });
 * console.log(checker.committedCount); // 1
 * ```
 */
export class StateMachineSafetyChecker {
  #committed = new Map<number, LogEntryView & { nodeId: number }>();
  #appliedByNode = new Map<number, number>();

  /** @returns How many distinct indices were applied by some node. */
  get committedCount(): number {
    return this.#committed.size;
  }

  /**
   * A node (re)started with its state machine at `appliedIndex` (restored from its durable snapshot).
   *
   * @param nodeId The node.
   * @param appliedIndex Its applied index after the restore.
   */
  observeStart(nodeId: number, appliedIndex: number): void {
    this.#appliedByNode.set(nodeId, appliedIndex);
  }

  /**
   * A running node replaced its state machine with a snapshot at `index`.
   *
   * @param nodeId The node.
   * @param index The snapshot's index.
   * @throws {CheckerError} When the snapshot would move the state machine backwards.
   */
  observeSnapshotInstall(nodeId: number, index: number): void {
    const applied = this.#appliedByNode.get(nodeId) ?? 0;
    if (index < applied) {
      throw new CheckerError(
        "state machine safety",
        `node ${nodeId} installed a snapshot at index ${index} below its applied index ${applied}`,
      );
    }
    this.#appliedByNode.set(nodeId, index);
  }

  /**
   * A node applied `entry`.
   *
   * @param nodeId The node.
   * @param entry The entry.
   * @throws {CheckerError} When applied out of order or different from what another node applied there.
   */
  observeApply(nodeId: number, entry: LogEntryView): void {
    const applied = this.#appliedByNode.get(nodeId) ?? 0;
    if (entry.index !== applied + 1) {
      throw new CheckerError(
        "state machine safety",
        `node ${nodeId} applied index ${entry.index} right after index ${applied}`,
      );
    }
    this.#appliedByNode.set(nodeId, entry.index);
    const first = this.#committed.get(entry.index);
    if (first === undefined) {
      this.#committed.set(entry.index, { ...entry, nodeId });
    } else if (first.term !== entry.term || first.digest !== entry.digest) {
      throw new CheckerError(
        "state machine safety",
        `index ${entry.index}: node ${first.nodeId} applied term ${first.term} (${first.digest}) but node ` +
          `${nodeId} applied term ${entry.term} (${entry.digest})`,
      );
    }
  }

  /** @returns Every entry known committed (applied somewhere), by increasing index. */
  committedEntries(): LogEntryView[] {
    return [...this.#committed.values()].map(({ index, term, digest }) => ({ index, term, digest }))
      .sort((a, b) => a.index - b.index);
  }
}

/** A replica's state machine as the final check sees it. */
export interface ReplicaState {
  nodeId: number;
  appliedIndex: number;
  /** A digest of the whole state machine (its snapshot bytes). */
  digest: string;
}

/**
 * Replicas that applied the same prefix of the log hold the same state (catches a state machine that
 * diverges although the entries agree, e.g. a snapshot that does not match the log it replaces).
 *
 * @param replicas The running replicas, in a fixed order.
 * @throws {CheckerError} When two replicas at the same applied index differ.
 * @example
 * ```ts
 * import { checkReplicaStates } from "./state_machine_safety.ts";
 * checkReplicaStates([
 *   { nodeId: 1, appliedIndex: 5, digest: "a" },
 *   { nodeId: 2, appliedIndex: 5, digest: "a" },
 *   { nodeId: 3, appliedIndex: 4, digest: "b" },
 * ]);
 * ```
 */
export function checkReplicaStates(replicas: readonly ReplicaState[]): void {
  const firstAtIndex = new Map<number, ReplicaState>();
  for (const replica of replicas) {
    const first = firstAtIndex.get(replica.appliedIndex);
    if (first === undefined) firstAtIndex.set(replica.appliedIndex, replica);
    else if (first.digest !== replica.digest) {
      throw new CheckerError(
        "state machine safety",
        `nodes ${first.nodeId} and ${replica.nodeId} both applied up to index ${replica.appliedIndex} but hold ` +
          `different states (${first.digest} vs ${replica.digest})`,
      );
    }
  }
}
