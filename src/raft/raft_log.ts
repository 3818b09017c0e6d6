/**
 * The log as the core sees it: the durable part read from {@link RaftStorage} plus an unstable tail (entries
 * and possibly a snapshot) that has been accepted but not yet acknowledged durable through advance().
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import type { RaftStorage } from "./storage.ts";
import { type Entry, entrySizeBytes, type Snapshot } from "./types.ts";

/** What one Ready handed out of the log, so advance() can mark exactly that durable. */
export interface LogHandout {
  snapshot: Snapshot | null;
  lastEntryIndex: number;
}

/**
 * The leader's and follower's log: stable entries in storage, the unstable tail here.
 *
 * @example
 * ```ts
 * import { RaftLog } from "./raft_log.ts";
 * import { MemoryStorage } from "./storage.ts";
 * const log = new RaftLog(new MemoryStorage(), 0, 0);
 * log.push({ term: 1, index: 1, type: 0, data: new Uint8Array() });
 * console.log(log.lastIndex(), log.hasNewEntries()); // 1 true
 * ```
 */
export class RaftLog {
  readonly storage: RaftStorage;
  // Invariant: unstableEntries[k].index === unstableOffset + k; every index < unstableOffset is in storage
  // (or covered by unstableSnapshot when it is set).
  unstableEntries: Entry[] = [];
  unstableOffset: number;
  unstableSnapshot: Snapshot | null = null;
  // Index of the last entry handed to a Ready (entries after it are new for the next Ready).
  handedOutIndex: number;
  snapshotHandedOut = false;
  // Invariant: applied <= applying <= committed <= lastIndex().
  committed: number;
  applying: number;
  applied: number;

  /**
   * @param storage The read side of storage.
   * @param committed The persisted commit index.
   * @param applied The index the state machine has applied.
   */
  constructor(storage: RaftStorage, committed: number, applied: number) {
    this.storage = storage;
    const lastIndex = storage.lastIndex();
    const snapshotIndex = storage.firstIndex() - 1;
    this.unstableOffset = lastIndex + 1;
    this.handedOutIndex = lastIndex;
    if (applied < snapshotIndex || applied > Math.max(committed, snapshotIndex)) {
      throw new RangeError(
        `Cannot start the node: applied ${applied} must be within [snapshot index ${snapshotIndex}, commit ${committed}]`,
      );
    }
    assert(committed <= lastIndex, () => `persisted commit ${committed} > last index ${lastIndex}`);
    this.committed = Math.max(committed, snapshotIndex);
    this.applying = applied;
    this.applied = applied;
  }

  /** @returns The first index with an entry (snapshot index + 1). */
  firstIndex(): number {
    if (this.unstableSnapshot !== null) return this.unstableSnapshot.metadata.index + 1;
    return this.storage.firstIndex();
  }

  /** @returns The index of the last entry. */
  lastIndex(): number {
    return this.unstableOffset + this.unstableEntries.length - 1;
  }

  /** @returns The term of the last entry. */
  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /** @returns The last index known durable (0 while an unstable snapshot is pending). */
  lastStableIndex(): number {
    return this.unstableSnapshot === null ? this.unstableOffset - 1 : 0;
  }

  /**
   * @param index Any index.
   * @returns Its term; 0 past the end; -1 when compacted below the first available term.
   */
  term(index: number): number {
    const offset = this.unstableOffset;
    if (index >= offset) {
      const entry = this.unstableEntries[index - offset];
      return entry === undefined ? 0 : entry.term;
    }
    if (this.unstableSnapshot !== null) {
      const metadata = this.unstableSnapshot.metadata;
      if (index === metadata.index) return metadata.term;
      return index < metadata.index ? -1 : 0;
    }
    if (index < this.storage.firstIndex() - 1) return -1;
    return this.storage.term(index);
  }

  /**
   * @param index An index.
   * @param term A term.
   * @returns Whether the log holds an entry at index with that term.
   */
  matchTerm(index: number, term: number): boolean {
    const found = this.term(index);
    return found >= 0 && found === term;
  }

  /**
   * Whether a candidate's log is at least as up to date as this one (last term first, then last index).
   *
   * @param lastTerm The candidate's last log term.
   * @param lastIndex The candidate's last log index.
   * @returns True when the candidate's log is not behind.
   */
  isUpToDate(lastTerm: number, lastIndex: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Entries [lo, hi) from storage and the unstable tail, at most maxSizeBytes (at least one entry).
   *
   * @param lo First index; must be >= firstIndex().
   * @param hi One past the last index; must be <= lastIndex() + 1.
   * @param maxSizeBytes Byte budget.
   * @param maxCount Entry count budget.
   * @returns The entries (a fresh array).
   */
  slice(lo: number, hi: number, maxSizeBytes: number, maxCount: number): Entry[] {
    assert(
      lo >= this.firstIndex(),
      () => `Cannot read entries from ${lo}: first index is ${this.firstIndex()}`,
    );
    assert(
      hi <= this.lastIndex() + 1,
      () => `Cannot read entries to ${hi}: last index is ${this.lastIndex()}`,
    );
    if (hi - lo > maxCount) hi = lo + maxCount;
    if (lo >= hi) return [];
    const offset = this.unstableOffset;
    let result: Entry[];
    if (lo < offset) {
      result = this.storage.entries(lo, Math.min(hi, offset), maxSizeBytes);
      if (hi <= offset || result.length < Math.min(hi, offset) - lo) return result;
    } else {
      result = [];
    }
    let sizeBytes = 0;
    for (const entry of result) sizeBytes += entrySizeBytes(entry);
    const start = Math.max(lo, offset) - offset;
    let end = start;
    const stop = hi - offset;
    const entries = this.unstableEntries;
    while (end < stop) {
      sizeBytes += entrySizeBytes(entries[end]!);
      if (sizeBytes > maxSizeBytes && (end > start || result.length > 0)) break;
      end++;
    }
    if (result.length === 0) return entries.slice(start, end);
    for (let i = start; i < end; i++) result.push(entries[i]!);
    return result;
  }

  /**
   * Appends entries[start..] after truncating any suffix they replace.
   *
   * @param entries The source array.
   * @param start The first element of `entries` to append.
   * @returns The index of the last entry kept before the new ones (the truncation point).
   */
  append(entries: readonly Entry[], start: number): number {
    const first = entries[start]!.index;
    const after = first - 1;
    assert(after >= this.committed, () => `Cannot truncate at ${first}: committed is ${this.committed}`);
    assert(after <= this.lastIndex(), () => `Cannot append at ${first}: last index is ${this.lastIndex()}`);
    const offset = this.unstableOffset;
    if (after < offset + this.unstableEntries.length - 1 || after < offset - 1) {
      if (after < offset - 1) {
        this.unstableOffset = first;
        this.unstableEntries = [];
      } else {
        this.unstableEntries.length = after + 1 - offset;
      }
      if (this.handedOutIndex > after) this.handedOutIndex = after;
    }
    const target = this.unstableEntries;
    for (let i = start; i < entries.length; i++) target.push(entries[i]!);
    return after;
  }

  /**
   * Appends one entry at the end (the leader's proposals).
   *
   * @param entry The entry; its index must be lastIndex() + 1.
   */
  push(entry: Entry): void {
    this.unstableEntries.push(entry);
  }

  /**
   * The first index among `entries[..]` whose term differs from ours or that is past our end; 0 if all match.
   *
   * @param entries Consecutive entries.
   * @returns The conflicting (or first new) index, or 0.
   */
  findConflict(entries: readonly Entry[]): number {
    const lastIndex = this.lastIndex();
    for (const entry of entries) {
      if (entry.index > lastIndex) return entry.index;
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * The largest index <= index whose term is <= term (used for fast backtracking).
   *
   * @param index Where to start looking.
   * @param term The term bound.
   * @returns The index found (the first index - 1 at the lowest).
   */
  findConflictByTerm(index: number, term: number): number {
    const floor = this.firstIndex() - 1;
    let at = Math.min(index, this.lastIndex());
    while (at > floor) {
      const found = this.term(at);
      if (found >= 0 && found <= term) return at;
      at--;
    }
    return floor;
  }

  /** @param index The new commit index, at most lastIndex(). */
  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), () => `Cannot commit ${index}: last index is ${this.lastIndex()}`);
    this.committed = index;
  }

  /**
   * Replaces the log with a snapshot (follower install).
   *
   * @param snapshot The newer snapshot.
   */
  restore(snapshot: Snapshot): void {
    const index = snapshot.metadata.index;
    assert(index > this.committed, () => `Cannot restore snapshot ${index}: committed is ${this.committed}`);
    this.unstableSnapshot = snapshot;
    this.snapshotHandedOut = false;
    this.unstableEntries = [];
    this.unstableOffset = index + 1;
    this.handedOutIndex = index;
    this.committed = index;
    this.applying = index;
  }

  /**
   * Records the founding configuration's index-0 snapshot for a member that started with empty storage.
   *
   * @param snapshot A snapshot at index 0.
   */
  adoptFoundingSnapshot(snapshot: Snapshot): void {
    assert(
      snapshot.metadata.index === 0,
      () => `founding snapshot at index ${snapshot.metadata.index}, not 0`,
    );
    assert(
      this.lastIndex() === 0,
      () => `Cannot adopt a founding configuration: last index is ${this.lastIndex()}`,
    );
    this.unstableSnapshot = snapshot;
    this.snapshotHandedOut = false;
  }

  /** @returns Whether there are unstable entries not yet handed to a Ready. */
  hasNewEntries(): boolean {
    return this.handedOutIndex < this.lastIndex();
  }

  /** @returns The unstable entries not yet handed out, marking them handed out. */
  takeNewEntries(): Entry[] {
    const lo = this.handedOutIndex + 1 - this.unstableOffset;
    const entries = lo === 0 ? this.unstableEntries.slice() : this.unstableEntries.slice(lo);
    this.handedOutIndex = this.lastIndex();
    return entries;
  }

  /**
   * Marks what a Ready handed out as durable.
   *
   * @param handout What that Ready contained.
   */
  acknowledgeDurable(handout: LogHandout): void {
    if (handout.snapshot !== null && this.unstableSnapshot === handout.snapshot) {
      this.unstableSnapshot = null;
      this.snapshotHandedOut = false;
    }
    // handedOutIndex only ever decreases between ready() and advance() (on truncation), so it bounds what
    // is unchanged since the Ready.
    const durable = Math.min(handout.lastEntryIndex, this.handedOutIndex);
    if (durable >= this.unstableOffset) {
      const count = durable + 1 - this.unstableOffset;
      this.unstableEntries = count === this.unstableEntries.length ? [] : this.unstableEntries.slice(count);
      this.unstableOffset = durable + 1;
    }
  }
}
