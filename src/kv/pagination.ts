/**
 * Cursor pagination of ranges: each page is read at the first page's revision, so a large range is
 * served in bounded pages that together form one consistent snapshot of the range.
 *
 * @module
 */

import { keySuccessor } from "./bytes.ts";
import { ValidationError } from "./errors.ts";
import type { RangeRequest, RangeResponse } from "./types.ts";

/** Anything that answers range reads (the store, or a client). */
export interface RangeReader {
  range(request: RangeRequest): RangeResponse;
}

/**
 * The request for the page after `response`, or null when `response` was the last page. The request is
 * pinned to the page's revision and starts just after its last key.
 *
 * @param request The request that produced `response` (sorted by key ascending, with a limit).
 * @param response Its answer.
 * @returns The next page's request, or null.
 * @throws {ValidationError} When the request is not paginable (another sort order, or no limit).
 * @example
 * ```ts
 * import { KvStore, nextPageRequest, utf8 } from "./mod.ts";
 * const store = new KvStore();
 * const first = { key: utf8("a"), rangeEnd: utf8("b"), limit: 10 };
 * console.log(nextPageRequest(first, store.range(first))); // null
 * ```
 */
export function nextPageRequest(request: RangeRequest, response: RangeResponse): RangeRequest | null {
  checkPaginable(request);
  if (!response.more) return null;
  const last = response.kvs[response.kvs.length - 1];
  if (last === undefined) return null;
  // A read's header carries the store's current revision, so the first page pins that one and later
  // pages keep the pin they were given.
  const revision = (request.revision ?? 0) > 0 ? request.revision! : response.header.revision;
  return { ...request, key: keySuccessor(last.key), revision };
}

/**
 * Reads a range page by page at one revision.
 *
 * @param reader The store or client.
 * @param request The range (sorted by key ascending or unsorted; `limit` is replaced by `pageSize`).
 * @param pageSize Keys per page (at least 1).
 * @returns The pages, in key order.
 * @throws {CompactedError} When the pinned revision is compacted between pages.
 * @example
 * ```ts
 * import { KvStore, rangePages, utf8 } from "./mod.ts";
 * const store = new KvStore();
 * for (const page of rangePages(store, { key: utf8("a"), rangeEnd: utf8("b") }, 100)) console.log(page.kvs.length);
 * ```
 */
export function* rangePages(
  reader: RangeReader,
  request: RangeRequest,
  pageSize: number,
): Generator<RangeResponse> {
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new ValidationError(
      "limit",
      `Cannot page a range with page size ${pageSize}: it must be a positive integer`,
    );
  }
  let next: RangeRequest | null = { ...request, limit: pageSize };
  while (next !== null) {
    const response = reader.range(next);
    yield response;
    next = nextPageRequest(next, response);
  }
}

function checkPaginable(request: RangeRequest): void {
  const order = request.sortOrder ?? "none";
  const target = request.sortTarget ?? "key";
  const byKeyAscending = target === "key" && order !== "descend";
  if (!byKeyAscending || (request.limit ?? 0) <= 0 || request.countOnly === true) {
    throw new ValidationError(
      "sort_order",
      "Cannot page a range unless it is sorted by key ascending, has a limit, and is not count-only",
    );
  }
}
