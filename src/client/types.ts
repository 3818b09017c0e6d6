/**
 * The `KvClient` interface: the whole store API (keys, ranges, transactions, watches, leases, locks,
 * elections) with TypeScript types. The embedded client implements it in-process; an HTTP client can
 * implement it over the gateway, so code written against it runs against either.
 *
 * Keys and values are `string` (UTF-8) or `Uint8Array`; answers carry `Uint8Array` keys and values (use
 * `toText` to read them as text).
 *
 * @module
 */

import type {
  CompactResponse,
  CompareNumberTarget,
  CompareResult,
  DeleteRangeResponse,
  KeyValue,
  LeaseTimeToLiveResponse,
  PutResponse,
  RangeResponse,
  SortOrder,
  SortTarget,
  TxnResponse,
} from "../kv/types.ts";
import type { WatchResponse } from "../kv/watch.ts";

export type {
  CompactResponse,
  DeleteRangeResponse,
  KeyValue,
  LeaseTimeToLiveResponse,
  PutResponse,
  RangeResponse,
  TxnResponse,
  WatchResponse,
};

/** A key or value: text (encoded as UTF-8) or bytes. */
export type Bytes = string | Uint8Array;

/**
 * How fresh a read must be: `linearizable` sees every write acknowledged before it (a quorum round,
 * batched); `lease` trusts the leader's lease (no round, bounded clock drift assumed); `serializable` reads
 * this node's state as it is (may be stale on a follower).
 */
export type ReadConsistency = "linearizable" | "lease" | "serializable";

/** Which keys: one key by default; a prefix; every key from it on; or `[key, rangeEnd)`. */
export interface KeySpan {
  /** The end of a half-open range `[key, rangeEnd)`. */
  rangeEnd?: Bytes;
  /** Every key starting with `key`. */
  prefix?: boolean;
  /** Every key `>= key`. */
  fromKey?: boolean;
}

/** Options of {@link KvClient.get}. */
export interface GetOptions {
  /** Read at this past revision (0: current). */
  revision?: number;
  consistency?: ReadConsistency;
}

/** Options of {@link KvClient.range}. */
export interface RangeOptions extends KeySpan, GetOptions {
  /** Most keys returned (0: no limit). */
  limit?: number;
  sortOrder?: SortOrder;
  sortTarget?: SortTarget;
  keysOnly?: boolean;
  countOnly?: boolean;
  minModRevision?: number;
  maxModRevision?: number;
  minCreateRevision?: number;
  maxCreateRevision?: number;
}

/** Options of {@link KvClient.pages}. */
export interface PageOptions extends KeySpan, GetOptions {
  /** Keys per page (default 1,000). */
  pageSize?: number;
  keysOnly?: boolean;
}

/** Options of {@link KvClient.put}. */
export interface PutOptions {
  /** Attach the key to this lease (0: none). */
  lease?: number;
  /** Return the previous key-value. */
  prevKv?: boolean;
  ignoreValue?: boolean;
  ignoreLease?: boolean;
}

/** Options of {@link KvClient.delete}. */
export interface DeleteOptions extends KeySpan {
  prevKv?: boolean;
}

/** Options of {@link KvClient.watch}. */
export interface WatchOptions extends KeySpan {
  /** First revision to deliver (0: changes after now). */
  startRevision?: number;
  prevKv?: boolean;
  noPut?: boolean;
  noDelete?: boolean;
  /** Ends the watch when aborted. */
  signal?: AbortSignal;
}

/** One comparison of a transaction guard. */
export type TxnCompare =
  & { key: Bytes; rangeEnd?: Bytes; result: CompareResult }
  & ({ target: "value"; value: Bytes } | { target: CompareNumberTarget; number: number });

/** One operation of a transaction branch. */
export type TxnOp =
  | { type: "get"; key: Bytes; options?: RangeOptions }
  | { type: "put"; key: Bytes; value: Bytes; options?: PutOptions }
  | { type: "delete"; key: Bytes; options?: DeleteOptions };

/** Builds a transaction: `txn().when(...).then(...).else(...).commit()`. */
export interface TxnBuilder {
  /** Adds guards (all must hold for `then` to run). */
  when(...compares: TxnCompare[]): TxnBuilder;
  /** Operations when every guard holds. */
  then(...ops: TxnOp[]): TxnBuilder;
  /** Operations otherwise. */
  else(...ops: TxnOp[]): TxnBuilder;
  /** Runs it atomically. */
  commit(): Promise<TxnResponse>;
}

/** A stream of watch responses: iterate it; it ends when cancelled, aborted or the engine stops. */
export interface WatchStream extends AsyncIterable<WatchResponse> {
  readonly watchId: number;
  /** Ends the stream. */
  cancel(): void;
}

/** A lease kept alive in the background until stopped. */
export interface KeepAlive extends AsyncDisposable {
  readonly leaseId: number;
  /** Resolves when renewals stop: null after `stop()`, the error when the lease was lost. */
  readonly done: Promise<Error | null>;
  /** Stops renewing (the lease then expires after its TTL unless revoked). */
  stop(): Promise<void>;
}

/** A granted lease. */
export interface Lease {
  readonly id: number;
  readonly ttlSeconds: number;
}

/** A held lock; `await using` releases it. */
export interface Lock extends AsyncDisposable {
  readonly name: Uint8Array;
  /** The holder's key. */
  readonly key: Uint8Array;
  /** Increases with every acquisition: pass it to the resource so a stale holder's writes are refused. */
  readonly fencingToken: number;
  readonly leaseId: number;
  /** Releases the lock and its session lease. */
  release(): Promise<void>;
}

/** Leadership won in an {@link Election}; `await using` resigns. */
export interface Leadership extends AsyncDisposable {
  readonly name: Uint8Array;
  readonly key: Uint8Array;
  /** The campaign key's create revision (a fencing token for the leadership). */
  readonly revision: number;
  readonly leaseId: number;
  /** Announces a new value. */
  proclaim(value: Bytes): Promise<void>;
  /** Gives up leadership and its session lease. */
  resign(): Promise<void>;
}

/** An election by name. */
export interface Election {
  readonly name: Uint8Array;
  /** Resolves once this campaigner leads. */
  campaign(value: Bytes, options?: { ttlSeconds?: number }): Promise<Leadership>;
  /** The current leader's key-value, or null when nobody campaigns. */
  leader(): Promise<KeyValue | null>;
  /** The leader's key-value each time it (or its value) changes. */
  observe(signal?: AbortSignal): AsyncIterable<KeyValue>;
}

/**
 * The key-value client.
 *
 * @example
 * ```ts ignore
 * await client.put("config/a", "1");
 * console.log((await client.get("config/a"))?.value);
 * ```
 */
export interface KvClient {
  /** @returns The key's current (or past) value, or null when absent. */
  get(key: Bytes, options?: GetOptions): Promise<KeyValue | null>;
  /** @returns The keys of a span. */
  range(key: Bytes, options?: RangeOptions): Promise<RangeResponse>;
  /** @returns The pages of a span, all read at the first page's revision. */
  pages(key: Bytes, options?: PageOptions): AsyncIterable<RangeResponse>;
  /** @returns The put's answer. */
  put(key: Bytes, value: Bytes, options?: PutOptions): Promise<PutResponse>;
  /** @returns How many keys were deleted. */
  delete(key: Bytes, options?: DeleteOptions): Promise<DeleteRangeResponse>;
  /** @returns A transaction builder. */
  txn(): TxnBuilder;
  /** Drops history below `revision`. */
  compact(revision: number): Promise<CompactResponse>;
  /** @returns A stream of changes of the span. */
  watch(key: Bytes, options?: WatchOptions): WatchStream;
  /** Grants a lease of `ttlSeconds` (id 0 or absent: picked by the store). */
  grantLease(ttlSeconds: number, options?: { id?: number }): Promise<Lease>;
  /** Revokes a lease: its keys are deleted. */
  revokeLease(id: number): Promise<void>;
  /** Renews a lease once. @returns Its TTL. */
  keepAliveOnce(id: number): Promise<number>;
  /** Renews a lease in the background (every third of its TTL by default) until stopped. */
  keepAlive(id: number, options?: { intervalMs?: number }): KeepAlive;
  /** @returns Remaining and granted TTL (-1 when the lease does not exist), and the keys if asked. */
  leaseTimeToLive(id: number, options?: { keys?: boolean }): Promise<LeaseTimeToLiveResponse>;
  /** @returns Every lease id. */
  leases(): Promise<number[]>;
  /** Acquires a lock (waits for earlier holders), held by a session lease kept alive meanwhile. */
  lock(name: Bytes, options?: { ttlSeconds?: number }): Promise<Lock>;
  /** @returns The election named `name`. */
  election(name: Bytes): Election;
}
