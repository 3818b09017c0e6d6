/**
 * The read side of Raft storage that the core uses, and {@link MemoryStorage}: the in-memory implementation
 * that tests use directly and that durable adapters load into on open. The core only reads; the driver
 * writes, following each Ready.
 *
 * @module
 */

import { assert, AssertionError } from "../util/assert.ts";
import { CompactedError, SnapshotOutOfDateError, UnavailableError } from "./errors.ts";
import {
  cloneConfState,
  type ConfState,
  EMPTY_BYTES,
  emptyConfState,
  type Entry,
  entrySizeBytes,
  EntryType,
  type HardState,
  type Snapshot,
} from "./types.ts";

/** What the core reads from storage: etcd-raft shaped and synchronous. */
export interface RaftStorage {
  /** The persisted hard state and the configuration as of the snapshot index (firstIndex() - 1). */
  initialState(): { hardState: HardState; confState: ConfState };
  /**
   * Entries [lo, hi), at most maxSizeBytes in total but always at least one when lo < hi.
   * Throws CompactedError if lo <= snapshot index, UnavailableError if hi > lastIndex() + 1.
   */
  entries(lo: number, hi: number, maxSizeBytes: number): Entry[];
  /** Term of index, valid for firstIndex() - 1 .. lastIndex(). Throws CompactedError / UnavailableError. */
  term(index: number): number;
  /** Snapshot index + 1. */
  firstIndex(): number;
  /** Index of the last entry (the snapshot index when there are none). */
  lastIndex(): number;
  /** The newest snapshot; may throw SnapshotTemporarilyUnavailableError. */
  snapshot(): Snapshot;
}

/**
 * An in-memory {@link RaftStorage} with the write side a driver uses. `entries[0]` is a dummy entry
 * standing for the snapshot's index and term, so term(firstIndex() - 1) is always answerable.
 *
 * @example
 * ```ts
 * import { MemoryStorage } from "./storage.ts";
 * import { EntryType } from "./types.ts";
 * const storage = new MemoryStorage({ voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false });
 * storage.append([{ term: 1, index: 1, type: EntryType.Normal, data: new Uint8Array() }]);
 * console.log(storage.lastIndex()); // 1
 * ```
 */
export class MemoryStorage implements RaftStorage {
  #hardState: HardState = { term: 0, vote: 0, commit: 0 };
  #snapshot: Snapshot;
  // Invariant: #entries[0] is the dummy at the snapshot index; #entries[k].index === #entries[0].index + k.
  #entries: Entry[];

  /**
   * @param confState The initial configuration (for a new cluster: its founding voters).
   */
  constructor(confState: ConfState = emptyConfState()) {
    this.#snapshot = {
      metadata: { index: 0, term: 0, confState: cloneConfState(confState) },
      data: EMPTY_BYTES,
    };
    this.#entries = [dummyEntry(0, 0)];
  }

  /** @returns The hard state and the configuration at the snapshot index. */
  initialState(): { hardState: HardState; confState: ConfState } {
    return {
      hardState: { ...this.#hardState },
      confState: cloneConfState(this.#snapshot.metadata.confState),
    };
  }

  /**
   * @param lo First index wanted.
   * @param hi One past the last index wanted.
   * @param maxSizeBytes Size budget; the first entry is returned even when it alone exceeds it.
   * @returns The entries.
   * @throws {CompactedError} When lo is at or below the snapshot index.
   * @throws {UnavailableError} When hi is past lastIndex() + 1.
   */
  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    const offset = this.#offset();
    if (lo <= offset) throw new CompactedError(lo, offset + 1);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    assert(lo <= hi, () => `Cannot read entries [${lo}, ${hi}): lo > hi`);
    let end = lo - offset;
    const stop = hi - offset;
    let sizeBytes = 0;
    while (end < stop) {
      sizeBytes += entrySizeBytes(this.#entries[end]!);
      if (sizeBytes > maxSizeBytes && end > lo - offset) break;
      end++;
    }
    return this.#entries.slice(lo - offset, end);
  }

  /**
   * @param index The index whose term is wanted.
   * @returns The term.
   * @throws {CompactedError} Below the snapshot index.
   * @throws {UnavailableError} Past the last index.
   */
  term(index: number): number {
    const offset = this.#offset();
    if (index < offset) throw new CompactedError(index, offset + 1);
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    return this.#entries[index - offset]!.term;
  }

  /** @returns The snapshot index + 1. */
  firstIndex(): number {
    return this.#offset() + 1;
  }

  /** @returns The last index held. */
  lastIndex(): number {
    return this.#offset() + this.#entries.length - 1;
  }

  /** @returns The newest snapshot (MemoryStorage always has one; its index is 0 before the first). */
  snapshot(): Snapshot {
    return this.#snapshot;
  }

  /**
   * Appends entries, first dropping any suffix they overwrite. Entries at or below the snapshot index are
   * skipped (already covered by it).
   *
   * @param entries Consecutive entries; entries[0].index must be <= lastIndex() + 1.
   * @throws {AssertionError} When the entries would leave a hole or are not consecutive.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const offset = this.#offset();
    const first = entries[0]!.index;
    assert(
      first <= this.lastIndex() + 1,
      () => `Cannot append at index ${first}: last index is ${this.lastIndex()}`,
    );
    let skip = 0;
    if (first <= offset) skip = offset + 1 - first;
    if (skip >= entries.length) return;
    const at = first + skip - offset;
    if (at < this.#entries.length) this.#entries.length = at;
    for (let i = skip; i < entries.length; i++) {
      const entry = entries[i]!;
      // A plain check rather than assert(): no message closure per entry on this hot loop.
      if (entry.index !== offset + this.#entries.length) {
        throw new AssertionError(
          `Cannot append entry ${entry.index}: expected ${offset + this.#entries.length}`,
        );
      }
      this.#entries.push(entry);
    }
  }

  /** @param hardState The hard state to keep (the driver persists it alongside). */
  setHardState(hardState: HardState): void {
    this.#hardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
  }

  /**
   * Replaces everything with the snapshot. An index-0 snapshot (the founding configuration that a member
   * started with empty storage learns from the leader) is accepted while the storage holds no entries.
   *
   * @param snapshot A snapshot newer than the one held.
   * @throws {SnapshotOutOfDateError} When it is not newer.
   */
  applySnapshot(snapshot: Snapshot): void {
    const current = this.#snapshot.metadata.index;
    const founding = snapshot.metadata.index === 0 && this.lastIndex() === 0;
    if (snapshot.metadata.index <= current && !founding) {
      throw new SnapshotOutOfDateError(snapshot.metadata.index, current);
    }
    this.#snapshot = snapshot;
    this.#entries = [dummyEntry(snapshot.metadata.index, snapshot.metadata.term)];
  }

  /**
   * Records a snapshot of the state machine at `index` (which the caller has applied); does not compact.
   *
   * @param index The applied index the data reflects.
   * @param confState The configuration at that index.
   * @param data The state machine bytes.
   * @returns The new snapshot.
   * @throws {SnapshotOutOfDateError} When index is not newer than the current snapshot.
   * @throws {UnavailableError} When index is past the last index.
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    const current = this.#snapshot.metadata.index;
    if (index <= current) throw new SnapshotOutOfDateError(index, current);
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    const term = this.term(index);
    this.#snapshot = { metadata: { index, term, confState: cloneConfState(confState) }, data };
    return this.#snapshot;
  }

  /**
   * Drops entries up to and including compactIndex (they must be covered by a snapshot the caller made).
   *
   * @param compactIndex Last index to drop; must be <= lastIndex().
   * @throws {CompactedError} When already compacted past it.
   * @throws {UnavailableError} When past the last index.
   */
  compact(compactIndex: number): void {
    const offset = this.#offset();
    if (compactIndex <= offset) throw new CompactedError(compactIndex, offset + 1);
    if (compactIndex > this.lastIndex()) throw new UnavailableError(compactIndex, this.lastIndex());
    const kept = this.#entries.slice(compactIndex - offset);
    const base = kept[0]!;
    kept[0] = dummyEntry(base.index, base.term);
    this.#entries = kept;
  }

  #offset(): number {
    return this.#entries[0]!.index;
  }
}

function dummyEntry(index: number, term: number): Entry {
  return { term, index, type: EntryType.Normal, data: EMPTY_BYTES };
}
