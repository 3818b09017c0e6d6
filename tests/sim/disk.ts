/**
 * A simulated disk per node: a write (snapshot, entries, hard state of one Ready) becomes durable only when
 * its simulated fsync completes; a crash loses whatever has not completed (optionally keeping a torn prefix
 * of the entries, as a real log file can).
 *
 * @module
 */

import { assert } from "../../src/util/assert.ts";
import { MemoryStorage } from "../../src/raft/storage.ts";
import type { ConfState, Entry, HardState, Snapshot } from "../../src/raft/types.ts";

/** What one Ready asks to persist, in write order: snapshot, then entries, then hard state. */
export interface DiskWrite {
  snapshot: Snapshot | null;
  entries: readonly Entry[];
  hardState: HardState | null;
}

/**
 * The durable contents of a node's disk plus at most one write in flight (the driver keeps one Ready
 * outstanding, so one write at a time).
 *
 * @example
 * ```ts
 * import { SimDisk } from "./disk.ts";
 * const disk = new SimDisk({ voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false });
 * disk.beginWrite({ snapshot: null, entries: [], hardState: { term: 1, vote: 1, commit: 0 } });
 * disk.crash(0); // the write was not yet durable: lost
 * console.log(disk.loadStorage().initialState().hardState.term); // 0
 * ```
 */
export class SimDisk {
  readonly #bootConfState: ConfState;
  #hardState: HardState = { term: 0, vote: 0, commit: 0 };
  #snapshot: Snapshot | null = null;
  #entries: Entry[] = [];
  #pending: DiskWrite | null = null;
  #writesCompleted = 0;

  /**
   * @param bootConfState The configuration a brand-new node starts with (joiners: empty).
   * @param bootSnapshot The founders' initial snapshot (null for a joiner). Founders start from a snapshot
   *   at index 1, not from a configuration at index 0: a joiner replays the log from the leader, and the
   *   founders' configuration must reach it, which only a snapshot (or config entries in the log) can do.
   */
  constructor(bootConfState: ConfState, bootSnapshot: Snapshot | null = null) {
    this.#bootConfState = bootConfState;
    if (bootSnapshot !== null) {
      this.#snapshot = bootSnapshot;
      this.#hardState = { term: bootSnapshot.metadata.term, vote: 0, commit: bootSnapshot.metadata.index };
    }
  }

  /** @returns How many writes became durable. */
  get writesCompleted(): number {
    return this.#writesCompleted;
  }

  /** @returns Whether a write is in flight. */
  get writing(): boolean {
    return this.#pending !== null;
  }

  /**
   * Starts a write; it is durable once {@link completeWrite} is called.
   *
   * @param write What to persist.
   * @throws {AssertionError} When another write is in flight.
   */
  beginWrite(write: DiskWrite): void {
    assert(this.#pending === null, "a disk write began while another was in flight");
    this.#pending = write;
  }

  /** Makes the in-flight write durable. */
  completeWrite(): void {
    const write = this.#pending;
    assert(write !== null, "a disk write completed but none was in flight");
    this.#pending = null;
    this.#writesCompleted++;
    if (write.snapshot !== null) this.#installSnapshot(write.snapshot);
    this.#appendEntries(write.entries);
    if (write.hardState !== null) this.#hardState = { ...write.hardState };
  }

  /**
   * Crashes: the in-flight write is lost, except the first `tornEntriesKept` of its entries when there is
   * no snapshot in it (a torn tail; the hard state record comes last and is never kept).
   *
   * @param tornEntriesKept How many leading entries of the lost write survive (clamped).
   */
  crash(tornEntriesKept: number): void {
    const write = this.#pending;
    this.#pending = null;
    if (write === null || write.snapshot !== null || tornEntriesKept <= 0) return;
    this.#appendEntries(write.entries.slice(0, tornEntriesKept));
  }

  /**
   * Records a snapshot the node made itself and drops the entries it covers up to `compactIndex`.
   *
   * @param snapshot The snapshot (already in the node's MemoryStorage).
   * @param compactIndex Last entry index to drop (<= the snapshot index).
   */
  saveLocalSnapshot(snapshot: Snapshot, compactIndex: number): void {
    assert(compactIndex <= snapshot.metadata.index, () => `compact ${compactIndex} past the snapshot`);
    this.#snapshot = snapshot;
    this.#entries = this.#entries.filter((entry) => entry.index > compactIndex);
  }

  /** @returns A fresh MemoryStorage holding exactly what is durable (what a restarted node loads). */
  loadStorage(): MemoryStorage {
    const snapshot = this.#snapshot;
    const storage = new MemoryStorage(snapshot === null ? this.#bootConfState : snapshot.metadata.confState);
    if (snapshot !== null && snapshot.metadata.index > 0) storage.applySnapshot(snapshot);
    const offset = storage.firstIndex();
    const entries = this.#entries.filter((entry) => entry.index >= offset);
    if (entries.length > 0) storage.append(entries);
    storage.setHardState({ ...this.#hardState });
    return storage;
  }

  /** @returns The durable snapshot's data, or empty bytes when there is none. */
  snapshotData(): Uint8Array {
    return this.#snapshot === null ? new Uint8Array(0) : this.#snapshot.data;
  }

  /** @returns The durable snapshot's index (0 without one). */
  snapshotIndex(): number {
    return this.#snapshot === null ? 0 : this.#snapshot.metadata.index;
  }

  #installSnapshot(snapshot: Snapshot): void {
    this.#snapshot = snapshot;
    this.#entries = [];
  }

  #appendEntries(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    const held = this.#entries;
    // Held entries are consecutive, so the conflicting suffix starts at a computable position.
    const base = held.length === 0 ? first : held[0]!.index;
    const keep = Math.max(0, Math.min(held.length, first - base));
    held.length = keep;
    const last = keep === 0 ? this.snapshotIndex() : held[keep - 1]!.index;
    assert(first <= last + 1, () => `disk append at ${first} leaves a hole after ${last}`);
    for (const entry of entries) held.push(entry);
  }
}
