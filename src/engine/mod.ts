/**
 * dengine's engine: start an embedded node (single-node with zero configuration, or a member of a
 * cluster), use its {@link KvClient}, watch its leader and membership, stop it.
 *
 * @example
 * ```ts
 * import { Engine } from "../../mod.ts";
 * const engine = await Engine.start({ storage: "memory" });
 * await engine.ready();
 * await engine.client.put("greeting", "hello");
 * console.log(new TextDecoder().decode((await engine.client.get("greeting"))!.value)); // "hello"
 * await engine.stop();
 * ```
 *
 * @module
 */

export { Engine, type EngineStatus } from "./engine.ts";
export { type EngineMetricsSnapshot, FSYNC_BUCKET_BOUNDS_SECONDS } from "./metrics.ts";
export { type EngineOptions, nodeIdOf, type PeerTlsOptions } from "./options.ts";
export {
  type EnginePorts,
  type EngineStorageKind,
  type EngineTransportKind,
  provideDefaultEnginePorts,
} from "./ports.ts";
export type { LeaderInfo, SnapshotTransferStats } from "./driver.ts";
export type { SnapshotSendStats } from "./snapshot_sender.ts";
export type { SnapshotReceiveStats } from "./snapshot_receiver.ts";
export { encodeMemberContext, type MemberStatus } from "./members.ts";
export { EngineOptionsError, EngineStoppedError, TimeoutError, TooManyRequestsError } from "./errors.ts";
export type * from "../client/types.ts";
export {
  CompactedError,
  ElectionNoLeaderError,
  ElectionNotLeaderError,
  FutureRevisionError,
  KvError,
  LeaseNotFoundError,
  QuotaExceededError,
  RequestTooLargeError,
  SessionExpiredError,
  ValidationError,
} from "../kv/errors.ts";
export { toText, utf8 } from "../kv/bytes.ts";
export { ConfChangeRejectedError, NotLeaderError } from "../raft/errors.ts";
