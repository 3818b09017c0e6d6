/**
 * The Raft consensus core of dengine: a synchronous, deterministic {@link RawNode} in the etcd-raft shape,
 * the {@link MemoryStorage} it reads from in tests (and that durable adapters load into), the message and
 * log types, the domain errors and the ConfChange codec.
 *
 * @example
 * ```ts
 * import { MemoryStorage, RawNode, SeededRandom } from "./mod.ts";
 * const storage = new MemoryStorage({ voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false });
 * const node = new RawNode({
 *   id: 1, storage, random: new SeededRandom(1), electionTimeoutTicks: 10, heartbeatIntervalTicks: 1, applied: 0,
 *   preVote: true, checkQuorum: true, maxEntriesPerAppend: 64, maxBytesPerAppend: 1 << 20, maxInflightAppends: 256,
 *   maxUncommittedEntriesBytes: 1 << 24, leaseClockDriftMarginTicks: 2, maxPendingReadIndex: 1024,
 * });
 * node.campaign();
 * const ready = node.ready();
 * if (ready.hardState) storage.setHardState(ready.hardState);
 * storage.append(ready.entries);
 * node.advance();
 * console.log(node.status().role); // "leader"
 * ```
 *
 * @module
 */

export * from "./types.ts";
export * from "./errors.ts";
export { MemoryStorage, type RaftStorage } from "./storage.ts";
export {
  BYTES_LIMIT_MAX,
  ENTRIES_PER_APPEND_MAX,
  INFLIGHT_APPENDS_MAX,
  PENDING_READ_INDEX_MAX,
  type RaftConfig,
  TICKS_MAX,
  validateRaftConfig,
} from "./config.ts";
export {
  CAMPAIGN_TRANSFER_CONTEXT,
  COMMITTED_BYTES_PER_READY_MAX,
  COMMITTED_ENTRIES_PER_READY_MAX,
  type ProgressStatus,
  type RaftStatus,
  RawNode,
  type Ready,
} from "./raw_node.ts";
export type { ProgressState } from "./progress.ts";
export {
  CONF_CHANGE_CONTEXT_BYTES_MAX,
  CONF_CHANGES_PER_ENTRY_MAX,
  decodeConfChange,
  encodeConfChange,
} from "./conf_change_codec.ts";
export { applyConfChange } from "./conf_change.ts";
export { isJoint } from "./tracker.ts";
export { randomBelow, type RandomSource, SeededRandom } from "../util/random.ts";
export { AssertionError } from "../util/assert.ts";
