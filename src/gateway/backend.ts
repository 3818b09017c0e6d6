/**
 * What the HTTP gateway runs on: {@link GatewayBackend}, the store operations with etcd's raw request shapes
 * (commands, range requests, watch options) plus the node facts the `/v3` headers, status and member list
 * need. A backend is implemented over a single in-process store ({@link LocalBackend}) or over an engine.
 *
 * @module
 */

import type { EngineMetricsSnapshot } from "../engine/metrics.ts";
import type { Command, CommandResponse } from "../kv/commands.ts";
import type { ConcurrencyKv, WatchStream } from "../kv/concurrency.ts";
import type { LeaseTimeToLiveResponse, RangeRequest, RangeResponse, TxnResponse } from "../kv/types.ts";
import type { WatchOptions } from "../kv/watch.ts";

/** How fresh a read must be (see the client's `ReadConsistency`). */
/**
 * A remote client's dedup identity for one write (headers `x-dengine-client-id` and `x-dengine-sequence`):
 * a retry of the same write with the same identity is applied once.
 */
export interface WriteIdentityHeader {
  clientId: number;
  sequence: number;
}

export type GatewayConsistency = "linearizable" | "lease" | "serializable";

/** The node facts the gateway reports (etcd's response header, status and member fields). */
export interface GatewayNodeInfo {
  clusterId: bigint;
  memberId: bigint;
  raftTerm: number;
  /** 0 when no leader is known. */
  leaderId: bigint;
  raftIndex: number;
  raftAppliedIndex: number;
  /** The store's current revision. */
  revision: number;
  dbSizeBytes: number;
  dbSizeInUseBytes: number;
  isLearner: boolean;
  /** The version string the status route reports. */
  version: string;
}

/** One cluster member as the member list reports it. */
export interface GatewayMember {
  id: bigint;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

/** An alarm raised on a member (etcd's `AlarmMember`). */
export interface GatewayAlarm {
  memberId: bigint;
  alarm: "NOSPACE" | "CORRUPT";
}

/** A member to add: where its peers reach it, whether it starts as a learner, and its name. */
export interface GatewayMemberToAdd {
  peerUrls: string[];
  isLearner: boolean;
  /** The name the new node starts with (its id derives from it). */
  name: string;
}

/**
 * The operations the gateway needs from the node it serves. The optional ones back the maintenance and
 * cluster routes; a backend without one answers those routes with gRPC's Unimplemented, and a backend may
 * throw `GatewayError` (Unimplemented) for the cases it cannot serve. Member ids reaching the methods are
 * already checked against {@link GatewayBackend.members}.
 */
export interface GatewayBackend {
  /** Replicates a command; resolves with its answer once applied on this node. @throws KvError */
  write(command: Command, identity?: WriteIdentityHeader): Promise<CommandResponse>;
  /** Reads with the given consistency. @throws KvError */
  range(request: RangeRequest, consistency: GatewayConsistency): Promise<RangeResponse>;
  /** Opens a watch on this node's store (its first response is `created`). @throws KvError */
  watch(options: WatchOptions): WatchStream;
  /** A lease's remaining and granted TTL (`ttlSeconds` -1 when absent). */
  leaseTimeToLive(id: number, keys: boolean): Promise<LeaseTimeToLiveResponse>;
  /** Every lease id, ascending. */
  leaseIds(): Promise<number[]>;
  /** This node's facts, now. */
  info(): GatewayNodeInfo;
  /** The cluster's members. */
  members(): GatewayMember[];
  /** The engine's counters and fsync latency histogram for `/metrics` (absent on a backend without Raft). */
  engineMetrics?(): EngineMetricsSnapshot;
  /** The store's state as snapshot bytes (`/v3/maintenance/snapshot`, `/v3/maintenance/hash`). */
  snapshotBytes?(): Uint8Array;
  /** The raised alarms (`/v3/maintenance/alarm` GET). */
  alarms?(): GatewayAlarm[];
  /** Clears an alarm; resolves with it when it was raised, null when it was not. */
  disarm?(alarm: GatewayAlarm): Promise<GatewayAlarm | null>;
  /** Adds a member; resolves with it once the change is applied on this node. @throws GatewayError */
  addMember?(member: GatewayMemberToAdd): Promise<GatewayMember>;
  /** Removes a member; resolves once applied on this node. @throws GatewayError */
  removeMember?(id: bigint): Promise<void>;
  /** Makes a learner a voter; resolves once applied on this node. @throws GatewayError */
  promoteMember?(id: bigint): Promise<void>;
  /** Changes a member's peer URLs; resolves once applied on this node. @throws GatewayError */
  updateMember?(id: bigint, peerUrls: string[]): Promise<void>;
  /** Asks the cluster to hand leadership to a voter; resolves once asked. @throws GatewayError */
  transferLeadership?(targetId: bigint): Promise<void>;
}

/**
 * The concurrency recipes' view of a backend (linearizable reads, replicated transactions).
 *
 * @param backend The backend.
 * @returns The adapter.
 * @example
 * ```ts ignore
 * const kv = concurrencyKvOf(backend);
 * await kv.range({ key: new Uint8Array([97]) });
 * ```
 */
export function concurrencyKvOf(backend: GatewayBackend): ConcurrencyKv {
  return {
    range: (request) => backend.range(request, "linearizable"),
    txn: async (request) => {
      const response = await backend.write({ type: "txn", request });
      if (response.type !== "txn") throw new TypeError(`A txn was answered with ${response.type}`);
      return response.response as TxnResponse;
    },
    watch: (options) => backend.watch(options),
  };
}
