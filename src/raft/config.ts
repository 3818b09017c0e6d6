/**
 * The configuration of a {@link ../raw_node.ts RawNode} and its validation: every limit is named and checked
 * when the node is built.
 *
 * @module
 */

import type { RandomSource } from "../util/random.ts";
import type { RaftStorage } from "./storage.ts";
import type { NodeId } from "./types.ts";

/** Upper bound for tick-valued settings, so tick arithmetic stays exact and timeouts stay sane. */
export const TICKS_MAX = 1_000_000;
/** Upper bound of maxInflightAppends (each follower holds a ring of this many numbers). */
export const INFLIGHT_APPENDS_MAX = 65_536;
/** Upper bound of maxEntriesPerAppend. */
export const ENTRIES_PER_APPEND_MAX = 1_000_000;
/** Upper bound of maxPendingReadIndex. */
export const PENDING_READ_INDEX_MAX = 1_000_000;
/** Upper bound of the byte limits (1 GiB). */
export const BYTES_LIMIT_MAX = 1024 * 1024 * 1024;

/** Everything a RawNode needs; all fields required so nothing is silently defaulted. */
export interface RaftConfig {
  /** This node's id, a positive safe integer. */
  id: NodeId;
  /** The read side of this node's log storage. */
  storage: RaftStorage;
  /** Source of the randomized election timeouts. */
  random: RandomSource;
  /** Minimum election timeout; each node draws its timeout in [min, 2 * min) from `random`. */
  electionTimeoutTicks: number;
  /** Leader heartbeat period; must be < electionTimeoutTicks. */
  heartbeatIntervalTicks: number;
  /** Index the state machine has applied (on restart: at least the snapshot index). */
  applied: number;
  /** Run a pre-election before bumping the term. */
  preVote: boolean;
  /** A leader steps down when it has not heard from a quorum within an election timeout. */
  checkQuorum: boolean;
  /** Most entries in one append message. */
  maxEntriesPerAppend: number;
  /** Most entry bytes in one append message (at least one entry is always sent). */
  maxBytesPerAppend: number;
  /** Most unacknowledged appends per follower in replicate state. */
  maxInflightAppends: number;
  /** Uncommitted proposal bytes beyond which proposals are refused. */
  maxUncommittedEntriesBytes: number;
  /** Lease reads: lease = electionTimeoutTicks - this margin, after a quorum acknowledged a heartbeat. */
  leaseClockDriftMarginTicks: number;
  /** Most read requests waiting for confirmation. */
  maxPendingReadIndex: number;
}

/**
 * Checks every field of a configuration.
 *
 * @param config The configuration.
 * @throws {RangeError} Naming the first invalid field and its value.
 * @example
 * ```ts
 * import { validateRaftConfig } from "./config.ts";
 * try {
 *   validateRaftConfig({ id: 0 } as never);
 * } catch (error) {
 *   console.log((error as Error).message);
 * }
 * ```
 */
export function validateRaftConfig(config: RaftConfig): void {
  integerIn("id", config.id, 1, Number.MAX_SAFE_INTEGER);
  integerIn("electionTimeoutTicks", config.electionTimeoutTicks, 2, TICKS_MAX);
  integerIn("heartbeatIntervalTicks", config.heartbeatIntervalTicks, 1, config.electionTimeoutTicks - 1);
  integerIn("applied", config.applied, 0, Number.MAX_SAFE_INTEGER);
  integerIn("maxEntriesPerAppend", config.maxEntriesPerAppend, 1, ENTRIES_PER_APPEND_MAX);
  integerIn("maxBytesPerAppend", config.maxBytesPerAppend, 1, BYTES_LIMIT_MAX);
  integerIn("maxInflightAppends", config.maxInflightAppends, 1, INFLIGHT_APPENDS_MAX);
  integerIn("maxUncommittedEntriesBytes", config.maxUncommittedEntriesBytes, 1, BYTES_LIMIT_MAX);
  integerIn(
    "leaseClockDriftMarginTicks",
    config.leaseClockDriftMarginTicks,
    0,
    config.electionTimeoutTicks - 1,
  );
  integerIn("maxPendingReadIndex", config.maxPendingReadIndex, 1, PENDING_READ_INDEX_MAX);
  if (typeof config.preVote !== "boolean") {
    throw new RangeError(`Invalid RaftConfig.preVote: ${config.preVote}`);
  }
  if (typeof config.checkQuorum !== "boolean") {
    throw new RangeError(`Invalid RaftConfig.checkQuorum: ${config.checkQuorum}`);
  }
  if (config.storage === null || typeof config.storage !== "object") {
    throw new RangeError("Invalid RaftConfig.storage: not an object");
  }
  if (config.random === null || typeof config.random !== "object") {
    throw new RangeError("Invalid RaftConfig.random: not an object");
  }
}

function integerIn(field: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`Invalid RaftConfig.${field}: ${value}, it must be an integer in [${min}, ${max}]`);
  }
}
