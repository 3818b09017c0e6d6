/**
 * Turns the client's friendly arguments (string or byte keys, key spans, options) into the store's
 * request shapes.
 *
 * @module
 */

import { prefixEnd, utf8 } from "../kv/bytes.ts";
import type { Compare, DeleteRangeRequest, PutRequest, RangeRequest, RequestOp } from "../kv/types.ts";
import type { Bytes, DeleteOptions, KeySpan, PutOptions, RangeOptions, TxnCompare, TxnOp } from "./types.ts";

/**
 * @param value Text or bytes.
 * @returns Bytes (text as UTF-8).
 * @example
 * ```ts
 * import { toBytes } from "./embedded_request.ts";
 * console.log(toBytes("a").length); // 1
 * ```
 */
export function toBytes(value: Bytes): Uint8Array {
  return typeof value === "string" ? utf8(value) : value;
}

/**
 * The store's start key for a key span: an empty key with a prefix or `fromKey` means every key, which
 * the store spells as the key `\0`.
 *
 * @param key The span's key.
 * @param span The span options.
 * @returns The key bytes.
 * @example
 * ```ts
 * import { spanKey } from "./embedded_request.ts";
 * console.log(spanKey("", { prefix: true })); // Uint8Array [0]
 * ```
 */
export function spanKey(key: Bytes, span: KeySpan): Uint8Array {
  const bytes = toBytes(key);
  if (bytes.length === 0 && (span.prefix === true || span.fromKey === true)) return new Uint8Array([0]);
  return bytes;
}

/**
 * The store's `rangeEnd` for a key span.
 *
 * @param key The span's key.
 * @param span The span options.
 * @returns The rangeEnd, or undefined for the single key.
 * @throws {TypeError} When more than one of prefix, fromKey and rangeEnd is given.
 * @example
 * ```ts
 * import { spanEnd } from "./embedded_request.ts";
 * console.log(spanEnd(new Uint8Array([97]), { prefix: true })); // Uint8Array [98]
 * ```
 */
export function spanEnd(key: Uint8Array, span: KeySpan): Uint8Array | undefined {
  const given = [span.prefix === true, span.fromKey === true, span.rangeEnd !== undefined].filter(Boolean);
  if (given.length > 1) {
    throw new TypeError("Cannot read a key span: give at most one of prefix, fromKey and rangeEnd");
  }
  if (span.prefix === true) return prefixEnd(key);
  if (span.fromKey === true) return new Uint8Array([0]);
  return span.rangeEnd === undefined ? undefined : toBytes(span.rangeEnd);
}

/**
 * @param key The key.
 * @param options Range options.
 * @returns The store's range request.
 * @example
 * ```ts
 * import { rangeRequest } from "./embedded_request.ts";
 * console.log(rangeRequest("a", { limit: 2 }).limit); // 2
 * ```
 */
export function rangeRequest(key: Bytes, options: RangeOptions = {}): RangeRequest {
  const keyBytes = spanKey(key, options);
  const request: RangeRequest = { key: keyBytes };
  const end = spanEnd(toBytes(key), options);
  if (end !== undefined) request.rangeEnd = end;
  const fields = [
    "limit",
    "revision",
    "sortOrder",
    "sortTarget",
    "keysOnly",
    "countOnly",
    "minModRevision",
    "maxModRevision",
    "minCreateRevision",
    "maxCreateRevision",
  ] as const;
  for (const field of fields) {
    if (options[field] !== undefined) (request as unknown as Record<string, unknown>)[field] = options[field];
  }
  return request;
}

/**
 * @param key The key.
 * @param value The value.
 * @param options Put options.
 * @returns The store's put request.
 * @example
 * ```ts
 * import { putRequest } from "./embedded_request.ts";
 * console.log(putRequest("a", "b", { lease: 3 }).lease); // 3
 * ```
 */
export function putRequest(key: Bytes, value: Bytes, options: PutOptions = {}): PutRequest {
  const request: PutRequest = { key: toBytes(key), value: toBytes(value) };
  if (options.lease !== undefined) request.lease = options.lease;
  if (options.prevKv !== undefined) request.prevKv = options.prevKv;
  if (options.ignoreValue !== undefined) request.ignoreValue = options.ignoreValue;
  if (options.ignoreLease !== undefined) request.ignoreLease = options.ignoreLease;
  return request;
}

/**
 * @param key The key.
 * @param options Delete options.
 * @returns The store's delete request.
 * @example
 * ```ts
 * import { deleteRequest } from "./embedded_request.ts";
 * console.log(deleteRequest("a", { prefix: true }).rangeEnd?.length); // 1
 * ```
 */
export function deleteRequest(key: Bytes, options: DeleteOptions = {}): DeleteRangeRequest {
  const keyBytes = spanKey(key, options);
  const request: DeleteRangeRequest = { key: keyBytes };
  const end = spanEnd(toBytes(key), options);
  if (end !== undefined) request.rangeEnd = end;
  if (options.prevKv !== undefined) request.prevKv = options.prevKv;
  return request;
}

/**
 * @param compare A client comparison.
 * @returns The store's comparison.
 * @example
 * ```ts
 * import { compareOf } from "./embedded_request.ts";
 * console.log(compareOf({ key: "a", target: "version", result: "equal", number: 0 }).target); // "version"
 * ```
 */
export function compareOf(compare: TxnCompare): Compare {
  const base = { key: toBytes(compare.key), result: compare.result };
  const withEnd = compare.rangeEnd === undefined ? base : { ...base, rangeEnd: toBytes(compare.rangeEnd) };
  return compare.target === "value"
    ? { ...withEnd, target: "value", value: toBytes(compare.value) }
    : { ...withEnd, target: compare.target, number: compare.number };
}

/**
 * @param op A client operation.
 * @returns The store's operation.
 * @example
 * ```ts
 * import { requestOpOf } from "./embedded_request.ts";
 * console.log(requestOpOf({ type: "delete", key: "a" }).type); // "deleteRange"
 * ```
 */
export function requestOpOf(op: TxnOp): RequestOp {
  switch (op.type) {
    case "get":
      return { type: "range", request: rangeRequest(op.key, op.options) };
    case "put":
      return { type: "put", request: putRequest(op.key, op.value, op.options) };
    case "delete":
      return { type: "deleteRange", request: deleteRequest(op.key, op.options) };
  }
}
