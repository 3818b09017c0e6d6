/**
 * The configurations a node's log implies: a configuration takes effect when its entry is appended (not
 * when committed), so the node keeps the committed base plus one configuration per uncommitted config
 * entry, to roll back when a new leader truncates those entries.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { cloneConfState, type ConfState } from "./types.ts";

/** A configuration that took effect when the entry at `index` was appended. */
interface ConfEntry {
  index: number;
  confState: ConfState;
}

/**
 * The committed base configuration and the uncommitted ones after it, in log order.
 *
 * @example
 * ```ts
 * import { ConfHistory } from "./conf_history.ts";
 * import { emptyConfState } from "./types.ts";
 * const history = new ConfHistory({ ...emptyConfState(), voters: [1] }, 0);
 * history.push(5, { ...emptyConfState(), voters: [1, 2] });
 * console.log(history.rollBackAfter(4)?.voters); // [1]
 * ```
 */
export class ConfHistory {
  #base: ConfState;
  #baseIndex: number;
  // Invariant: indexes increase, and every index > #baseIndex.
  #entries: ConfEntry[] = [];

  /**
   * @param base The configuration in effect at `baseIndex` (copied).
   * @param baseIndex A committed index (the snapshot index on start).
   */
  constructor(base: ConfState, baseIndex: number) {
    this.#base = cloneConfState(base);
    this.#baseIndex = baseIndex;
  }

  /** @returns The configuration in effect at the end of the log. */
  current(): ConfState {
    const entries = this.#entries;
    return entries.length > 0 ? entries[entries.length - 1]!.confState : this.#base;
  }

  /** @returns The index of the last configuration entry (the base index when there is none after it). */
  lastIndex(): number {
    const entries = this.#entries;
    return entries.length > 0 ? entries[entries.length - 1]!.index : this.#baseIndex;
  }

  /** @returns Whether any configuration entry follows the base. */
  hasEntries(): boolean {
    return this.#entries.length > 0;
  }

  /**
   * @param index The index of the appended configuration entry.
   * @param confState The configuration it results in.
   */
  push(index: number, confState: ConfState): void {
    assert(index > this.lastIndex(), () => `config entry ${index} is not after ${this.lastIndex()}`);
    this.#entries.push({ index, confState });
  }

  /**
   * Forgets configuration entries truncated from the log.
   *
   * @param after The last index kept.
   * @returns The configuration now in effect when it changed, else null.
   */
  rollBackAfter(after: number): ConfState | null {
    const entries = this.#entries;
    let changed = false;
    while (entries.length > 0 && entries[entries.length - 1]!.index > after) {
      entries.pop();
      changed = true;
    }
    assert(
      after >= this.#baseIndex,
      () => `truncation after ${after} below the committed config ${this.#baseIndex}`,
    );
    return changed ? this.current() : null;
  }

  /** @param committed The commit index: configuration entries up to it can no longer be rolled back. */
  foldUpTo(committed: number): void {
    const entries = this.#entries;
    let folded = 0;
    while (folded < entries.length && entries[folded]!.index <= committed) folded++;
    if (folded === 0) return;
    const last = entries[folded - 1]!;
    this.#base = last.confState;
    this.#baseIndex = last.index;
    entries.splice(0, folded);
  }

  /**
   * Starts over from a new base (snapshot installed, founding configuration adopted).
   *
   * @param base The configuration at `baseIndex` (copied).
   * @param baseIndex Its index.
   */
  reset(base: ConfState, baseIndex: number): void {
    this.#base = cloneConfState(base);
    this.#baseIndex = baseIndex;
    this.#entries = [];
  }
}
