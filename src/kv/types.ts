/**
 * The request, response and record shapes of the key-value store (the etcd v3 API, with Uint8Array keys
 * and values and safe-integer revisions and lease ids).
 *
 * @module
 */

/**
 * One key's state at one revision. A deleted key's tombstone has `version` 0, `createRevision` 0,
 * an empty value and lease 0 (like an etcd DELETE event's kv).
 */
export interface KeyValue {
  key: Uint8Array;
  /** Revision of the put that created the key's current generation. */
  createRevision: number;
  /** Revision of the last change. */
  modRevision: number;
  /** 1 on create, +1 per put; 0 marks a tombstone. */
  version: number;
  value: Uint8Array;
  /** Attached lease id, 0 for none. */
  lease: number;
}

/** The header of every response: the store revision the answer reflects. */
export interface ResponseHeader {
  revision: number;
}

/** Sort order of a range. */
export type SortOrder = "none" | "ascend" | "descend";
/** What a range sorts by. */
export type SortTarget = "key" | "version" | "create" | "mod" | "value";

/**
 * A range read. `rangeEnd` absent or empty: the single key; `[0]`: every key >= key; otherwise the
 * half-open interval [key, rangeEnd).
 */
export interface RangeRequest {
  key: Uint8Array;
  rangeEnd?: Uint8Array;
  /** Most keys returned; 0 or absent for no limit. */
  limit?: number;
  /** Revision to read at; 0 or absent for the current one. */
  revision?: number;
  sortOrder?: SortOrder;
  sortTarget?: SortTarget;
  keysOnly?: boolean;
  countOnly?: boolean;
  minModRevision?: number;
  maxModRevision?: number;
  minCreateRevision?: number;
  maxCreateRevision?: number;
}

/** The answer to a {@link RangeRequest}. `count` is every key in range (etcd ignores min/max filters there). */
export interface RangeResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  /** Whether keys beyond `limit` matched. */
  more: boolean;
  count: number;
}

/** A put. */
export interface PutRequest {
  key: Uint8Array;
  value: Uint8Array;
  lease?: number;
  prevKv?: boolean;
  /** Keep the current value (the key must exist and `value` must be empty). */
  ignoreValue?: boolean;
  /** Keep the current lease (the key must exist and `lease` must be 0). */
  ignoreLease?: boolean;
}

/** The answer to a {@link PutRequest}. */
export interface PutResponse {
  header: ResponseHeader;
  /** The previous state, when asked for and the key existed. */
  prevKv?: KeyValue;
}

/** A delete of one key or a range (same `rangeEnd` rules as {@link RangeRequest}). */
export interface DeleteRangeRequest {
  key: Uint8Array;
  rangeEnd?: Uint8Array;
  prevKv?: boolean;
}

/** The answer to a {@link DeleteRangeRequest}. */
export interface DeleteRangeResponse {
  header: ResponseHeader;
  deleted: number;
  prevKvs: KeyValue[];
}

/** How a comparison compares. */
export type CompareResult = "equal" | "greater" | "less" | "notEqual";
/** A numeric comparison target. */
export type CompareNumberTarget = "version" | "create" | "mod" | "lease";

/**
 * One transaction guard over a key or a range (every key in range must satisfy it; a missing single key
 * compares as zeros, and a value comparison on a missing key is false).
 */
export type Compare =
  & { key: Uint8Array; rangeEnd?: Uint8Array; result: CompareResult }
  & ({ target: "value"; value: Uint8Array } | { target: CompareNumberTarget; number: number });

/** One operation of a transaction branch. */
export type RequestOp =
  | { type: "range"; request: RangeRequest }
  | { type: "put"; request: PutRequest }
  | { type: "deleteRange"; request: DeleteRangeRequest }
  | { type: "txn"; request: TxnRequest };

/** One operation's answer. */
export type ResponseOp =
  | { type: "range"; response: RangeResponse }
  | { type: "put"; response: PutResponse }
  | { type: "deleteRange"; response: DeleteRangeResponse }
  | { type: "txn"; response: TxnResponse };

/** A transaction: if every comparison holds, the success branch runs, else the failure branch. */
export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

/** The answer to a {@link TxnRequest}. */
export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

/** The answer to a compaction. */
export interface CompactResponse {
  header: ResponseHeader;
}

/** The answer to a lease grant. */
export interface LeaseGrantResponse {
  header: ResponseHeader;
  id: number;
  /** The TTL granted (raised to the minimum when asked below it). */
  ttlSeconds: number;
}

/** The answer to a lease revoke. */
export interface LeaseRevokeResponse {
  header: ResponseHeader;
}

/** The answer to a keepalive: the granted TTL, restarted. */
export interface LeaseKeepAliveResponse {
  header: ResponseHeader;
  id: number;
  ttlSeconds: number;
}

/** The answer to a lease checkpoint: how many of its leases still existed. */
export interface LeaseCheckpointResponse {
  header: ResponseHeader;
  checkpointed: number;
}

/** The answer to a time-to-live query. A missing lease has `ttlSeconds` -1. */
export interface LeaseTimeToLiveResponse {
  header: ResponseHeader;
  id: number;
  /** Remaining seconds (rounded up); -1 when the lease does not exist. */
  ttlSeconds: number;
  grantedTtlSeconds: number;
  /** Attached keys, sorted, when asked for. */
  keys: Uint8Array[];
}

/** The answer to a lease listing. */
export interface LeaseLeasesResponse {
  header: ResponseHeader;
  ids: number[];
}

/** The leader's clock at proposal time: its term (the clock's identity) and its monotonic time. */
export interface LeaderClock {
  term: number;
  nowMs: number;
}
