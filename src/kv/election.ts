/**
 * Leader election, etcd's recipe: each campaigner writes `<name>/<lease hex>` with its value; the leader
 * is the entry with the lowest create revision; a campaigner becomes leader once every older entry is
 * gone. Proclaim updates the leader's value, resign deletes its entry, observe follows the leader.
 *
 * @module
 */

import { bytesEqual, displayKey, prefixEnd } from "./bytes.ts";
import {
  type ConcurrencyKv,
  sessionKey,
  sessionPrefix,
  waitForPredecessors,
  type WatchStream,
} from "./concurrency.ts";
import { ElectionNoLeaderError, ElectionNotLeaderError, SessionExpiredError } from "./errors.ts";
import type { KeyValue, RangeRequest } from "./types.ts";

/** A campaigner's claim: etcd's `LeaderKey`. */
export interface LeaderKey {
  name: Uint8Array;
  key: Uint8Array;
  /** The entry's create revision. */
  revision: number;
  leaseId: number;
}

function leaderRequest(name: Uint8Array): RangeRequest {
  const prefix = sessionPrefix(name);
  return { key: prefix, rangeEnd: prefixEnd(prefix), sortOrder: "ascend", sortTarget: "create", limit: 1 };
}

/**
 * Campaigns: resolves once this campaigner is the leader.
 *
 * @param kv The key-value service.
 * @param name The election.
 * @param leaseId The campaigner's session lease.
 * @param value The value to announce.
 * @returns The leader key.
 * @throws {LeaseNotFoundError} When the lease does not exist.
 * @throws {SessionExpiredError} When the lease expired while waiting.
 * @example
 * ```ts
 * import { campaign, KvStore, LocalKvClient, utf8 } from "./mod.ts";
 * const client = new LocalKvClient(new KvStore());
 * const leader = await campaign(client, utf8("e"), (await client.leaseGrant(10)).id, utf8("me"));
 * console.log(leader.revision > 1); // true
 * ```
 */
export async function campaign(
  kv: ConcurrencyKv,
  name: Uint8Array,
  leaseId: number,
  value: Uint8Array,
): Promise<LeaderKey> {
  const key = sessionKey(name, leaseId);
  const response = await kv.txn({
    compare: [{ key, target: "create", result: "equal", number: 0 }],
    success: [{ type: "put", request: { key, value, lease: leaseId } }],
    failure: [{ type: "range", request: { key } }],
  });
  let revision = response.header.revision;
  if (!response.succeeded) {
    const first = response.responses[0];
    const existing = first?.type === "range" ? first.response.kvs[0] : undefined;
    if (existing === undefined) throw new SessionExpiredError("election", displayKey(key));
    revision = existing.createRevision;
    if (!bytesEqual(existing.value, value)) await proclaim(kv, { name, key, revision, leaseId }, value);
  }
  await waitForPredecessors(kv, sessionPrefix(name), revision);
  const mine = await kv.range({ key });
  if (mine.kvs[0]?.createRevision !== revision) throw new SessionExpiredError("election", displayKey(key));
  return { name, key, revision, leaseId };
}

/**
 * Announces a new value as the leader.
 *
 * @param kv The key-value service.
 * @param leader The leader key from {@link campaign}.
 * @param value The new value.
 * @returns The revision of the update.
 * @throws {ElectionNotLeaderError} When the entry is gone (leadership lost).
 * @example
 * ```ts
 * import { campaign, KvStore, LocalKvClient, proclaim, utf8 } from "./mod.ts";
 * const client = new LocalKvClient(new KvStore());
 * const leader = await campaign(client, utf8("e"), (await client.leaseGrant(10)).id, utf8("a"));
 * await proclaim(client, leader, utf8("b"));
 * ```
 */
export async function proclaim(kv: ConcurrencyKv, leader: LeaderKey, value: Uint8Array): Promise<number> {
  const response = await kv.txn({
    compare: [{ key: leader.key, target: "create", result: "equal", number: leader.revision }],
    success: [{ type: "put", request: { key: leader.key, value, lease: leader.leaseId } }],
    failure: [],
  });
  if (!response.succeeded) throw new ElectionNotLeaderError("proclaim", displayKey(leader.key));
  return response.header.revision;
}

/**
 * Gives up leadership (or a pending campaign).
 *
 * @param kv The key-value service.
 * @param leader The leader key.
 * @returns Whether the entry was still there and is now deleted.
 * @example
 * ```ts
 * import { campaign, KvStore, LocalKvClient, resign, utf8 } from "./mod.ts";
 * const client = new LocalKvClient(new KvStore());
 * const leader = await campaign(client, utf8("e"), (await client.leaseGrant(10)).id, utf8("a"));
 * console.log(await resign(client, leader)); // true
 * ```
 */
export async function resign(kv: ConcurrencyKv, leader: LeaderKey): Promise<boolean> {
  const response = await kv.txn({
    compare: [{ key: leader.key, target: "create", result: "equal", number: leader.revision }],
    success: [{ type: "deleteRange", request: { key: leader.key } }],
    failure: [],
  });
  return response.succeeded;
}

/**
 * The current leader's entry.
 *
 * @param kv The key-value service.
 * @param name The election.
 * @returns The leader's key-value.
 * @throws {ElectionNoLeaderError} When nobody campaigns.
 * @example
 * ```ts
 * import { electionLeader, KvStore, LocalKvClient, utf8 } from "./mod.ts";
 * const client = new LocalKvClient(new KvStore());
 * await electionLeader(client, utf8("e")).catch((error) => console.log(error.name)); // "ElectionNoLeaderError"
 * ```
 */
export async function electionLeader(kv: ConcurrencyKv, name: Uint8Array): Promise<KeyValue> {
  const response = await kv.range(leaderRequest(name));
  const leader = response.kvs[0];
  if (leader === undefined) throw new ElectionNoLeaderError(displayKey(name));
  return leader;
}

/**
 * Follows an election: `next()` resolves with the leader's entry each time the leader or its value
 * changes (first with the current leader, waiting for one if there is none); null after `cancel()`.
 *
 * @example
 * ```ts
 * import { campaign, ElectionObserver, KvStore, LocalKvClient, utf8 } from "./mod.ts";
 * const client = new LocalKvClient(new KvStore());
 * await campaign(client, utf8("e"), (await client.leaseGrant(10)).id, utf8("a"));
 * const observer = new ElectionObserver(client, utf8("e"));
 * console.log((await observer.next())?.value.length); // 1
 * observer.cancel();
 * ```
 */
export class ElectionObserver {
  readonly #kv: ConcurrencyKv;
  readonly #name: Uint8Array;
  #current: KeyValue | null = null;
  #stream: WatchStream | null = null;
  #canceled = false;

  /**
   * @param kv The key-value service.
   * @param name The election.
   */
  constructor(kv: ConcurrencyKv, name: Uint8Array) {
    this.#kv = kv;
    this.#name = name;
  }

  /** @returns The next leader announcement, or null once cancelled. */
  async next(): Promise<KeyValue | null> {
    while (!this.#canceled) {
      if (this.#current === null) {
        const response = await this.#kv.range(leaderRequest(this.#name));
        const leader = response.kvs[0] ?? await this.#waitForFirst(response.header.revision);
        if (leader === null) return null;
        this.#current = leader;
        return leader;
      }
      const change = await this.#waitForChange(this.#current);
      if (change === undefined) return null;
      this.#current = change;
      if (change !== null) return change;
    }
    return null;
  }

  /** Stops observing; a pending `next()` resolves null. */
  cancel(): void {
    this.#canceled = true;
    this.#stream?.cancel();
  }

  async #waitForFirst(revision: number): Promise<KeyValue | null> {
    const prefix = sessionPrefix(this.#name);
    const stream = this.#open({
      key: prefix,
      rangeEnd: prefixEnd(prefix),
      startRevision: revision + 1,
      noDelete: true,
    });
    try {
      for (;;) {
        const response = await stream.next();
        if (response === null || response.canceled) return null;
        const put = response.events.find((event) => event.type === "put");
        if (put !== undefined) return put.kv;
      }
    } finally {
      stream.cancel();
    }
  }

  /** The leader's next value (KeyValue), null when it left (look again), undefined when cancelled. */
  async #waitForChange(current: KeyValue): Promise<KeyValue | null | undefined> {
    const stream = this.#open({ key: current.key, startRevision: current.modRevision + 1 });
    try {
      for (;;) {
        const response = await stream.next();
        if (response === null) return undefined;
        if (response.canceled) return null;
        for (const event of response.events) {
          if (event.type === "delete") return null;
          if (
            event.kv.createRevision === current.createRevision && !bytesEqual(event.kv.value, current.value)
          ) {
            return event.kv;
          }
        }
      }
    } finally {
      stream.cancel();
    }
  }

  #open(options: Parameters<ConcurrencyKv["watch"]>[0]): WatchStream {
    const stream = this.#kv.watch(options);
    this.#stream = stream;
    return stream;
  }
}
