/**
 * The in-memory index of a durable log, shared by every adapter: which entries exist, their terms, where each
 * one is stored (`L`: a file position, the entry itself...), the compacted boundary and the hard state.
 * Adapters replay their records into it on open and apply each durable batch to it.
 *
 * @module
 */

import { assert } from "../../src/util/assert.ts";
import type { Entry, HardState } from "../../src/raft/types.ts";

/** One durable write, as queued by the group committer and persisted by an adapter. */
export type LogOp =
  | { kind: "entries"; entries: readonly Entry[] }
  | { kind: "hardState"; hardState: HardState }
  | { kind: "truncate"; fromIndex: number }
  | { kind: "compact"; index: number; term: number; discardAll: boolean };

/** The most entries one append call may carry. */
export const ENTRIES_PER_APPEND_MAX = 65_536;
/** The largest data one entry may carry (bytes). */
export const ENTRY_DATA_BYTES_MAX = 64 * 1024 * 1024;

/**
 * Checks that `entries` are well formed and consecutive.
 *
 * @param entries The entries of one append.
 * @throws {RangeError} Naming the first problem.
 * @example
 * ```ts
 * import { validateEntries } from "./_log_state.ts";
 * validateEntries([{ index: 1, term: 1, type: 0, data: new Uint8Array() }]);
 * ```
 */
export function validateEntries(entries: readonly Entry[]): void {
  if (entries.length === 0) throw new RangeError("Cannot append zero entries");
  if (entries.length > ENTRIES_PER_APPEND_MAX) {
    throw new RangeError(
      `Cannot append ${entries.length} entries at once: the limit is ${ENTRIES_PER_APPEND_MAX}`,
    );
  }
  let previousTerm = 0;
  const firstIndex = entries[0]!.index;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (!Number.isSafeInteger(entry.index) || entry.index !== firstIndex + i || entry.index < 1) {
      throw new RangeError(
        `Cannot append entry with index ${entry.index} at position ${i}: expected ${firstIndex + i}`,
      );
    }
    if (!Number.isSafeInteger(entry.term) || entry.term < 1 || entry.term < previousTerm) {
      throw new RangeError(
        `Cannot append entry ${entry.index} with term ${entry.term} after term ${previousTerm}`,
      );
    }
    if (entry.type !== 0 && entry.type !== 1) {
      throw new RangeError(`Cannot append entry ${entry.index}: type ${entry.type}`);
    }
    if (!(entry.data instanceof Uint8Array) || entry.data.byteLength > ENTRY_DATA_BYTES_MAX) {
      throw new RangeError(
        `Cannot append entry ${entry.index}: data must be a Uint8Array of at most ${ENTRY_DATA_BYTES_MAX} bytes`,
      );
    }
    previousTerm = entry.term;
  }
}

/**
 * Checks a hard state's fields.
 *
 * @param hardState The hard state to save.
 * @throws {RangeError} When a field is not a non-negative safe integer.
 * @example
 * ```ts
 * import { validateHardState } from "./_log_state.ts";
 * validateHardState({ term: 1, vote: 0, commit: 0 });
 * ```
 */
export function validateHardState(hardState: HardState): void {
  for (const field of ["term", "vote", "commit"] as const) {
    const value = hardState[field];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`Cannot save hard state: ${field} is ${value}, not a non-negative safe integer`);
    }
  }
}

/**
 * Index of a log: terms and storage locations of the live entries, the compacted boundary, the hard state.
 *
 * @example
 * ```ts
 * import { LogState } from "./_log_state.ts";
 * const state = new LogState<number>();
 * state.appendOne(1, 1, 0);
 * console.log(state.lastIndex()); // 1
 * ```
 */
export class LogState<L> {
  hardState: HardState = { term: 0, vote: 0, commit: 0 };
  /** Index of the last compacted entry (0: nothing compacted). Invariant: firstIndex() === compactIndex + 1. */
  compactIndex = 0;
  /** Term of {@link LogState.compactIndex}. */
  compactTerm = 0;
  // Invariant: terms.length === locations.length; terms[i] is the term of index compactIndex + 1 + i.
  #terms: number[] = [];
  #locations: L[] = [];

  /** @returns The first live index. */
  firstIndex(): number {
    return this.compactIndex + 1;
  }

  /** @returns The last index (compactIndex when empty). */
  lastIndex(): number {
    return this.compactIndex + this.#terms.length;
  }

  /**
   * @param index In `compactIndex .. lastIndex()`.
   * @returns Its term.
   * @throws {RangeError} Outside that range.
   */
  term(index: number): number {
    if (index === this.compactIndex) return this.compactTerm;
    return this.#terms[this.#offset(index, "read the term of")]!;
  }

  /**
   * @param index A live index.
   * @returns Where the entry is stored.
   * @throws {RangeError} When it is not live.
   */
  location(index: number): L {
    return this.#locations[this.#offset(index, "locate")]!;
  }

  #offset(index: number, action: string): number {
    if (!Number.isInteger(index) || index <= this.compactIndex || index > this.lastIndex()) {
      throw new RangeError(
        `Cannot ${action} entry ${index}: the log holds ${this.firstIndex()}..${this.lastIndex()}` +
          (index <= this.compactIndex ? " (it is compacted)" : ""),
      );
    }
    return index - this.compactIndex - 1;
  }

  /**
   * Appends one entry, replacing any suffix from `index` on.
   *
   * @param index `compactIndex < index <= lastIndex() + 1`.
   * @param term Its term.
   * @param location Where it is stored.
   * @returns Nothing; asserts the no-hole rule.
   */
  appendOne(index: number, term: number, location: L): void {
    assert(
      index > this.compactIndex,
      () => `append of entry ${index} into the compacted prefix ${this.compactIndex}`,
    );
    assert(
      index <= this.lastIndex() + 1,
      () => `append of entry ${index} after last ${this.lastIndex()}: a hole`,
    );
    if (index <= this.lastIndex()) this.truncate(index);
    assert(
      term >= (this.#terms.at(-1) ?? this.compactTerm),
      () => `entry ${index} has term ${term} below the previous`,
    );
    this.#terms.push(term);
    this.#locations.push(location);
  }

  /** @param fromIndex Drops entries `>= fromIndex` (must be `> compactIndex`). */
  truncate(fromIndex: number): void {
    assert(
      fromIndex > this.compactIndex,
      () => `truncate from ${fromIndex} into compacted ${this.compactIndex}`,
    );
    const keep = Math.min(this.#terms.length, fromIndex - this.compactIndex - 1);
    this.#terms.length = keep;
    this.#locations.length = keep;
  }

  /**
   * Drops entries `<= index`; with `discardAll` (or `index >= lastIndex()`) drops every entry and restarts
   * the log after `index`.
   *
   * @param index The new compacted boundary.
   * @param term Its term.
   * @param discardAll Whether to drop the suffix too (a snapshot install).
   */
  compact(index: number, term: number, discardAll: boolean): void {
    if (index <= this.compactIndex && !discardAll) return;
    assert(
      index >= this.compactIndex,
      () => `reset to ${index} below the compacted boundary ${this.compactIndex}`,
    );
    if (discardAll || index >= this.lastIndex()) {
      this.#terms = [];
      this.#locations = [];
    } else {
      const stored = this.term(index);
      assert(stored === term, () => `compaction of ${index} at term ${term}, but the log has term ${stored}`);
      const drop = index - this.compactIndex;
      this.#terms.splice(0, drop);
      this.#locations.splice(0, drop);
    }
    this.compactIndex = index;
    this.compactTerm = term;
  }

  /**
   * Applies one durable op; `locate` gives the location of each entry of an `entries` op.
   *
   * @param op The op.
   * @param locate The location of `op.entries[i]`.
   */
  apply(op: LogOp, locate: (position: number) => L): void {
    switch (op.kind) {
      case "entries":
        for (let i = 0; i < op.entries.length; i++) {
          const entry = op.entries[i]!;
          this.appendOne(entry.index, entry.term, locate(i));
        }
        return;
      case "hardState":
        this.hardState = { term: op.hardState.term, vote: op.hardState.vote, commit: op.hardState.commit };
        return;
      case "truncate":
        this.truncate(op.fromIndex);
        return;
      case "compact":
        this.compact(op.index, op.term, op.discardAll);
        return;
    }
  }
}
