/**
 * An ordered map from byte-string keys to items, as a list of sorted chunks: lookups and range starts are
 * two binary searches, inserts move at most one chunk's worth of entries, so neither range nor insert
 * ever walks every key.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { compareBytes } from "./bytes.ts";

/** Entries per chunk at which a chunk splits in two. */
export const INDEX_CHUNK_ENTRIES_MAX = 512;

/** Anything stored in a {@link SortedIndex}: it carries its own key. */
export interface Keyed {
  readonly key: Uint8Array;
}

/**
 * A sorted, chunked index of keyed items.
 *
 * @example
 * ```ts
 * import { SortedIndex } from "./sorted_index.ts";
 * const index = new SortedIndex<{ key: Uint8Array }>();
 * index.insert({ key: new Uint8Array([2]) });
 * index.insert({ key: new Uint8Array([1]) });
 * console.log([...index.range(new Uint8Array([0]), null)].length); // 2
 * ```
 */
export class SortedIndex<T extends Keyed> {
  // Invariant: every chunk is non-empty and sorted; chunk i's last key < chunk i+1's first key.
  #chunks: T[][] = [];
  #size = 0;

  /** @returns How many items the index holds. */
  get size(): number {
    return this.#size;
  }

  /**
   * Finds the item with exactly this key.
   *
   * @param key The key.
   * @returns The item, or undefined.
   */
  get(key: Uint8Array): T | undefined {
    const chunkIndex = this.#chunkFor(key);
    const chunk = this.#chunks[chunkIndex];
    if (chunk === undefined) return undefined;
    const position = lowerBound(chunk, key);
    const item = chunk[position];
    return item !== undefined && compareBytes(item.key, key) === 0 ? item : undefined;
  }

  /**
   * Inserts an item whose key is not yet present.
   *
   * @param item The item.
   * @throws {AssertionError} When the key is already present.
   */
  insert(item: T): void {
    if (this.#chunks.length === 0) {
      this.#chunks.push([item]);
      this.#size = 1;
      return;
    }
    const chunkIndex = Math.min(this.#chunkFor(item.key), this.#chunks.length - 1);
    const chunk = this.#chunks[chunkIndex]!;
    const position = lowerBound(chunk, item.key);
    const existing = chunk[position];
    assert(
      existing === undefined || compareBytes(existing.key, item.key) !== 0,
      "SortedIndex.insert: key exists",
    );
    chunk.splice(position, 0, item);
    this.#size++;
    if (chunk.length > INDEX_CHUNK_ENTRIES_MAX) {
      const upper = chunk.splice(chunk.length >> 1);
      this.#chunks.splice(chunkIndex + 1, 0, upper);
    }
  }

  /**
   * Removes the item with this key, if present.
   *
   * @param key The key.
   * @returns Whether an item was removed.
   */
  delete(key: Uint8Array): boolean {
    const chunkIndex = this.#chunkFor(key);
    const chunk = this.#chunks[chunkIndex];
    if (chunk === undefined) return false;
    const position = lowerBound(chunk, key);
    const item = chunk[position];
    if (item === undefined || compareBytes(item.key, key) !== 0) return false;
    chunk.splice(position, 1);
    this.#size--;
    if (chunk.length === 0) this.#chunks.splice(chunkIndex, 1);
    assert(this.#size >= 0, "SortedIndex size went negative");
    return true;
  }

  /**
   * Iterates items with start <= key < end in key order.
   *
   * @param start The inclusive lower bound.
   * @param end The exclusive upper bound; null for "to the last key".
   * @returns The items in order.
   */
  *range(start: Uint8Array, end: Uint8Array | null): Generator<T> {
    let chunkIndex = this.#chunkFor(start);
    let position = -1;
    for (; chunkIndex < this.#chunks.length; chunkIndex++) {
      const chunk = this.#chunks[chunkIndex]!;
      if (position < 0) position = lowerBound(chunk, start);
      for (; position < chunk.length; position++) {
        const item = chunk[position]!;
        if (end !== null && compareBytes(item.key, end) >= 0) return;
        yield item;
      }
      position = 0;
    }
  }

  /**
   * Iterates every item in key order.
   *
   * @returns The items in order.
   */
  *all(): Generator<T> {
    for (const chunk of this.#chunks) yield* chunk;
  }

  /** The first chunk whose last key is >= key (== chunk count when every key is smaller). */
  #chunkFor(key: Uint8Array): number {
    let low = 0;
    let high = this.#chunks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const chunk = this.#chunks[middle]!;
      if (compareBytes(chunk[chunk.length - 1]!.key, key) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

function lowerBound<T extends Keyed>(items: T[], key: Uint8Array): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareBytes(items[middle]!.key, key) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
