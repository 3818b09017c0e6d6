/**
 * Client request dedup: per client, the last applied sequence and its response, so a retried write is
 * applied once. Bounded ({@link DedupTable.clientsMax}) and expiring (entries idle for
 * {@link DedupTable.entryTtlIndexes} applied indexes are dropped); both decisions use only replicated
 * inputs, so every node keeps the same table.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { StaleSequenceError } from "./errors.ts";

/** One client's dedup record. */
export interface DedupEntry<R> {
  clientId: number;
  sequence: number;
  /** Log index at which the sequence was applied. */
  index: number;
  response: R;
}

/** What {@link DedupTable.check} found. */
export type DedupCheck<R> = { duplicate: false } | { duplicate: true; response: R };

/**
 * The dedup table.
 *
 * @example
 * ```ts
 * import { DedupTable } from "./dedup.ts";
 * const table = new DedupTable<string>(10, 100);
 * table.record(7, 1, 5, "ok");
 * console.log(table.check(7, 1)); // { duplicate: true, response: "ok" }
 * ```
 */
export class DedupTable<R> {
  // Invariant: iteration order is ascending `index` (an updated entry is re-inserted at the end).
  readonly #entries = new Map<number, DedupEntry<R>>();
  readonly clientsMax: number;
  readonly entryTtlIndexes: number;

  /**
   * @param clientsMax Most clients remembered (the least recently applied is dropped first).
   * @param entryTtlIndexes Applied indexes after which an idle client's entry is dropped.
   */
  constructor(clientsMax: number, entryTtlIndexes: number) {
    assert(clientsMax >= 1 && entryTtlIndexes >= 1, "dedup limits must be positive");
    this.clientsMax = clientsMax;
    this.entryTtlIndexes = entryTtlIndexes;
  }

  /** @returns How many clients are remembered. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Classifies a request.
   *
   * @param clientId The client (non-zero).
   * @param sequence The request's sequence.
   * @returns Whether it was already applied, with the response then.
   * @throws {StaleSequenceError} When an older sequence than the last applied one arrives.
   */
  check(clientId: number, sequence: number): DedupCheck<R> {
    const entry = this.#entries.get(clientId);
    if (entry === undefined || sequence > entry.sequence) return { duplicate: false };
    if (sequence === entry.sequence) return { duplicate: true, response: entry.response };
    throw new StaleSequenceError(clientId, sequence, entry.sequence);
  }

  /**
   * Records an applied request, then forgets expired and excess clients.
   *
   * @param clientId The client.
   * @param sequence The sequence applied.
   * @param index The log index it was applied at.
   * @param response Its response.
   */
  record(clientId: number, sequence: number, index: number, response: R): void {
    this.#entries.delete(clientId);
    this.#entries.set(clientId, { clientId, sequence, index, response });
    this.expire(index);
  }

  /**
   * Drops entries idle for the TTL and the oldest beyond the client limit.
   *
   * @param index The current applied index.
   */
  expire(index: number): void {
    for (const entry of this.#entries.values()) {
      const expired = entry.index + this.entryTtlIndexes < index;
      if (!expired && this.#entries.size <= this.clientsMax) break;
      this.#entries.delete(entry.clientId);
    }
  }

  /**
   * The entries, oldest first (for snapshots).
   *
   * @returns The entries.
   */
  entries(): DedupEntry<R>[] {
    return [...this.#entries.values()];
  }

  /**
   * Loads an entry while restoring a snapshot (entries arrive oldest first).
   *
   * @param entry The entry.
   */
  restore(entry: DedupEntry<R>): void {
    assert(!this.#entries.has(entry.clientId), () => `duplicate dedup client ${entry.clientId}`);
    this.#entries.set(entry.clientId, entry);
  }
}
