/**
 * The key-value state machine: `apply(index, commandBytes)` changes it deterministically (same log, same
 * state on every node); reads, watches and the leader's lease-clock duties are answered directly.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { decodeCommand } from "./command_codec.ts";
import type { ApplyResult, Command, CommandEnvelope, CommandResponse } from "./commands.ts";
import { DedupTable } from "./dedup.ts";
import { CompactedError, FutureRevisionError, KvError, ValidationError } from "./errors.ts";
import { LeaseTable } from "./leases.ts";
import {
  DEDUP_CLIENTS_MAX,
  DEDUP_ENTRY_TTL_INDEXES,
  LEASE_CHECKPOINTS_PER_COMMAND_MAX,
  LEASE_OVERHEAD_BYTES,
  QUOTA_BYTES_DEFAULT,
  WATCHERS_MAX,
} from "./limits.ts";
import { MvccStore } from "./mvcc.ts";
import { applyDeleteRange, applyPut, checkPut, checkQuota, putCostBytes, type WriteContext } from "./ops.ts";
import { rangeRead } from "./range.ts";
import { decodeSnapshot, encodeSnapshot, type SnapshotState } from "./snapshot_codec.ts";
import { checkTxnPath, finishTxnHeaders, planTxn, runTxnPath } from "./txn.ts";
import type {
  LeaseTimeToLiveResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from "./types.ts";
import { validateCount, validateDelete, validatePut, validateTxn } from "./validate.ts";
import { type Watcher, WatchHub, type WatchOptions } from "./watch.ts";

/** Store configuration. Every node of a cluster must use the same values (they decide apply results). */
export interface KvConfig {
  /** Maximum stored data; writes beyond it fail with QuotaExceededError. */
  quotaBytes: number;
  /** Minimum lease TTL (see `minimumLeaseTtlSeconds(electionTimeoutMs)`). */
  leaseTtlSecondsMin: number;
  /** Most watchers at once (local, not replicated). */
  watchersMax: number;
  /** Most clients the dedup table remembers. */
  dedupClientsMax: number;
  /** Applied indexes after which an idle client's dedup entry is dropped. */
  dedupEntryTtlIndexes: number;
}

/** The defaults of {@link KvConfig}. */
export const KV_CONFIG_DEFAULTS: Readonly<KvConfig> = {
  quotaBytes: QUOTA_BYTES_DEFAULT,
  leaseTtlSecondsMin: 2,
  watchersMax: WATCHERS_MAX,
  dedupClientsMax: DEDUP_CLIENTS_MAX,
  dedupEntryTtlIndexes: DEDUP_ENTRY_TTL_INDEXES,
};

/** A summary of the store (for status endpoints and tests). */
export interface KvStatus {
  appliedIndex: number;
  revision: number;
  compactRevision: number;
  /** Data size charged against the quota. */
  sizeBytes: number;
  quotaBytes: number;
  keys: number;
  leases: number;
  watchers: number;
  dedupClients: number;
}

/**
 * The key-value store.
 *
 * @example
 * ```ts
 * import { encodeCommand, KvStore, utf8 } from "./mod.ts";
 * const store = new KvStore();
 * store.apply(1, encodeCommand({ type: "put", request: { key: utf8("a"), value: utf8("1") } }));
 * console.log(store.range({ key: utf8("a") }).kvs.length); // 1
 * ```
 */
export class KvStore {
  readonly config: Readonly<KvConfig>;
  #mvcc: MvccStore;
  #leases: LeaseTable;
  #dedup: DedupTable<CommandResponse>;
  readonly #hub: WatchHub;
  #appliedIndex = 0;
  #context: WriteContext;

  /** @param config Overrides of {@link KV_CONFIG_DEFAULTS}. */
  constructor(config: Partial<KvConfig> = {}) {
    this.config = { ...KV_CONFIG_DEFAULTS, ...config };
    assert(this.config.quotaBytes > 0, "quotaBytes must be positive");
    this.#mvcc = new MvccStore();
    this.#leases = new LeaseTable(this.config.leaseTtlSecondsMin);
    this.#dedup = new DedupTable(this.config.dedupClientsMax, this.config.dedupEntryTtlIndexes);
    this.#hub = new WatchHub(this.#mvcc, this.config.watchersMax);
    this.#context = this.#makeContext();
  }

  #makeContext(): WriteContext {
    const mvcc = this.#mvcc;
    const leases = this.#leases;
    return {
      mvcc,
      leases,
      quotaBytes: this.config.quotaBytes,
      sizeBytes: () => mvcc.sizeBytes + leases.leases.size * LEASE_OVERHEAD_BYTES,
    };
  }

  /** @returns The last applied log index. */
  get appliedIndex(): number {
    return this.#appliedIndex;
  }

  /** @returns The current revision. */
  get revision(): number {
    return this.#mvcc.currentRevision;
  }

  /** @returns The compact revision (0 before any compaction). */
  get compactRevision(): number {
    return this.#mvcc.compactRevision;
  }

  /**
   * Applies one committed log entry.
   *
   * @param index The entry's log index (strictly above the last applied one; gaps are fine).
   * @param commandBytes The encoded command (see `encodeCommand`).
   * @returns The answer, or the domain error (then nothing changed but the applied index).
   * @throws {AssertionError} When an invariant breaks (a bug; the node must stop).
   */
  apply(index: number, commandBytes: Uint8Array): ApplyResult {
    let envelope: CommandEnvelope;
    try {
      envelope = decodeCommand(commandBytes);
    } catch (error) {
      if (!(error instanceof KvError)) throw error;
      this.#advance(index);
      return { ok: false, error };
    }
    return this.applyCommand(index, envelope);
  }

  /**
   * Applies a decoded command (what {@link apply} does after decoding). The store keeps the command's
   * key and value arrays: do not modify them afterwards.
   *
   * @param index The entry's log index.
   * @param envelope The command with its dedup identity (clientId 0: none).
   * @returns The answer or the domain error.
   */
  applyCommand(index: number, envelope: CommandEnvelope): ApplyResult {
    this.#advance(index);
    const { clientId, sequence, command } = envelope;
    try {
      if (clientId !== 0) {
        const seen = this.#dedup.check(clientId, sequence);
        if (seen.duplicate) return { ok: true, response: seen.response, duplicate: true };
      }
      const response = this.#execute(command);
      if (clientId !== 0) this.#dedup.record(clientId, sequence, index, response);
      return { ok: true, response, duplicate: false };
    } catch (error) {
      if (!(error instanceof KvError)) throw error;
      assert(!this.#mvcc.writing, "a domain error escaped an open write");
      return { ok: false, error };
    } finally {
      this.#dedup.expire(index);
    }
  }

  #advance(index: number): void {
    assert(Number.isSafeInteger(index), () => `apply index ${index} is not an integer`);
    assert(
      index > this.#appliedIndex,
      () => `apply index ${index} not above applied index ${this.#appliedIndex}`,
    );
    this.#appliedIndex = index;
  }

  #execute(command: Command): CommandResponse {
    switch (command.type) {
      case "put":
        return { type: "put", response: this.#put(command.request) };
      case "deleteRange": {
        validateDelete(command.request);
        const response = this.#write(() => applyDeleteRange(this.#context, command.request));
        response.header.revision = this.#mvcc.currentRevision;
        return { type: "deleteRange", response };
      }
      case "txn":
        return { type: "txn", response: this.#txn(command.request) };
      case "compact":
        this.#compact(command.revision);
        return { type: "compact", response: { header: { revision: this.#mvcc.currentRevision } } };
      case "leaseGrant": {
        this.#leases.checkGrant(command.id, command.ttlSeconds);
        checkQuota(this.#context, "grant a lease", LEASE_OVERHEAD_BYTES);
        const lease = this.#leases.grant(command.id, command.ttlSeconds, command.clock);
        return {
          type: "leaseGrant",
          response: { header: this.#header(), id: lease.id, ttlSeconds: lease.ttlSeconds },
        };
      }
      case "leaseRevoke":
        this.#revoke(command.id);
        return { type: "leaseRevoke", response: { header: this.#header() } };
      case "leaseKeepAlive": {
        const lease = this.#leases.keepAlive(command.id, command.clock);
        return {
          type: "leaseKeepAlive",
          response: { header: this.#header(), id: lease.id, ttlSeconds: lease.ttlSeconds },
        };
      }
      case "leaseCheckpoint": {
        let checkpointed = 0;
        for (const { id, remainingTtlMs } of command.checkpoints) {
          if (this.#leases.checkpoint(id, remainingTtlMs)) checkpointed++;
        }
        return { type: "leaseCheckpoint", response: { header: this.#header(), checkpointed } };
      }
    }
  }

  #header(): { revision: number } {
    return { revision: this.#mvcc.currentRevision };
  }

  #write<T>(body: () => T): T {
    this.#mvcc.beginWrite();
    let result: T;
    try {
      result = body();
    } finally {
      const record = this.#mvcc.endWrite();
      if (record !== null) this.#hub.noteRevision(record);
    }
    return result;
  }

  #put(request: PutRequest): PutResponse {
    validatePut(request);
    checkPut(this.#context, request);
    checkQuota(this.#context, `put key of ${request.key.length} bytes`, putCostBytes(request));
    return this.#write(() => applyPut(this.#context, request));
  }

  #txn(request: TxnRequest): TxnResponse {
    validateTxn(request);
    const path = planTxn(this.#mvcc, request);
    const costBytes = checkTxnPath(this.#context, path);
    checkQuota(this.#context, "run a transaction with puts", costBytes);
    const response = this.#write(() => runTxnPath(this.#context, path));
    finishTxnHeaders(response, this.#mvcc.currentRevision);
    return response;
  }

  #compact(revision: number): void {
    validateCount("revision", revision);
    if (revision <= this.#mvcc.compactRevision) {
      throw new CompactedError(revision, this.#mvcc.compactRevision);
    }
    if (revision > this.#mvcc.currentRevision) {
      throw new FutureRevisionError(revision, this.#mvcc.currentRevision);
    }
    this.#mvcc.compact(revision);
    this.#hub.wakeAll();
  }

  #revoke(id: number): void {
    const lease = this.#leases.require("revoke", id);
    const keys = this.#leases.sortedKeys(lease);
    if (keys.length > 0) {
      this.#write(() => {
        for (const key of keys) applyDeleteRange(this.#context, { key });
      });
    }
    assert(lease.keys.size === 0, () => `lease ${id} still has keys after its revoke`);
    this.#leases.remove(id);
  }

  /**
   * Reads a key or range, at the current or a past revision.
   *
   * @param request The read.
   * @returns The answer.
   * @throws {ValidationError} For a bad request.
   * @throws {CompactedError} Below the compaction.
   * @throws {FutureRevisionError} Above the current revision.
   */
  range(request: RangeRequest): RangeResponse {
    return rangeRead(this.#mvcc, request);
  }

  /**
   * Opens a watcher.
   *
   * @param options What to watch.
   * @returns The watcher (poll it; its first response is `created`).
   * @throws {TooManyWatchersError} At `watchersMax`.
   */
  watch(options: WatchOptions): Watcher {
    return this.#hub.watch(options);
  }

  /** Queues a progress notification for every watcher created with `progressNotify` (call periodically). */
  notifyProgress(): void {
    this.#hub.notifyProgress();
  }

  /**
   * A lease's remaining and granted TTL and, if asked, its keys.
   *
   * @param id The lease.
   * @param options `keys`: list attached keys; `nowMs`: the leader's time (remaining TTL is measured on
   *   the leader's clock when this node is promoted, else the replicated remaining TTL is answered).
   * @returns The answer; `ttlSeconds` -1 when the lease does not exist.
   */
  leaseTimeToLive(id: number, options: { keys?: boolean; nowMs?: number } = {}): LeaseTimeToLiveResponse {
    const lease = this.#leases.leases.get(id);
    if (lease === undefined) {
      return { header: this.#header(), id, ttlSeconds: -1, grantedTtlSeconds: 0, keys: [] };
    }
    const remainingMs = this.#leases.remainingMs(lease, options.nowMs ?? 0);
    return {
      header: this.#header(),
      id,
      ttlSeconds: Math.floor(remainingMs / 1000),
      grantedTtlSeconds: lease.ttlSeconds,
      keys: options.keys === true ? this.#leases.sortedKeys(lease) : [],
    };
  }

  /**
   * Every lease id, ascending.
   *
   * @returns The ids.
   */
  leaseIds(): number[] {
    return [...this.#leases.leases.keys()].sort((a, b) => a - b);
  }

  /**
   * Makes this node's clock the lease clock: call when it becomes leader. Every lease then expires at
   * now + its replicated remaining TTL (so TTL survives the leader change instead of resetting).
   *
   * @param term The new term.
   * @param nowMs This node's monotonic time.
   */
  promoteLeaseClock(term: number, nowMs: number): void {
    this.#leases.promote(term, nowMs);
  }

  /** Call when this node stops being leader. */
  demoteLeaseClock(): void {
    this.#leases.demote();
  }

  /**
   * Leases whose TTL has run out on the leader's clock; the leader proposes a `leaseRevoke` for each.
   * Empty unless promoted.
   *
   * @param nowMs The leader's monotonic time.
   * @param countMax Most ids returned (earliest expiry first).
   * @returns Lease ids.
   */
  expiredLeases(nowMs: number, countMax: number): number[] {
    if (!this.#leases.promoted) return [];
    this.#leases.observeTime(nowMs);
    const expired = [...this.#leases.leases.values()].filter((lease) => lease.expiresAtMs <= nowMs);
    expired.sort((a, b) => a.expiresAtMs - b.expiresAtMs || a.id - b.id);
    return expired.slice(0, countMax).map((lease) => lease.id);
  }

  /**
   * Whether a lease has run out on the leader's clock (the leader refuses keepalives for it).
   *
   * @param id The lease.
   * @param nowMs The leader's time.
   * @returns True when expired (false when unknown or not promoted).
   */
  leaseExpired(id: number, nowMs: number): boolean {
    const lease = this.#leases.leases.get(id);
    return lease !== undefined && this.#leases.promoted && lease.expiresAtMs <= nowMs;
  }

  /**
   * Checkpoint commands recording every lease's remaining TTL on the leader's clock (call periodically on
   * the leader and propose them). Empty unless promoted.
   *
   * @param nowMs The leader's time.
   * @returns Commands of at most {@link LEASE_CHECKPOINTS_PER_COMMAND_MAX} leases each.
   */
  leaseCheckpointCommands(nowMs: number): Command[] {
    if (!this.#leases.promoted) return [];
    this.#leases.observeTime(nowMs);
    const ids = this.leaseIds();
    const commands: Command[] = [];
    for (let start = 0; start < ids.length; start += LEASE_CHECKPOINTS_PER_COMMAND_MAX) {
      const checkpoints = ids.slice(start, start + LEASE_CHECKPOINTS_PER_COMMAND_MAX).map((id) => ({
        id,
        remainingTtlMs: Math.ceil(this.#leases.remainingMs(this.#leases.leases.get(id)!, nowMs)),
      }));
      commands.push({ type: "leaseCheckpoint", checkpoints });
    }
    return commands;
  }

  /** @returns A summary of the store. */
  status(): KvStatus {
    return {
      appliedIndex: this.#appliedIndex,
      revision: this.#mvcc.currentRevision,
      compactRevision: this.#mvcc.compactRevision,
      sizeBytes: this.#context.sizeBytes(),
      quotaBytes: this.config.quotaBytes,
      keys: this.#mvcc.index.size,
      leases: this.#leases.leases.size,
      watchers: this.#hub.size,
      dedupClients: this.#dedup.size,
    };
  }

  /**
   * Encodes the whole replicated state. Deterministic: equal states give equal bytes.
   *
   * @returns The snapshot.
   */
  snapshot(): Uint8Array {
    return encodeSnapshot(this.#snapshotState());
  }

  #snapshotState(): SnapshotState {
    const mvcc = this.#mvcc;
    const base = [];
    for (const history of mvcc.index.all()) {
      const first = history.entries[0];
      if (first !== undefined && first.modRevision < mvcc.compactRevision) base.push(first);
    }
    return {
      appliedIndex: this.#appliedIndex,
      currentRevision: mvcc.currentRevision,
      compactRevision: mvcc.compactRevision,
      leaseIdNext: this.#leases.idNext,
      base,
      records: mvcc.changelog,
      leases: this.leaseIds().map((id) => {
        const lease = this.#leases.leases.get(id)!;
        return { id, ttlSeconds: lease.ttlSeconds, remainingTtlMs: lease.remainingTtlMs };
      }),
      dedup: this.#dedup.entries(),
    };
  }

  /**
   * Replaces the whole replicated state with a snapshot's. Open watchers stay; those whose next revision
   * was compacted away are cancelled with the compact revision when polled. The lease clock is demoted.
   *
   * @param bytes A snapshot from {@link snapshot}.
   * @throws {CodecError} For a corrupt snapshot (the store is then unchanged).
   */
  restoreSnapshot(bytes: Uint8Array): void {
    const state = decodeSnapshot(bytes);
    const mvcc = this.#mvcc;
    const restored = new MvccStore();
    for (const kv of state.base) restored.restoreBase(kv);
    for (const record of state.records) restored.restoreRecord(record);
    restored.currentRevision = state.currentRevision;
    restored.compactRevision = state.compactRevision;
    const leases = new LeaseTable(this.config.leaseTtlSecondsMin);
    leases.idNext = state.leaseIdNext;
    for (const lease of state.leases) {
      leases.leases.set(lease.id, { ...lease, expiresAtMs: lease.remainingTtlMs, keys: new Map() });
    }
    for (const history of restored.index.all()) {
      const last = history.entries[history.entries.length - 1]!;
      if (last.version !== 0 && last.lease !== 0) {
        if (!leases.leases.has(last.lease)) {
          throw new ValidationError("snapshot", `Snapshot key attached to missing lease ${last.lease}`);
        }
        leases.moveKey(last.key, 0, last.lease);
      }
    }
    const dedup = new DedupTable<CommandResponse>(
      this.config.dedupClientsMax,
      this.config.dedupEntryTtlIndexes,
    );
    for (const entry of state.dedup) dedup.restore(entry);
    // Swap in place: the hub keeps pointing at the same MvccStore object.
    mvcc.replaceWith(restored);
    this.#leases = leases;
    this.#dedup = dedup;
    this.#appliedIndex = state.appliedIndex;
    this.#context = this.#makeContext();
    this.#hub.restored();
  }
}
