/**
 * Deterministic test entries: the data of entry (index, term) is derived from both, so any reader (the
 * conformance suite, the crash test's parent) can check an entry without having kept it.
 *
 * @module
 */

import type { Entry } from "../../src/raft/types.ts";

/**
 * @param index The index.
 * @param term The term.
 * @param sizeBytes Data length (default: 1 + index % 40).
 * @returns The entry.
 */
export function makeEntry(index: number, term: number, sizeBytes = 1 + (index % 40)): Entry {
  const data = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) data[i] = (index * 31 + term * 7 + i) & 0xff;
  return { index, term, type: index % 7 === 0 ? 1 : 0, data };
}

/**
 * @param first First index.
 * @param count How many.
 * @param term Their term.
 * @returns Consecutive entries from {@link makeEntry}.
 */
export function makeEntries(first: number, count: number, term: number): Entry[] {
  return Array.from({ length: count }, (_, i) => makeEntry(first + i, term));
}
