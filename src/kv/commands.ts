/**
 * The replicated command union the engine proposes and the store applies, and the answers.
 *
 * @module
 */

import type { KvError } from "./errors.ts";
import type {
  CompactResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  LeaderClock,
  LeaseCheckpointResponse,
  LeaseGrantResponse,
  LeaseKeepAliveResponse,
  LeaseRevokeResponse,
  PutRequest,
  PutResponse,
  TxnRequest,
  TxnResponse,
} from "./types.ts";

/** One lease's remaining TTL as measured by the leader. */
export interface LeaseCheckpoint {
  id: number;
  remainingTtlMs: number;
}

/** A command of the replicated log. */
export type Command =
  | { type: "put"; request: PutRequest }
  | { type: "deleteRange"; request: DeleteRangeRequest }
  | { type: "txn"; request: TxnRequest }
  /** Compact history below `revision` (reads at `revision` still succeed). */
  | { type: "compact"; revision: number }
  /** Grant a lease; `id` 0 lets the store pick the next free id. */
  | { type: "leaseGrant"; id: number; ttlSeconds: number; clock: LeaderClock }
  /** Revoke a lease (also how expiry is applied): its keys are deleted in one revision. */
  | { type: "leaseRevoke"; id: number }
  /** Restart a lease's TTL at the leader's time. */
  | { type: "leaseKeepAlive"; id: number; clock: LeaderClock }
  /** Record remaining TTLs so they survive a leader change. */
  | { type: "leaseCheckpoint"; checkpoints: LeaseCheckpoint[] };

/** A command with its dedup identity: `clientId` 0 means "no dedup". */
export interface CommandEnvelope {
  command: Command;
  clientId: number;
  sequence: number;
}

/** The answer to each command type. */
export type CommandResponse =
  | { type: "put"; response: PutResponse }
  | { type: "deleteRange"; response: DeleteRangeResponse }
  | { type: "txn"; response: TxnResponse }
  | { type: "compact"; response: CompactResponse }
  | { type: "leaseGrant"; response: LeaseGrantResponse }
  | { type: "leaseRevoke"; response: LeaseRevokeResponse }
  | { type: "leaseKeepAlive"; response: LeaseKeepAliveResponse }
  | { type: "leaseCheckpoint"; response: LeaseCheckpointResponse };

/**
 * What applying a command produced: an answer (`duplicate` when it is the remembered answer of an earlier
 * application of the same client request) or a domain error (nothing was changed).
 */
export type ApplyResult =
  | { ok: true; response: CommandResponse; duplicate: boolean }
  | { ok: false; error: KvError };
