/**
 * Distributed locks, etcd's recipe: a holder is a key `<name>/<lease hex>` attached to its session's
 * lease; the owner is the key with the lowest create revision; each waiter watches only its closest
 * predecessor. The owner's create revision is its fencing token: a write guarded by
 * {@link fencedTxn} fails once the lock is lost (lease expired or revoked, key deleted).
 *
 * @module
 */

import { displayKey, prefixEnd } from "./bytes.ts";
import { type ConcurrencyKv, sessionKey, sessionPrefix, waitForPredecessors } from "./concurrency.ts";
import { SessionExpiredError } from "./errors.ts";
import type { RangeRequest, RequestOp, TxnRequest, TxnResponse } from "./types.ts";

/** A held lock. */
export interface LockHandle {
  name: Uint8Array;
  /** The holder's key (etcd's lock response `key`). */
  key: Uint8Array;
  leaseId: number;
  /** The key's create revision: the fencing token. */
  revision: number;
}

function ownerRequest(prefix: Uint8Array): RangeRequest {
  return { key: prefix, rangeEnd: prefixEnd(prefix), sortOrder: "ascend", sortTarget: "create", limit: 1 };
}

/**
 * Acquires a lock, waiting until every older holder is gone.
 *
 * @param kv The key-value service.
 * @param name The lock's name.
 * @param leaseId The session lease the holder key is attached to.
 * @returns The held lock with its fencing token.
 * @throws {LeaseNotFoundError} When the lease does not exist.
 * @throws {SessionExpiredError} When the lease expired while waiting.
 * @example
 * ```ts
 * import { acquireLock, KvStore, LocalKvClient, utf8 } from "./mod.ts";
 * const client = new LocalKvClient(new KvStore());
 * const lease = await client.leaseGrant(10);
 * const lock = await acquireLock(client, utf8("jobs"), lease.id);
 * console.log(lock.revision > 1); // true
 * ```
 */
export async function acquireLock(kv: ConcurrencyKv, name: Uint8Array, leaseId: number): Promise<LockHandle> {
  const prefix = sessionPrefix(name);
  const key = sessionKey(name, leaseId);
  const response = await kv.txn({
    compare: [{ key, target: "create", result: "equal", number: 0 }],
    success: [{ type: "put", request: { key, value: new Uint8Array(0), lease: leaseId } }, {
      type: "range",
      request: ownerRequest(prefix),
    }],
    failure: [{ type: "range", request: { key } }, { type: "range", request: ownerRequest(prefix) }],
  });
  const revision = ownRevision(response, key);
  const owner = response.responses[1];
  const ownerRevision = owner?.type === "range" ? owner.response.kvs[0]?.createRevision : undefined;
  if (ownerRevision !== revision) {
    await waitForPredecessors(kv, prefix, revision);
    const mine = await kv.range({ key });
    if (mine.kvs[0]?.createRevision !== revision) throw new SessionExpiredError("lock", displayKey(key));
  }
  return { name, key, leaseId, revision };
}

function ownRevision(response: TxnResponse, key: Uint8Array): number {
  if (response.succeeded) return response.header.revision;
  const first = response.responses[0];
  const kv = first?.type === "range" ? first.response.kvs[0] : undefined;
  if (kv === undefined) throw new SessionExpiredError("lock", displayKey(key));
  return kv.createRevision;
}

/**
 * Releases a lock (deletes the holder key if it is still this holder's).
 *
 * @param kv The key-value service.
 * @param lock The lock.
 * @returns Whether the key was still held and is now deleted.
 * @example
 * ```ts
 * import { acquireLock, KvStore, LocalKvClient, releaseLock, utf8 } from "./mod.ts";
 * const client = new LocalKvClient(new KvStore());
 * const lock = await acquireLock(client, utf8("jobs"), (await client.leaseGrant(10)).id);
 * console.log(await releaseLock(client, lock)); // true
 * ```
 */
export async function releaseLock(kv: ConcurrencyKv, lock: LockHandle): Promise<boolean> {
  const response = await kv.txn({
    compare: [{ key: lock.key, target: "create", result: "equal", number: lock.revision }],
    success: [{ type: "deleteRange", request: { key: lock.key } }],
    failure: [],
  });
  return response.succeeded;
}

/**
 * A transaction that runs `ops` only while `lock` is still held: the holder key must still have the
 * fencing token as its create revision. A stale holder's write then fails (`succeeded` false).
 *
 * @param lock The lock.
 * @param ops The guarded operations.
 * @param otherwise Operations when the lock is lost (default none).
 * @returns The transaction.
 * @example
 * ```ts
 * import { fencedTxn, utf8 } from "./mod.ts";
 * const lock = { name: utf8("l"), key: utf8("l/1"), leaseId: 1, revision: 5 };
 * const txn = fencedTxn(lock, [{ type: "put", request: { key: utf8("data"), value: utf8("x") } }]);
 * console.log(txn.compare.length); // 1
 * ```
 */
export function fencedTxn(lock: LockHandle, ops: RequestOp[], otherwise: RequestOp[] = []): TxnRequest {
  return {
    compare: [{ key: lock.key, target: "create", result: "equal", number: lock.revision }],
    success: ops,
    failure: otherwise,
  };
}
