/**
 * The remote client's JSON codec: store request shapes to etcd's `/v3` JSON bodies and etcd's JSON answers
 * back to store response shapes (the inverse of the gateway's encoding).
 *
 * @module
 */

import { decodeBase64, encodeBase64 } from "../gateway/base64.ts";
import type {
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from "../kv/types.ts";
import type { WatchEvent, WatchResponse } from "../kv/watch.ts";

/** A JSON object. */
export type Json = Record<string, unknown>;

const EMPTY = new Uint8Array(0);

function bytesOf(value: unknown): Uint8Array {
  if (typeof value !== "string") return EMPTY;
  const decoded = decodeBase64(value);
  if (decoded === null) throw new TypeError(`Cannot decode the server's answer: "${value}" is not base64`);
  return decoded;
}

function numberOf(value: unknown): number {
  return value === undefined ? 0 : Number(value);
}

function putIf(body: Json, name: string, value: unknown): void {
  if (value === undefined || value === false || value === 0) return;
  body[name] = value instanceof Uint8Array
    ? encodeBase64(value)
    : typeof value === "number"
    ? String(value)
    : value;
}

/**
 * @param request A range.
 * @returns Its `/v3/kv/range` body.
 * @example
 * ```ts
 * import { encodeRangeRequest } from "./http_codec.ts";
 * console.log(encodeRangeRequest({ key: new Uint8Array([97]) })); // { key: "YQ==" }
 * ```
 */
export function encodeRangeRequest(request: RangeRequest): Json {
  const body: Json = { key: encodeBase64(request.key) };
  putIf(body, "range_end", request.rangeEnd);
  putIf(body, "limit", request.limit);
  putIf(body, "revision", request.revision);
  if (request.sortOrder !== undefined && request.sortOrder !== "none") {
    body["sort_order"] = request.sortOrder.toUpperCase();
  }
  if (request.sortTarget !== undefined && request.sortTarget !== "key") {
    body["sort_target"] = request.sortTarget.toUpperCase();
  }
  putIf(body, "keys_only", request.keysOnly);
  putIf(body, "count_only", request.countOnly);
  putIf(body, "min_mod_revision", request.minModRevision);
  putIf(body, "max_mod_revision", request.maxModRevision);
  putIf(body, "min_create_revision", request.minCreateRevision);
  putIf(body, "max_create_revision", request.maxCreateRevision);
  return body;
}

/**
 * @param request A put.
 * @returns Its `/v3/kv/put` body.
 * @example
 * ```ts
 * import { encodePutRequest } from "./http_codec.ts";
 * console.log(encodePutRequest({ key: new Uint8Array([97]), value: new Uint8Array(0) })); // { key: "YQ==" }
 * ```
 */
export function encodePutRequest(request: PutRequest): Json {
  const body: Json = { key: encodeBase64(request.key) };
  if (request.value.length > 0) body["value"] = encodeBase64(request.value);
  putIf(body, "lease", request.lease);
  putIf(body, "prev_kv", request.prevKv);
  putIf(body, "ignore_value", request.ignoreValue);
  putIf(body, "ignore_lease", request.ignoreLease);
  return body;
}

/**
 * @param request A delete.
 * @returns Its `/v3/kv/deleterange` body.
 * @example
 * ```ts
 * import { encodeDeleteRequest } from "./http_codec.ts";
 * console.log(encodeDeleteRequest({ key: new Uint8Array([97]), prevKv: true })); // { key: "YQ==", prev_kv: true }
 * ```
 */
export function encodeDeleteRequest(request: DeleteRangeRequest): Json {
  const body: Json = { key: encodeBase64(request.key) };
  putIf(body, "range_end", request.rangeEnd);
  putIf(body, "prev_kv", request.prevKv);
  return body;
}

const RESULT_NAMES = { equal: "EQUAL", greater: "GREATER", less: "LESS", notEqual: "NOT_EQUAL" } as const;
const TARGET_FIELDS = {
  version: "version",
  create: "create_revision",
  mod: "mod_revision",
  lease: "lease",
} as const;

function encodeCompare(compare: Compare): Json {
  const body: Json = { key: encodeBase64(compare.key), result: RESULT_NAMES[compare.result] };
  putIf(body, "range_end", compare.rangeEnd);
  if (compare.target === "value") {
    body["target"] = "VALUE";
    body["value"] = encodeBase64(compare.value);
  } else {
    body["target"] = compare.target.toUpperCase();
    body[TARGET_FIELDS[compare.target]] = String(compare.number);
  }
  return body;
}

function encodeOp(op: RequestOp): Json {
  switch (op.type) {
    case "range":
      return { request_range: encodeRangeRequest(op.request) };
    case "put":
      return { request_put: encodePutRequest(op.request) };
    case "deleteRange":
      return { request_delete_range: encodeDeleteRequest(op.request) };
    case "txn":
      return { request_txn: encodeTxnRequest(op.request) };
  }
}

/**
 * @param request A transaction.
 * @returns Its `/v3/kv/txn` body.
 * @example
 * ```ts
 * import { encodeTxnRequest } from "./http_codec.ts";
 * console.log(encodeTxnRequest({ compare: [], success: [], failure: [] }));
 * ```
 */
export function encodeTxnRequest(request: TxnRequest): Json {
  return {
    compare: request.compare.map(encodeCompare),
    success: request.success.map(encodeOp),
    failure: request.failure.map(encodeOp),
  };
}

/**
 * @param json etcd's `KeyValue`.
 * @returns The store's key-value.
 * @example
 * ```ts
 * import { decodeKeyValue } from "./http_codec.ts";
 * console.log(decodeKeyValue({ key: "YQ==", version: "1" }).version); // 1
 * ```
 */
export function decodeKeyValue(json: unknown): KeyValue {
  const kv = (json ?? {}) as Json;
  return {
    key: bytesOf(kv["key"]),
    createRevision: numberOf(kv["create_revision"]),
    modRevision: numberOf(kv["mod_revision"]),
    version: numberOf(kv["version"]),
    value: bytesOf(kv["value"]),
    lease: numberOf(kv["lease"]),
  };
}

/**
 * @param json Any answer with a header.
 * @returns Its header's revision.
 * @example
 * ```ts
 * import { revisionOf } from "./http_codec.ts";
 * console.log(revisionOf({ header: { revision: "4" } })); // 4
 * ```
 */
export function revisionOf(json: Json): { revision: number } {
  return { revision: numberOf((json["header"] as Json | undefined)?.["revision"]) };
}

/**
 * @param json etcd's `RangeResponse`.
 * @returns The store's.
 * @example
 * ```ts
 * import { decodeRangeResponse } from "./http_codec.ts";
 * console.log(decodeRangeResponse({ header: { revision: "1" } }).count); // 0
 * ```
 */
export function decodeRangeResponse(json: Json): RangeResponse {
  return {
    header: revisionOf(json),
    kvs: ((json["kvs"] ?? []) as unknown[]).map(decodeKeyValue),
    more: json["more"] === true,
    count: numberOf(json["count"]),
  };
}

/**
 * @param json etcd's `PutResponse`.
 * @returns The store's.
 * @example
 * ```ts
 * import { decodePutResponse } from "./http_codec.ts";
 * console.log(decodePutResponse({ header: { revision: "2" } }).header.revision); // 2
 * ```
 */
export function decodePutResponse(json: Json): PutResponse {
  const response: PutResponse = { header: revisionOf(json) };
  if (json["prev_kv"] !== undefined) response.prevKv = decodeKeyValue(json["prev_kv"]);
  return response;
}

/**
 * @param json etcd's `DeleteRangeResponse`.
 * @returns The store's.
 * @example
 * ```ts
 * import { decodeDeleteResponse } from "./http_codec.ts";
 * console.log(decodeDeleteResponse({ header: {}, deleted: "2" }).deleted); // 2
 * ```
 */
export function decodeDeleteResponse(json: Json): DeleteRangeResponse {
  return {
    header: revisionOf(json),
    deleted: numberOf(json["deleted"]),
    prevKvs: ((json["prev_kvs"] ?? []) as unknown[]).map(decodeKeyValue),
  };
}

function decodeResponseOp(json: Json): ResponseOp {
  if (json["response_range"] !== undefined) {
    return { type: "range", response: decodeRangeResponse(json["response_range"] as Json) };
  }
  if (json["response_put"] !== undefined) {
    return { type: "put", response: decodePutResponse(json["response_put"] as Json) };
  }
  if (json["response_delete_range"] !== undefined) {
    return { type: "deleteRange", response: decodeDeleteResponse(json["response_delete_range"] as Json) };
  }
  return { type: "txn", response: decodeTxnResponse((json["response_txn"] ?? {}) as Json) };
}

/**
 * @param json etcd's `TxnResponse`.
 * @returns The store's.
 * @example
 * ```ts
 * import { decodeTxnResponse } from "./http_codec.ts";
 * console.log(decodeTxnResponse({ header: {}, succeeded: true }).succeeded); // true
 * ```
 */
export function decodeTxnResponse(json: Json): TxnResponse {
  return {
    header: revisionOf(json),
    succeeded: json["succeeded"] === true,
    responses: ((json["responses"] ?? []) as Json[]).map(decodeResponseOp),
  };
}

function decodeEvent(json: Json): WatchEvent {
  const event: WatchEvent = {
    type: json["type"] === "DELETE" ? "delete" : "put",
    kv: decodeKeyValue(json["kv"]),
  };
  if (json["prev_kv"] !== undefined) event.prevKv = decodeKeyValue(json["prev_kv"]);
  return event;
}

/**
 * @param json etcd's `WatchResponse`.
 * @returns The store's.
 * @example
 * ```ts
 * import { decodeWatchResponse } from "./http_codec.ts";
 * console.log(decodeWatchResponse({ header: {}, created: true }).created); // true
 * ```
 */
export function decodeWatchResponse(json: Json): WatchResponse {
  return {
    watchId: numberOf(json["watch_id"]),
    header: revisionOf(json),
    created: json["created"] === true,
    canceled: json["canceled"] === true,
    compactRevision: numberOf(json["compact_revision"]),
    cancelReason: typeof json["cancel_reason"] === "string" ? json["cancel_reason"] : "",
    events: ((json["events"] ?? []) as Json[]).map(decodeEvent),
  };
}
