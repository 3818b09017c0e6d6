/**
 * What the lock and election recipes need from a key-value service: range, txn and watch. The store
 * itself provides it through {@link LocalKvClient}; the engine and the HTTP client provide it later.
 *
 * @module
 */

import { prefixEnd } from "./bytes.ts";
import type { KeyValue, RangeRequest, RangeResponse, TxnRequest, TxnResponse } from "./types.ts";
import type { WatchOptions, WatchResponse } from "./watch.ts";

/** A stream of watch responses. `next()` resolves null once the watch has ended or was cancelled. */
export interface WatchStream {
  next(): Promise<WatchResponse | null>;
  cancel(): void;
}

/** The operations the concurrency recipes use. */
export interface ConcurrencyKv {
  range(request: RangeRequest): Promise<RangeResponse>;
  txn(request: TxnRequest): Promise<TxnResponse>;
  watch(options: WatchOptions): WatchStream;
}

/**
 * The key of a session's entry under a lock or election name: `<name>/<lease id in hex>`, as etcd.
 *
 * @param name The lock or election name.
 * @param leaseId The session's lease.
 * @returns The key.
 * @example
 * ```ts
 * import { sessionKey, toText, utf8 } from "./mod.ts";
 * console.log(toText(sessionKey(utf8("lock"), 255))); // "lock/ff"
 * ```
 */
export function sessionKey(name: Uint8Array, leaseId: number): Uint8Array {
  const suffix = new TextEncoder().encode(`/${leaseId.toString(16)}`);
  const key = new Uint8Array(name.length + suffix.length);
  key.set(name);
  key.set(suffix, name.length);
  return key;
}

/**
 * The prefix `<name>/` under which a lock's or election's entries live.
 *
 * @param name The name.
 * @returns The prefix.
 * @example
 * ```ts
 * import { sessionPrefix, toText, utf8 } from "./mod.ts";
 * console.log(toText(sessionPrefix(utf8("lock")))); // "lock/"
 * ```
 */
export function sessionPrefix(name: Uint8Array): Uint8Array {
  const prefix = new Uint8Array(name.length + 1);
  prefix.set(name);
  prefix[name.length] = 0x2f;
  return prefix;
}

/**
 * Waits until every entry under `prefix` created before `revision` is deleted: each time, the waiter
 * watches only its closest predecessor (no herd when the owner leaves).
 *
 * @param kv The service.
 * @param prefix The entries' prefix.
 * @param revision The waiter's own create revision.
 * @param waitsMax Most predecessors waited for, as a bound on the loop.
 * @returns When no older entry remains.
 * @throws {Error} When more than `waitsMax` predecessors had to be waited for, or the watch ended early.
 * @example
 * ```ts
 * // See acquireLock and campaign.
 * ```
 */
export async function waitForPredecessors(
  kv: ConcurrencyKv,
  prefix: Uint8Array,
  revision: number,
  waitsMax = 1_000_000,
): Promise<void> {
  for (let waits = 0; waits < waitsMax; waits++) {
    const older = await kv.range({
      key: prefix,
      rangeEnd: prefixEnd(prefix),
      maxCreateRevision: revision - 1,
      sortOrder: "descend",
      sortTarget: "create",
      limit: 1,
    });
    const predecessor: KeyValue | undefined = older.kvs[0];
    if (predecessor === undefined) return;
    await waitForDelete(kv, predecessor.key, older.header.revision);
  }
  throw new Error(`Gave up waiting after ${waitsMax} predecessors under the same prefix`);
}

/**
 * Resolves once `key` is deleted after `revision` (or when the watch is cancelled, e.g. compacted, so the
 * caller re-checks).
 *
 * @param kv The service.
 * @param key The key.
 * @param revision The revision at which the key was seen.
 * @returns When the key is gone or must be re-checked.
 * @throws {Error} When the watch stream ended without a cancel (the service went away).
 * @example
 * ```ts
 * // Used by waitForPredecessors.
 * ```
 */
export async function waitForDelete(kv: ConcurrencyKv, key: Uint8Array, revision: number): Promise<void> {
  const stream = kv.watch({ key, startRevision: revision + 1, noPut: true });
  try {
    for (;;) {
      const response = await stream.next();
      if (response === null) throw new Error("The watch ended while waiting for a predecessor's deletion");
      if (response.canceled) return;
      if (response.events.some((event) => event.type === "delete")) return;
    }
  } finally {
    stream.cancel();
  }
}
