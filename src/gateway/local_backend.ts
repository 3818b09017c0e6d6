/**
 * {@link LocalBackend}: a {@link GatewayBackend} over one in-process {@link KvStore}, applying every write at
 * the next index as a single-member cluster would, with wall-clock lease expiry. It serves a store through
 * the HTTP gateway without an engine (tests, single-process tools).
 *
 * @module
 */

import type { Command, CommandResponse } from "../kv/commands.ts";
import { LocalWatchStream } from "../kv/local_client.ts";
import type { KvStore } from "../kv/store.ts";
import type { LeaseTimeToLiveResponse, RangeRequest, RangeResponse } from "../kv/types.ts";
import type { WatchOptions } from "../kv/watch.ts";
import { assert } from "../util/assert.ts";
import type {
  GatewayAlarm,
  GatewayBackend,
  GatewayMember,
  GatewayNodeInfo,
  WriteIdentityHeader,
} from "./backend.ts";
import { GatewayError, Grpc } from "./etcd_errors.ts";
import { NoSpaceAlarm } from "./maintenance.ts";

/** Leases revoked per expiry pass (the rest wait for the next pass). */
export const EXPIRED_LEASES_PER_PASS_MAX = 1_000;

/** Options of {@link LocalBackend}. */
export interface LocalBackendOptions {
  /** The member's name (default "default"). */
  name?: string;
  /** The member id reported in headers (default 1). */
  memberId?: bigint;
  /** The cluster id reported in headers (default 1). */
  clusterId?: bigint;
  /** How often expired leases are revoked (default 500 ms). */
  expiryIntervalMs?: number;
  /** The monotonic clock in milliseconds (default `performance.now`). */
  nowMs?: () => number;
  /** Where clients reach this member (reported by the member list). */
  clientUrls?: string[];
  /** Where peers would reach this member (reported by the member list; `member/update` changes them). */
  peerUrls?: string[];
  /** The version the status route reports: the etcd API level served (default "3.4.23"). */
  version?: string;
}

/**
 * The single-store backend. Call {@link LocalBackend.close} to stop its expiry timer.
 *
 * @example
 * ```ts
 * import { KvStore } from "../kv/mod.ts";
 * import { LocalBackend } from "./local_backend.ts";
 * const backend = new LocalBackend(new KvStore());
 * console.log(backend.info().revision); // 1
 * backend.close();
 * ```
 */
export class LocalBackend implements GatewayBackend {
  readonly store: KvStore;
  readonly #nowMs: () => number;
  readonly #memberId: bigint;
  readonly #clusterId: bigint;
  readonly #name: string;
  readonly #clientUrls: string[];
  readonly #noSpace: NoSpaceAlarm;
  #peerUrls: string[];
  readonly #version: string;
  readonly #timer: ReturnType<typeof setInterval>;
  #index: number;

  /**
   * @param store The store to serve (it becomes this backend's: nothing else may apply to it).
   * @param options See {@link LocalBackendOptions}.
   */
  constructor(store: KvStore, options: LocalBackendOptions = {}) {
    this.store = store;
    this.#nowMs = options.nowMs ?? (() => performance.now());
    this.#memberId = options.memberId ?? 1n;
    this.#clusterId = options.clusterId ?? 1n;
    this.#name = options.name ?? "default";
    this.#clientUrls = options.clientUrls ?? [];
    this.#peerUrls = options.peerUrls ?? [];
    this.#noSpace = new NoSpaceAlarm(this.#memberId);
    this.#version = options.version ?? "3.4.23";
    this.#index = store.appliedIndex;
    store.promoteLeaseClock(1, this.#nowMs());
    const intervalMs = options.expiryIntervalMs ?? 500;
    assert(intervalMs > 0, "expiryIntervalMs must be positive");
    this.#timer = setInterval(() => this.revokeExpiredLeases(), intervalMs);
  }

  /** @inheritdoc */
  write(command: Command, identity?: WriteIdentityHeader): Promise<CommandResponse> {
    try {
      return Promise.resolve(this.#apply(command, identity));
    } catch (error) {
      return Promise.reject(this.#noSpace.note(error));
    }
  }

  #apply(command: Command, identity?: WriteIdentityHeader): CommandResponse {
    const clock = { term: 1, nowMs: this.#nowMs() };
    const stamped: Command = command.type === "leaseGrant" || command.type === "leaseKeepAlive"
      ? { ...command, clock }
      : command;
    const result = this.store.applyCommand(++this.#index, {
      command: stamped,
      clientId: identity?.clientId ?? 0,
      sequence: identity?.sequence ?? 0,
    });
    if (!result.ok) throw result.error;
    return result.response;
  }

  /** @inheritdoc */
  range(request: RangeRequest): Promise<RangeResponse> {
    try {
      return Promise.resolve(this.store.range(request));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** @inheritdoc */
  watch(options: WatchOptions): LocalWatchStream {
    return new LocalWatchStream(this.store.watch(options));
  }

  /** @inheritdoc */
  leaseTimeToLive(id: number, keys: boolean): Promise<LeaseTimeToLiveResponse> {
    return Promise.resolve(this.store.leaseTimeToLive(id, { keys, nowMs: this.#nowMs() }));
  }

  /** @inheritdoc */
  leaseIds(): Promise<number[]> {
    return Promise.resolve(this.store.leaseIds());
  }

  /** @inheritdoc */
  info(): GatewayNodeInfo {
    const status = this.store.status();
    return {
      clusterId: this.#clusterId,
      memberId: this.#memberId,
      raftTerm: 1,
      leaderId: this.#memberId,
      raftIndex: status.appliedIndex,
      raftAppliedIndex: status.appliedIndex,
      revision: status.revision,
      dbSizeBytes: status.sizeBytes,
      dbSizeInUseBytes: status.sizeBytes,
      isLearner: false,
      version: this.#version,
    };
  }

  /** @inheritdoc */
  members(): GatewayMember[] {
    return [{
      id: this.#memberId,
      name: this.#name,
      peerUrls: this.#peerUrls,
      clientUrls: this.#clientUrls,
      isLearner: false,
    }];
  }

  /** @inheritdoc */
  snapshotBytes(): Uint8Array {
    return this.store.snapshot();
  }

  /** @inheritdoc */
  alarms(): GatewayAlarm[] {
    return this.#noSpace.list();
  }

  /** @inheritdoc */
  disarm(alarm: GatewayAlarm): Promise<GatewayAlarm | null> {
    return Promise.resolve(this.#noSpace.disarm(alarm));
  }

  /** A single store has no peers to add. @throws {GatewayError} Unimplemented. */
  addMember(): Promise<GatewayMember> {
    return Promise.reject(this.#single("add a member"));
  }

  /** A single store cannot lose its only member. @throws {GatewayError} Unimplemented. */
  removeMember(): Promise<void> {
    return Promise.reject(this.#single("remove its only member"));
  }

  /** The only member is a voter already (the route refuses before calling). @throws {GatewayError} */
  promoteMember(): Promise<void> {
    return Promise.reject(this.#single("promote a member"));
  }

  /** @inheritdoc */
  updateMember(id: bigint, peerUrls: string[]): Promise<void> {
    assert(id === this.#memberId, `member ${id} is not this store's member ${this.#memberId}`);
    this.#peerUrls = [...peerUrls];
    return Promise.resolve();
  }

  /** The only voter leads already, so the route answers without calling. @throws {GatewayError} */
  transferLeadership(targetId: bigint): Promise<void> {
    return Promise.reject(this.#single(`transfer leadership to member ${targetId}`));
  }

  #single(action: string): GatewayError {
    return new GatewayError(Grpc.Unimplemented, `etcdserver: a single-store gateway cannot ${action}`);
  }

  /**
   * Revokes the leases whose TTL has run out (the timer calls it; tests may too).
   *
   * @returns The revoked ids.
   */
  revokeExpiredLeases(): number[] {
    const expired = this.store.expiredLeases(this.#nowMs(), EXPIRED_LEASES_PER_PASS_MAX);
    for (const id of expired) this.#apply({ type: "leaseRevoke", id });
    return expired;
  }

  /** Stops the expiry timer. */
  close(): void {
    clearInterval(this.#timer);
  }
}
