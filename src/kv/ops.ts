/**
 * The write operations (put, delete range) with their lease bookkeeping and the quota check, shared by
 * plain commands and transactions. Writes run inside an open {@link MvccStore} write.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { displayKey } from "./bytes.ts";
import { KeyNotFoundError, QuotaExceededError } from "./errors.ts";
import { REVISION_OVERHEAD_BYTES } from "./limits.ts";
import type { LeaseTable } from "./leases.ts";
import { keyBounds, type MvccStore } from "./mvcc.ts";
import type { DeleteRangeRequest, DeleteRangeResponse, KeyValue, PutRequest, PutResponse } from "./types.ts";

/** What the write operations need. */
export interface WriteContext {
  readonly mvcc: MvccStore;
  readonly leases: LeaseTable;
  /** Configured maximum data size. */
  readonly quotaBytes: number;
  /** Current data size (revisions and leases). */
  sizeBytes(): number;
}

/**
 * Checks a put against the store (lease exists; for ignoreValue/ignoreLease the key exists).
 *
 * @param context The store parts.
 * @param request A put whose shape is already valid.
 * @throws {LeaseNotFoundError} When the lease is unknown.
 * @throws {KeyNotFoundError} When ignoreValue/ignoreLease names a missing key.
 * @example
 * ```ts
 * // Used by the store before applying a put: see KvStore.
 * ```
 */
export function checkPut(context: WriteContext, request: PutRequest): void {
  const lease = request.lease ?? 0;
  if (lease !== 0) context.leases.require(`attach key "${displayKey(request.key)}" to`, lease);
  if (request.ignoreValue === true || request.ignoreLease === true) {
    const current = context.mvcc.get(request.key, context.mvcc.visibleRevision);
    if (current === undefined) {
      const what = request.ignoreValue === true ? "put with ignoreValue" : "put with ignoreLease";
      throw new KeyNotFoundError(what, displayKey(request.key));
    }
  }
}

/**
 * The bytes a put adds to the store (for the quota).
 *
 * @param request The put.
 * @returns Its cost in bytes.
 * @example
 * ```ts
 * import { putCostBytes } from "./ops.ts";
 * console.log(putCostBytes({ key: new Uint8Array(1), value: new Uint8Array(1) }) > 2); // true
 * ```
 */
export function putCostBytes(request: PutRequest): number {
  return request.key.length + request.value.length + REVISION_OVERHEAD_BYTES;
}

/**
 * Fails when adding `costBytes` would pass the quota.
 *
 * @param context The store parts.
 * @param action What is attempted, for the message.
 * @param costBytes The bytes the write adds.
 * @throws {QuotaExceededError} When over quota.
 * @example
 * ```ts
 * // Called by the store before puts, transactions with puts and lease grants.
 * ```
 */
export function checkQuota(context: WriteContext, action: string, costBytes: number): void {
  const after = context.sizeBytes() + costBytes;
  if (costBytes > 0 && after > context.quotaBytes) {
    throw new QuotaExceededError(action, after, context.quotaBytes);
  }
}

/**
 * Applies a checked put inside an open write.
 *
 * @param context The store parts.
 * @param request The put (already checked).
 * @returns The put's answer (header revision filled in by the caller).
 * @example
 * ```ts
 * // Called by the store inside mvcc.beginWrite()/endWrite().
 * ```
 */
export function applyPut(context: WriteContext, request: PutRequest): PutResponse {
  const { mvcc, leases } = context;
  const current = mvcc.get(request.key, mvcc.visibleRevision);
  // The store owns the request's arrays from here on (decoded commands are fresh copies).
  const value = request.ignoreValue === true ? current!.value : request.value;
  const lease = request.ignoreLease === true ? current!.lease : request.lease ?? 0;
  const key = current === undefined ? request.key : current.key;
  const { kv, prev } = mvcc.writePut(key, value, lease);
  assert(prev === current, "put: previous state changed under the write");
  leases.moveKey(kv.key, prev?.lease ?? 0, lease);
  const response: PutResponse = { header: { revision: kv.modRevision } };
  if (request.prevKv === true && prev !== undefined) response.prevKv = prev;
  return response;
}

/**
 * Applies a delete range inside an open write: a tombstone for every live key in range.
 *
 * @param context The store parts.
 * @param request The delete (already validated).
 * @returns How many keys were deleted and, when asked, their previous states.
 * @example
 * ```ts
 * // Called by the store inside mvcc.beginWrite()/endWrite().
 * ```
 */
export function applyDeleteRange(context: WriteContext, request: DeleteRangeRequest): DeleteRangeResponse {
  const { mvcc, leases } = context;
  const live: KeyValue[] = [...mvcc.liveIn(keyBounds(request.key, request.rangeEnd), mvcc.visibleRevision)];
  for (const kv of live) {
    mvcc.writeDelete(kv.key);
    leases.moveKey(kv.key, kv.lease, 0);
  }
  return {
    header: { revision: mvcc.visibleRevision },
    deleted: live.length,
    prevKvs: request.prevKv === true ? live : [],
  };
}
