/**
 * The domain errors of the Raft core: conditions a caller catches and acts on (retry elsewhere, install a
 * snapshot, give up). Everything else is an {@link ../util/assert.ts AssertionError} or a built-in error.
 *
 * @module
 */

import type { NodeId } from "./types.ts";

/**
 * Thrown when a leader-only operation is called on a node that is not the leader.
 *
 * @example
 * ```ts
 * import { NotLeaderError } from "./errors.ts";
 * const error = new NotLeaderError("propose", 3);
 * console.log(error.leaderHint); // 3
 * ```
 */
export class NotLeaderError extends Error {
  /** The leader this node knows of, or 0 (NONE) when it knows none. */
  readonly leaderHint: NodeId;

  /**
   * @param action What was attempted, e.g. "propose".
   * @param leaderHint The known leader or 0.
   */
  constructor(action: string, leaderHint: NodeId) {
    super(
      `Cannot ${action}: this node is not the leader (leader hint: ${
        leaderHint === 0 ? "none" : leaderHint
      })`,
    );
    this.name = "NotLeaderError";
    this.leaderHint = leaderHint;
  }
}

/**
 * Thrown when a proposal or read is refused by the leader (transfer in progress, limits reached, removed).
 *
 * @example
 * ```ts
 * import { ProposalDroppedError } from "./errors.ts";
 * const error = new ProposalDroppedError("leadership transfer to 2 in progress");
 * console.log(error.reason);
 * ```
 */
export class ProposalDroppedError extends Error {
  /** Why it was dropped, for logs and clients. */
  readonly reason: string;

  /** @param reason Why the proposal was refused. */
  constructor(reason: string) {
    super(`Cannot propose: ${reason}`);
    this.name = "ProposalDroppedError";
    this.reason = reason;
  }
}

/**
 * Thrown by storage when an index at or below the snapshot index is requested.
 *
 * @example
 * ```ts
 * import { CompactedError } from "./errors.ts";
 * console.log(new CompactedError(4, 10).message);
 * ```
 */
export class CompactedError extends Error {
  /** The index asked for. */
  readonly index: number;
  /** The first index still available. */
  readonly firstIndex: number;

  /**
   * @param index The requested index.
   * @param firstIndex The first index the storage still holds.
   */
  constructor(index: number, firstIndex: number) {
    super(`Cannot read log index ${index}: compacted, the first available index is ${firstIndex}`);
    this.name = "CompactedError";
    this.index = index;
    this.firstIndex = firstIndex;
  }
}

/**
 * Thrown by storage when an index past the last one is requested.
 *
 * @example
 * ```ts
 * import { UnavailableError } from "./errors.ts";
 * console.log(new UnavailableError(12, 10).message);
 * ```
 */
export class UnavailableError extends Error {
  /** The index asked for. */
  readonly index: number;
  /** The last index the storage holds. */
  readonly lastIndex: number;

  /**
   * @param index The requested index.
   * @param lastIndex The last index available.
   */
  constructor(index: number, lastIndex: number) {
    super(`Cannot read log index ${index}: unavailable, the last index is ${lastIndex}`);
    this.name = "UnavailableError";
    this.index = index;
    this.lastIndex = lastIndex;
  }
}

/**
 * Thrown when a snapshot older than (or as old as) the one already held is applied.
 *
 * @example
 * ```ts
 * import { SnapshotOutOfDateError } from "./errors.ts";
 * console.log(new SnapshotOutOfDateError(5, 9).message);
 * ```
 */
export class SnapshotOutOfDateError extends Error {
  /** Index of the rejected snapshot. */
  readonly index: number;
  /** Index of the snapshot already held. */
  readonly currentIndex: number;

  /**
   * @param index The index of the snapshot that was offered.
   * @param currentIndex The index of the snapshot already held.
   */
  constructor(index: number, currentIndex: number) {
    super(
      `Cannot apply snapshot at index ${index}: the storage already holds a snapshot at index ${currentIndex}`,
    );
    this.name = "SnapshotOutOfDateError";
    this.index = index;
    this.currentIndex = currentIndex;
  }
}

/**
 * Thrown by storage when no snapshot can be produced right now; the leader retries later.
 *
 * @example
 * ```ts
 * import { SnapshotTemporarilyUnavailableError } from "./errors.ts";
 * console.log(new SnapshotTemporarilyUnavailableError().name);
 * ```
 */
export class SnapshotTemporarilyUnavailableError extends Error {
  constructor() {
    super("Cannot read the snapshot: it is temporarily unavailable");
    this.name = "SnapshotTemporarilyUnavailableError";
  }
}

/**
 * Thrown when a membership change is refused (another change pending, invalid change, no current-term commit).
 *
 * @example
 * ```ts
 * import { ConfChangeRejectedError } from "./errors.ts";
 * console.log(new ConfChangeRejectedError("a change at index 7 is still pending").message);
 * ```
 */
export class ConfChangeRejectedError extends Error {
  /** Why the change was refused. */
  readonly reason: string;

  /** @param reason Why the change was refused. */
  constructor(reason: string) {
    super(`Cannot change the membership: ${reason}`);
    this.name = "ConfChangeRejectedError";
    this.reason = reason;
  }
}
