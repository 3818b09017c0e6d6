/**
 * An in-process client over one {@link KvStore}: every write is applied at the next log index, as a
 * single-node engine would. Used by tests of the concurrency recipes and by single-node embedding.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import type { Command, CommandResponse } from "./commands.ts";
import type { ConcurrencyKv, WatchStream } from "./concurrency.ts";
import type { KvStore } from "./store.ts";
import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  LeaseGrantResponse,
  LeaseKeepAliveResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from "./types.ts";
import type { Watcher, WatchOptions, WatchResponse } from "./watch.ts";

/**
 * Turns a watcher into a promise-based stream.
 *
 * @example
 * ```ts
 * import { KvStore, LocalWatchStream, utf8 } from "./mod.ts";
 * const stream = new LocalWatchStream(new KvStore().watch({ key: utf8("a") }));
 * stream.next().then((response) => console.log(response?.created)); // true
 * ```
 */
export class LocalWatchStream implements WatchStream {
  readonly #watcher: Watcher;
  #waiting: ((response: WatchResponse | null) => void) | null = null;

  /** @param watcher The watcher (its `onReady` is taken over). */
  constructor(watcher: Watcher) {
    this.#watcher = watcher;
    watcher.onReady = () => this.#deliver();
  }

  /** @returns The watcher's id. */
  get watchId(): number {
    return this.#watcher.id;
  }

  /** @returns The next response, or null once the watch has ended. */
  next(): Promise<WatchResponse | null> {
    assert(this.#waiting === null, "LocalWatchStream.next called while a previous next is pending");
    const response = this.#pollAll();
    if (response !== null) return Promise.resolve(response);
    if (this.#watcher.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  /** Ends the watch; a pending `next()` resolves null. */
  cancel(): void {
    this.#watcher.cancel();
    this.#settle(null);
  }

  /** Polls past revisions with nothing for this watcher (one poll scans a bounded number of them). */
  #pollAll(): WatchResponse | null {
    let response = this.#watcher.poll();
    while (response === null && this.#watcher.hasPending) response = this.#watcher.poll();
    return response;
  }

  #deliver(): void {
    if (this.#waiting === null) return;
    const response = this.#pollAll();
    if (response !== null) this.#settle(response);
    else if (this.#watcher.closed) this.#settle(null);
  }

  #settle(response: WatchResponse | null): void {
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.(response);
  }
}

/**
 * The in-process client. Time for lease commands comes from its `nowMs` field (tests move it).
 *
 * @example
 * ```ts
 * import { KvStore, LocalKvClient, utf8 } from "./mod.ts";
 * const client = new LocalKvClient(new KvStore());
 * await client.put({ key: utf8("a"), value: utf8("1") });
 * console.log((await client.range({ key: utf8("a") })).count); // 1
 * ```
 */
export class LocalKvClient implements ConcurrencyKv {
  readonly store: KvStore;
  /** The leader clock stamped on lease commands. */
  nowMs = 0;
  term = 1;
  #index: number;

  /** @param store The store to drive. */
  constructor(store: KvStore) {
    this.store = store;
    this.#index = store.appliedIndex;
  }

  /**
   * Applies a command at the next index.
   *
   * @param command The command.
   * @returns Its answer.
   * @throws {KvError} The command's domain error.
   */
  execute(command: Command): CommandResponse {
    const result = this.store.applyCommand(++this.#index, { command, clientId: 0, sequence: 0 });
    if (!result.ok) throw result.error;
    return result.response;
  }

  /**
   * @param request The read.
   * @returns The answer.
   */
  range(request: RangeRequest): Promise<RangeResponse> {
    return Promise.resolve(this.store.range(request));
  }

  /**
   * @param request The put.
   * @returns The answer.
   */
  put(request: PutRequest): Promise<PutResponse> {
    const response = this.execute({ type: "put", request });
    assert(response.type === "put", "put answered with another type");
    return Promise.resolve(response.response);
  }

  /**
   * @param request The delete.
   * @returns The answer.
   */
  deleteRange(request: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    const response = this.execute({ type: "deleteRange", request });
    assert(response.type === "deleteRange", "delete answered with another type");
    return Promise.resolve(response.response);
  }

  /**
   * @param request The transaction.
   * @returns The answer.
   */
  txn(request: TxnRequest): Promise<TxnResponse> {
    const response = this.execute({ type: "txn", request });
    assert(response.type === "txn", "txn answered with another type");
    return Promise.resolve(response.response);
  }

  /**
   * @param ttlSeconds The TTL.
   * @param id The id (0: the store picks).
   * @returns The grant.
   */
  leaseGrant(ttlSeconds: number, id = 0): Promise<LeaseGrantResponse> {
    const response = this.execute({
      type: "leaseGrant",
      id,
      ttlSeconds,
      clock: { term: this.term, nowMs: this.nowMs },
    });
    assert(response.type === "leaseGrant", "grant answered with another type");
    return Promise.resolve(response.response);
  }

  /**
   * @param id The lease.
   * @returns The keepalive's answer.
   */
  leaseKeepAlive(id: number): Promise<LeaseKeepAliveResponse> {
    const response = this.execute({
      type: "leaseKeepAlive",
      id,
      clock: { term: this.term, nowMs: this.nowMs },
    });
    assert(response.type === "leaseKeepAlive", "keepalive answered with another type");
    return Promise.resolve(response.response);
  }

  /**
   * @param id The lease.
   * @returns When revoked.
   */
  leaseRevoke(id: number): Promise<void> {
    this.execute({ type: "leaseRevoke", id });
    return Promise.resolve();
  }

  /**
   * Plays the leader's expiry duty once: revokes every lease expired at `nowMs`.
   *
   * @returns The revoked lease ids.
   */
  revokeExpiredLeases(): number[] {
    const expired = this.store.expiredLeases(this.nowMs, 1_000);
    for (const id of expired) this.execute({ type: "leaseRevoke", id });
    return expired;
  }

  /**
   * @param options What to watch.
   * @returns The stream.
   */
  watch(options: WatchOptions): LocalWatchStream {
    return new LocalWatchStream(this.store.watch(options));
  }
}
