/**
 * The multi-version key store: every key's history of revisions in a sorted index, the global revision,
 * the per-revision change log that feeds watches, and compaction. Knows nothing of leases or quotas.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { compareBytes, displayKey, EMPTY_BYTES } from "./bytes.ts";
import { CompactedError, FutureRevisionError } from "./errors.ts";
import { REVISION_OVERHEAD_BYTES } from "./limits.ts";
import { SortedIndex } from "./sorted_index.ts";
import type { KeyValue } from "./types.ts";

/** One key's revisions, oldest first. Tombstones (version 0) end a generation. */
export interface KeyHistory {
  readonly key: Uint8Array;
  readonly entries: KeyValue[];
}

/** One change inside a revision. */
export interface RevisionEvent {
  type: "put" | "delete";
  /** The key's new state (a tombstone for a delete). Read-only: shared with the store. */
  kv: KeyValue;
}

/** Every change of one revision, in the order applied. */
export interface RevisionRecord {
  revision: number;
  events: RevisionEvent[];
}

/** Bounds of a key range: `end` null means "to the last key". */
export interface KeyBounds {
  start: Uint8Array;
  end: Uint8Array | null;
}

/**
 * Turns etcd's (key, rangeEnd) pair into bounds: empty rangeEnd is the single key, `[0]` is "to the end".
 *
 * @param key The first key.
 * @param rangeEnd The range end as sent.
 * @returns The bounds, `end` exclusive.
 * @example
 * ```ts
 * import { keyBounds } from "./mvcc.ts";
 * const bounds = keyBounds(new Uint8Array([1]), undefined);
 * console.log(bounds.end?.length); // 2
 * ```
 */
export function keyBounds(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeyBounds {
  if (rangeEnd === undefined || rangeEnd.length === 0) {
    const end = new Uint8Array(key.length + 1);
    end.set(key);
    return { start: key, end };
  }
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start: key, end: null };
  return { start: key, end: rangeEnd };
}

/**
 * Whether a key lies within bounds.
 *
 * @param bounds The bounds.
 * @param key The key.
 * @returns True when start <= key < end.
 * @example
 * ```ts
 * import { keyBounds, inBounds } from "./mvcc.ts";
 * console.log(inBounds(keyBounds(new Uint8Array([1]), new Uint8Array([0])), new Uint8Array([9]))); // true
 * ```
 */
export function inBounds(bounds: KeyBounds, key: Uint8Array): boolean {
  if (compareBytes(key, bounds.start) < 0) return false;
  return bounds.end === null || compareBytes(key, bounds.end) < 0;
}

/**
 * The store's bytes charged for one stored revision of a key.
 *
 * @param kv The revision.
 * @returns Its cost in bytes.
 * @example
 * ```ts
 * import { entryCostBytes } from "./mvcc.ts";
 * const kv = { key: new Uint8Array(3), value: new Uint8Array(5), createRevision: 2, modRevision: 2, version: 1, lease: 0 };
 * console.log(entryCostBytes(kv) > 8); // true
 * ```
 */
export function entryCostBytes(kv: KeyValue): number {
  return kv.key.length + kv.value.length + REVISION_OVERHEAD_BYTES;
}

/**
 * The latest revision of a history at or below `revision`, or undefined.
 *
 * @param history The key's history.
 * @param revision The revision to read at.
 * @returns The entry (possibly a tombstone).
 * @example
 * ```ts
 * import { entryAt } from "./mvcc.ts";
 * console.log(entryAt({ key: new Uint8Array([1]), entries: [] }, 5)); // undefined
 * ```
 */
export function entryAt(history: KeyHistory, revision: number): KeyValue | undefined {
  const entries = history.entries;
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (entries[middle]!.modRevision <= revision) low = middle + 1;
    else high = middle;
  }
  return low === 0 ? undefined : entries[low - 1];
}

/**
 * The multi-version store proper.
 *
 * @example
 * ```ts
 * import { MvccStore } from "./mvcc.ts";
 * const mvcc = new MvccStore();
 * mvcc.beginWrite();
 * mvcc.writePut(new Uint8Array([1]), new Uint8Array([2]), 0);
 * console.log(mvcc.endWrite()?.revision); // 2
 * ```
 */
export class MvccStore {
  index: SortedIndex<KeyHistory> = new SortedIndex<KeyHistory>();
  // Invariant: compactRevision <= currentRevision; changelog holds exactly the revisions >= compactRevision
  // that changed something, ascending.
  currentRevision = 1;
  compactRevision = 0;
  changelog: RevisionRecord[] = [];
  /** Bytes charged for every stored revision of every key. */
  sizeBytes = 0;
  #pending: RevisionRecord | null = null;

  /** @returns The revision reads see: the one being written inside a write, else the current one. */
  get visibleRevision(): number {
    return this.#pending === null ? this.currentRevision : this.#pending.revision;
  }

  /** @returns Whether a write is open. */
  get writing(): boolean {
    return this.#pending !== null;
  }

  /**
   * Resolves a requested read revision (0 = visible) and checks it against compaction and the present.
   *
   * @param revision The revision asked for.
   * @returns The revision to read at.
   * @throws {CompactedError} Below the compact revision.
   * @throws {FutureRevisionError} Above the current revision.
   */
  readRevision(revision: number | undefined): number {
    if (revision === undefined || revision <= 0) return this.visibleRevision;
    if (revision > this.currentRevision) throw new FutureRevisionError(revision, this.currentRevision);
    if (revision < this.compactRevision) throw new CompactedError(revision, this.compactRevision);
    return revision;
  }

  /**
   * A key's live state at a revision.
   *
   * @param key The key.
   * @param revision The revision (already resolved).
   * @returns The state, or undefined when absent or deleted.
   */
  get(key: Uint8Array, revision: number): KeyValue | undefined {
    const history = this.index.get(key);
    if (history === undefined) return undefined;
    const kv = entryAt(history, revision);
    return kv === undefined || kv.version === 0 ? undefined : kv;
  }

  /**
   * Iterates the live keys of a range at a revision, in key order.
   *
   * @param bounds The key range.
   * @param revision The revision (already resolved).
   * @returns The live states.
   */
  *liveIn(bounds: KeyBounds, revision: number): Generator<KeyValue> {
    for (const history of this.index.range(bounds.start, bounds.end)) {
      const kv = entryAt(history, revision);
      if (kv !== undefined && kv.version !== 0) yield kv;
    }
  }

  /**
   * A key's state just before a revision, for an event's prevKv (undefined if deleted or compacted away).
   *
   * @param key The key.
   * @param revision The event's revision.
   * @returns The previous live state, if known.
   */
  previous(key: Uint8Array, revision: number): KeyValue | undefined {
    return this.get(key, revision - 1);
  }

  /**
   * Opens a write: every change until {@link endWrite} belongs to one new revision.
   *
   * @returns The revision being written.
   */
  beginWrite(): number {
    assert(this.#pending === null, "MvccStore.beginWrite: a write is already open");
    this.#pending = { revision: this.currentRevision + 1, events: [] };
    return this.#pending.revision;
  }

  /**
   * Writes a new revision of a key.
   *
   * @param key The key (copied by the caller if it may change).
   * @param value The value.
   * @param lease The lease to attach, 0 for none.
   * @returns The new state and the previous live state.
   */
  writePut(key: Uint8Array, value: Uint8Array, lease: number): { kv: KeyValue; prev: KeyValue | undefined } {
    const pending = this.#pending;
    assert(pending !== null, "MvccStore.writePut outside a write");
    let history = this.index.get(key);
    if (history === undefined) {
      history = { key, entries: [] };
      this.index.insert(history);
    }
    const last = history.entries[history.entries.length - 1];
    assert(
      last === undefined || last.modRevision < pending.revision,
      () => `key "${displayKey(key)}" written twice in one revision`,
    );
    const prev = last !== undefined && last.version !== 0 ? last : undefined;
    const kv: KeyValue = {
      key: history.key,
      createRevision: prev === undefined ? pending.revision : prev.createRevision,
      modRevision: pending.revision,
      version: prev === undefined ? 1 : prev.version + 1,
      value,
      lease,
    };
    history.entries.push(kv);
    this.sizeBytes += entryCostBytes(kv);
    pending.events.push({ type: "put", kv });
    return { kv, prev };
  }

  /**
   * Deletes a live key by writing a tombstone.
   *
   * @param key The key, which must be live.
   * @returns The previous live state.
   */
  writeDelete(key: Uint8Array): KeyValue {
    const pending = this.#pending;
    assert(pending !== null, "MvccStore.writeDelete outside a write");
    const history = this.index.get(key);
    assert(history !== undefined, () => `MvccStore.writeDelete: no key "${displayKey(key)}"`);
    const prev = history.entries[history.entries.length - 1];
    assert(
      prev !== undefined && prev.version !== 0,
      () => `MvccStore.writeDelete: key "${displayKey(key)}" not live`,
    );
    assert(
      prev.modRevision < pending.revision,
      () => `key "${displayKey(key)}" written twice in one revision`,
    );
    const tombstone: KeyValue = {
      key: history.key,
      createRevision: 0,
      modRevision: pending.revision,
      version: 0,
      value: EMPTY_BYTES,
      lease: 0,
    };
    history.entries.push(tombstone);
    this.sizeBytes += entryCostBytes(tombstone);
    pending.events.push({ type: "delete", kv: tombstone });
    return prev;
  }

  /**
   * Closes the write. The revision advances only when something changed.
   *
   * @returns The record of the new revision, or null when the write changed nothing.
   */
  endWrite(): RevisionRecord | null {
    const pending = this.#pending;
    assert(pending !== null, "MvccStore.endWrite without a write");
    this.#pending = null;
    if (pending.events.length === 0) return null;
    assert(pending.revision === this.currentRevision + 1, "revision must advance by one");
    this.currentRevision = pending.revision;
    this.changelog.push(pending);
    return pending;
  }

  /**
   * Drops history below `revision`: per key, the last revision below it survives unless it is a tombstone,
   * and every revision at or above it survives; reads at `revision` or later give the same answers.
   *
   * @param revision The new compact revision (compactRevision < revision <= currentRevision).
   */
  compact(revision: number): void {
    assert(this.#pending === null, "MvccStore.compact inside a write");
    assert(
      revision > this.compactRevision && revision <= this.currentRevision,
      () => `bad compaction ${revision}`,
    );
    const emptied: Uint8Array[] = [];
    for (const history of this.index.all()) {
      const entries = history.entries;
      let firstKept = 0;
      while (firstKept < entries.length && entries[firstKept]!.modRevision < revision) firstKept++;
      const base = entries[firstKept - 1];
      if (base !== undefined && base.version !== 0) firstKept--;
      for (let i = 0; i < firstKept; i++) this.sizeBytes -= entryCostBytes(entries[i]!);
      if (firstKept > 0) entries.splice(0, firstKept);
      if (entries.length === 0) emptied.push(history.key);
    }
    for (const key of emptied) this.index.delete(key);
    let dropped = 0;
    while (dropped < this.changelog.length && this.changelog[dropped]!.revision < revision) dropped++;
    this.changelog.splice(0, dropped);
    this.compactRevision = revision;
    assert(this.sizeBytes >= 0, "store size went negative");
  }

  /**
   * Finds the position in the change log of the first record at or after a revision.
   *
   * @param revision The revision.
   * @returns An index into {@link changelog}.
   */
  changelogPosition(revision: number): number {
    let low = 0;
    let high = this.changelog.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.changelog[middle]!.revision < revision) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /**
   * Loads a base entry (a key's last revision below the compact revision) while restoring a snapshot.
   *
   * @param kv A live entry older than every change-log record of its key.
   */
  restoreBase(kv: KeyValue): void {
    assert(this.changelog.length === 0, "restoreBase after change-log records");
    assert(kv.version > 0, "a base entry is never a tombstone");
    assert(this.index.get(kv.key) === undefined, () => `duplicate base key "${displayKey(kv.key)}"`);
    this.index.insert({ key: kv.key, entries: [kv] });
    this.sizeBytes += entryCostBytes(kv);
  }

  /**
   * Replays one change-log record while restoring a snapshot.
   *
   * @param record The record (its revision above the last replayed one).
   */
  restoreRecord(record: RevisionRecord): void {
    const last = this.changelog[this.changelog.length - 1];
    assert(last === undefined || last.revision < record.revision, "change-log records out of order");
    for (const event of record.events) {
      let history = this.index.get(event.kv.key);
      if (history === undefined) {
        history = { key: event.kv.key, entries: [] };
        this.index.insert(history);
      }
      history.entries.push(event.kv);
      this.sizeBytes += entryCostBytes(event.kv);
    }
    this.changelog.push(record);
  }

  /**
   * Takes over another store's whole state (used to restore a snapshot in place).
   *
   * @param other A store built by restoreBase/restoreRecord, with its revisions set.
   */
  replaceWith(other: MvccStore): void {
    assert(this.#pending === null && other.#pending === null, "replaceWith during a write");
    assert(other.compactRevision <= other.currentRevision, "restored compact revision above current");
    this.index = other.index;
    this.changelog = other.changelog;
    this.currentRevision = other.currentRevision;
    this.compactRevision = other.compactRevision;
    this.sizeBytes = other.sizeBytes;
  }
}
