/**
 * The snapshot policy: once `snapshotEntries` entries were applied since the last snapshot, encode the
 * store, hand the snapshot to the core's storage (so lagging followers can be sent it), save it durably,
 * then compact the log behind it, keeping `keepEntries` entries for followers slightly behind. Every save
 * (own or received from the leader) goes through one chain, so saves reach the disk in index order.
 *
 * @module
 */

import type { KvStore } from "../kv/store.ts";
import type { LogStorage, SnapshotStorage } from "../ports/storage.ts";
import type { MemoryStorage } from "../raft/storage.ts";
import type { ConfState, Snapshot } from "../raft/types.ts";
import type { MemberRegistry } from "./members.ts";
import { encodeEngineSnapshot } from "./snapshot_codec.ts";

/** What the policy works with. */
export interface SnapshotPolicyParts {
  storage: MemoryStorage;
  log: LogStorage;
  snapshots: SnapshotStorage;
  store: KvStore;
  members: MemberRegistry;
  snapshotEntries: number;
  keepEntries: number;
  /** The index of the newest durable snapshot (0: none). */
  snapshotIndex: number;
  /** Called when a save or compaction fails (the node must stop). */
  onError(error: unknown): void;
}

/**
 * The policy for one node.
 *
 * @example
 * ```ts ignore
 * const policy = new SnapshotPolicy(parts);
 * policy.maybeSnapshot(applied, confState); // after each apply
 * ```
 */
export class SnapshotPolicy {
  readonly #parts: SnapshotPolicyParts;
  #chain: Promise<void> = Promise.resolve();
  #inFlight = false;
  #snapshotIndex: number;
  #savedIndex: number;

  /** @param parts The storages and limits. */
  constructor(parts: SnapshotPolicyParts) {
    this.#parts = parts;
    this.#snapshotIndex = parts.snapshotIndex;
    this.#savedIndex = parts.snapshotIndex;
  }

  /**
   * Takes a snapshot when enough entries were applied since the last one (at most one in flight).
   *
   * @param applied The applied index (the store reflects exactly it).
   * @param confState The configuration at `applied`.
   */
  maybeSnapshot(applied: number, confState: ConfState): void {
    const parts = this.#parts;
    if (this.#inFlight || applied - this.#snapshotIndex < parts.snapshotEntries) return;
    if (applied <= parts.storage.snapshot().metadata.index) return;
    const data = encodeEngineSnapshot({ members: parts.members.all(), store: parts.store.snapshot() });
    const snapshot = parts.storage.createSnapshot(applied, confState, data);
    this.#snapshotIndex = applied;
    this.#inFlight = true;
    void this.#enqueue(async () => {
      try {
        await this.#save(snapshot);
        const compactIndex = applied - parts.keepEntries;
        const storage = parts.storage;
        if (compactIndex >= storage.firstIndex() && compactIndex <= storage.lastIndex()) {
          storage.compact(compactIndex);
        }
        if (compactIndex >= parts.log.firstIndex() && compactIndex <= parts.log.lastIndex()) {
          await parts.log.compact(compactIndex);
        }
      } finally {
        this.#inFlight = false;
      }
    }).catch(() => {});
  }

  /**
   * Saves a snapshot received from the leader, after any own save still in flight.
   *
   * @param snapshot The snapshot.
   * @returns Resolves once durable.
   */
  saveReceived(snapshot: Snapshot): Promise<void> {
    this.#snapshotIndex = Math.max(this.#snapshotIndex, snapshot.metadata.index);
    return this.#enqueue(() => this.#save(snapshot), true);
  }

  /** @returns Resolves once no save is in flight. */
  idle(): Promise<void> {
    return this.#chain;
  }

  /** @returns Resolves once the snapshot store is closed. */
  close(): Promise<void> {
    return this.#parts.snapshots.close();
  }

  async #save(snapshot: Snapshot): Promise<void> {
    // A received snapshot may overtake an own one still queued: the older one is then not needed.
    if (snapshot.metadata.index <= this.#savedIndex) return;
    await this.#parts.snapshots.save(snapshot);
    this.#savedIndex = snapshot.metadata.index;
  }

  #enqueue(work: () => Promise<void>, propagate = false): Promise<void> {
    const run = this.#chain.then(work);
    this.#chain = run.catch((error) => {
      if (!propagate) this.#parts.onError(error);
    });
    return run;
  }
}
