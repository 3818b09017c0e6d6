/**
 * Range reads over the multi-version store: bounds, revision, min/max filters, sorting, limit,
 * keys-only and count-only, with etcd's answers for `count` and `more`.
 *
 * @module
 */

import { compareBytes, EMPTY_BYTES } from "./bytes.ts";
import { RANGE_KEYS_MAX } from "./limits.ts";
import { keyBounds, type MvccStore } from "./mvcc.ts";
import type { KeyValue, RangeRequest, RangeResponse, SortTarget } from "./types.ts";
import { validateKey, validateRangeRequest } from "./validate.ts";

/**
 * Answers a range read.
 *
 * @param mvcc The store.
 * @param request The read.
 * @returns The matching keys (sorted and limited), the total in range and whether more matched.
 * @throws {ValidationError} For an empty key or a negative limit or revision.
 * @throws {CompactedError} When `revision` is below the compaction.
 * @throws {FutureRevisionError} When `revision` is above the current revision.
 * @example
 * ```ts
 * import { MvccStore } from "./mvcc.ts";
 * import { rangeRead } from "./range.ts";
 * const response = rangeRead(new MvccStore(), { key: new Uint8Array([1]) });
 * console.log(response.count); // 0
 * ```
 */
export function rangeRead(mvcc: MvccStore, request: RangeRequest): RangeResponse {
  validateKey("range", request.key);
  validateRangeRequest(request);
  const revision = mvcc.readRevision(request.revision);
  const bounds = keyBounds(request.key, request.rangeEnd);
  const limitAsked = request.limit ?? 0;
  const limit = limitAsked > 0 && limitAsked < RANGE_KEYS_MAX ? limitAsked : RANGE_KEYS_MAX;
  const filtered = hasFilters(request);
  const sorted = needsSort(request);
  let count = 0;
  const matched: KeyValue[] = [];
  for (const kv of mvcc.liveIn(bounds, revision)) {
    count++;
    if (request.countOnly === true) continue;
    if (filtered && !passesFilters(request, kv)) continue;
    // Without sorting the first limit+1 matches decide everything but the count.
    if (!sorted && matched.length > limit) continue;
    matched.push(kv);
  }
  if (sorted) sortKvs(matched, request.sortTarget ?? "key", request.sortOrder === "descend");
  const more = matched.length > limit;
  if (more) matched.length = limit;
  const kvs = request.keysOnly === true ? matched.map(withoutValue) : matched;
  return { header: { revision: mvcc.visibleRevision }, kvs, more, count };
}

function hasFilters(request: RangeRequest): boolean {
  return (request.minModRevision ?? 0) > 0 || (request.maxModRevision ?? 0) > 0 ||
    (request.minCreateRevision ?? 0) > 0 || (request.maxCreateRevision ?? 0) > 0;
}

function passesFilters(request: RangeRequest, kv: KeyValue): boolean {
  const minMod = request.minModRevision ?? 0;
  const maxMod = request.maxModRevision ?? 0;
  const minCreate = request.minCreateRevision ?? 0;
  const maxCreate = request.maxCreateRevision ?? 0;
  if (minMod > 0 && kv.modRevision < minMod) return false;
  if (maxMod > 0 && kv.modRevision > maxMod) return false;
  if (minCreate > 0 && kv.createRevision < minCreate) return false;
  if (maxCreate > 0 && kv.createRevision > maxCreate) return false;
  return true;
}

function needsSort(request: RangeRequest): boolean {
  const order = request.sortOrder ?? "none";
  const target = request.sortTarget ?? "key";
  if (order === "none") return target !== "key";
  return !(order === "ascend" && target === "key");
}

/**
 * Sorts key-values by a target, stably (ties stay in key order).
 *
 * @param kvs The key-values, in key order; sorted in place.
 * @param target What to sort by.
 * @param descending Whether larger values come first.
 * @example
 * ```ts
 * import { sortKvs } from "./range.ts";
 * sortKvs([], "mod", true);
 * ```
 */
export function sortKvs(kvs: KeyValue[], target: SortTarget, descending: boolean): void {
  const sign = descending ? -1 : 1;
  kvs.sort((a, b) => sign * compareByTarget(a, b, target));
}

function compareByTarget(a: KeyValue, b: KeyValue, target: SortTarget): number {
  switch (target) {
    case "key":
      return compareBytes(a.key, b.key);
    case "version":
      return a.version - b.version;
    case "create":
      return a.createRevision - b.createRevision;
    case "mod":
      return a.modRevision - b.modRevision;
    case "value":
      return compareBytes(a.value, b.value);
  }
}

function withoutValue(kv: KeyValue): KeyValue {
  return { ...kv, value: EMPTY_BYTES };
}
