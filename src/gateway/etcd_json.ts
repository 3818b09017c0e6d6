/**
 * Encodes store answers as etcd 3.4's JSON gateway does: proto field names, int64 as strings, bytes as
 * base64, enums by name, zero values omitted.
 *
 * @module
 */

import type { WatchEvent, WatchResponse } from "../kv/watch.ts";
import type {
  DeleteRangeResponse,
  KeyValue,
  PutResponse,
  RangeResponse,
  ResponseOp,
  TxnResponse,
} from "../kv/types.ts";
import type { GatewayMember, GatewayNodeInfo } from "./backend.ts";
import { encodeBase64 } from "./base64.ts";

/** A JSON object as sent. */
export type JsonObject = Record<string, unknown>;

/**
 * etcd's response header (every field omitted when zero).
 *
 * @param info The node facts.
 * @param revision The revision the answer reflects (0: omitted).
 * @returns The header object.
 * @example
 * ```ts ignore
 * encodeHeader(backend.info(), 5); // {cluster_id: "1", member_id: "1", revision: "5", raft_term: "1"}
 * ```
 */
export function encodeHeader(info: GatewayNodeInfo, revision: number): JsonObject {
  const header: JsonObject = {};
  if (info.clusterId !== 0n) header["cluster_id"] = info.clusterId.toString();
  if (info.memberId !== 0n) header["member_id"] = info.memberId.toString();
  if (revision !== 0) header["revision"] = String(revision);
  if (info.raftTerm !== 0) header["raft_term"] = String(info.raftTerm);
  return header;
}

/**
 * @param kv A key-value.
 * @returns etcd's `KeyValue` JSON.
 * @example
 * ```ts ignore
 * encodeKeyValue(kv); // {key: "YQ==", create_revision: "2", mod_revision: "2", version: "1", value: "MQ=="}
 * ```
 */
export function encodeKeyValue(kv: KeyValue): JsonObject {
  const out: JsonObject = {};
  if (kv.key.length > 0) out["key"] = encodeBase64(kv.key);
  if (kv.createRevision !== 0) out["create_revision"] = String(kv.createRevision);
  if (kv.modRevision !== 0) out["mod_revision"] = String(kv.modRevision);
  if (kv.version !== 0) out["version"] = String(kv.version);
  if (kv.value.length > 0) out["value"] = encodeBase64(kv.value);
  if (kv.lease !== 0) out["lease"] = String(kv.lease);
  return out;
}

/**
 * @param response A range answer.
 * @param header The header object.
 * @returns etcd's `RangeResponse` JSON.
 * @example
 * ```ts ignore
 * encodeRange(response, encodeHeader(info, response.header.revision));
 * ```
 */
export function encodeRange(response: RangeResponse, header: JsonObject): JsonObject {
  const out: JsonObject = { header };
  if (response.kvs.length > 0) out["kvs"] = response.kvs.map(encodeKeyValue);
  if (response.more) out["more"] = true;
  if (response.count !== 0) out["count"] = String(response.count);
  return out;
}

/**
 * @param response A put answer.
 * @param header The header object.
 * @returns etcd's `PutResponse` JSON.
 * @example
 * ```ts ignore
 * encodePut(response, header);
 * ```
 */
export function encodePut(response: PutResponse, header: JsonObject): JsonObject {
  const out: JsonObject = { header };
  if (response.prevKv !== undefined) out["prev_kv"] = encodeKeyValue(response.prevKv);
  return out;
}

/**
 * @param response A delete answer.
 * @param header The header object.
 * @returns etcd's `DeleteRangeResponse` JSON.
 * @example
 * ```ts ignore
 * encodeDeleteRange(response, header);
 * ```
 */
export function encodeDeleteRange(response: DeleteRangeResponse, header: JsonObject): JsonObject {
  const out: JsonObject = { header };
  if (response.deleted !== 0) out["deleted"] = String(response.deleted);
  if (response.prevKvs.length > 0) out["prev_kvs"] = response.prevKvs.map(encodeKeyValue);
  return out;
}

/**
 * etcd's `TxnResponse` JSON. Nested answers carry only a revision in their header, as etcd's apply loop
 * fills them: the revision before the txn until its first change, the txn's revision from then on (a
 * nested txn's own header stays empty).
 *
 * @param response A txn answer.
 * @param header The header object.
 * @returns The JSON.
 * @example
 * ```ts ignore
 * encodeTxn(response, header);
 * ```
 */
export function encodeTxn(response: TxnResponse, header: JsonObject): JsonObject {
  const revision = response.header.revision;
  const beginRevision = changes(response) ? revision - 1 : revision;
  return encodeTxnBody(response, header, { beginRevision, changed: false });
}

interface TxnCursor {
  beginRevision: number;
  changed: boolean;
}

function changes(response: TxnResponse): boolean {
  return response.responses.some((op) =>
    op.type === "put" || (op.type === "deleteRange" && op.response.deleted > 0) ||
    (op.type === "txn" && changes(op.response))
  );
}

function encodeTxnBody(response: TxnResponse, header: JsonObject, cursor: TxnCursor): JsonObject {
  const out: JsonObject = { header };
  if (response.succeeded) out["succeeded"] = true;
  if (response.responses.length > 0) {
    out["responses"] = response.responses.map((op) => encodeResponseOp(op, cursor));
  }
  return out;
}

function innerHeader(cursor: TxnCursor): JsonObject {
  const revision = cursor.beginRevision + (cursor.changed ? 1 : 0);
  return revision === 0 ? {} : { revision: String(revision) };
}

function encodeResponseOp(op: ResponseOp, cursor: TxnCursor): JsonObject {
  switch (op.type) {
    case "range":
      return { response_range: encodeRange(op.response, innerHeader(cursor)) };
    case "put":
      cursor.changed = true;
      return { response_put: encodePut(op.response, innerHeader(cursor)) };
    case "deleteRange":
      if (op.response.deleted > 0) cursor.changed = true;
      return { response_delete_range: encodeDeleteRange(op.response, innerHeader(cursor)) };
    case "txn":
      return { response_txn: encodeTxnBody(op.response, {}, cursor) };
  }
}

function encodeEvent(event: WatchEvent): JsonObject {
  const out: JsonObject = {};
  if (event.type === "delete") out["type"] = "DELETE";
  out["kv"] = encodeKeyValue(event.kv);
  if (event.prevKv !== undefined) out["prev_kv"] = encodeKeyValue(event.prevKv);
  return out;
}

/**
 * etcd's `WatchResponse` JSON (a cancel for compaction carries no revision, as etcd's).
 *
 * @param response The store's watch response.
 * @param watchId The id on this stream.
 * @param info The node facts.
 * @returns The JSON.
 * @example
 * ```ts ignore
 * encodeWatchResponse(response, 0, backend.info());
 * ```
 */
export function encodeWatchResponse(
  response: WatchResponse,
  watchId: number,
  info: GatewayNodeInfo,
): JsonObject {
  const compacted = response.canceled && response.compactRevision !== 0;
  const out: JsonObject = { header: encodeHeader(info, compacted ? 0 : response.header.revision) };
  if (watchId !== 0) out["watch_id"] = String(watchId);
  if (response.created) out["created"] = true;
  if (response.canceled) out["canceled"] = true;
  if (response.compactRevision !== 0) out["compact_revision"] = String(response.compactRevision);
  if (response.cancelReason !== "" && !compacted) out["cancel_reason"] = response.cancelReason;
  if (response.events.length > 0) out["events"] = response.events.map(encodeEvent);
  return out;
}

/**
 * @param member A member.
 * @returns etcd's `Member` JSON.
 * @example
 * ```ts ignore
 * encodeMember(member); // {ID: "1", name: "n1", peerURLs: ["http://127.0.0.1:2380"]}
 * ```
 */
export function encodeMember(member: GatewayMember): JsonObject {
  const out: JsonObject = { ID: member.id.toString() };
  if (member.name !== "") out["name"] = member.name;
  if (member.peerUrls.length > 0) out["peerURLs"] = member.peerUrls;
  if (member.clientUrls.length > 0) out["clientURLs"] = member.clientUrls;
  if (member.isLearner) out["isLearner"] = true;
  return out;
}

/**
 * @param members The members.
 * @returns Their JSON as etcd lists them: by ascending id.
 * @example
 * ```ts ignore
 * encodeMembers(backend.members()); // [{ID: "1", ...}, {ID: "7", ...}]
 * ```
 */
export function encodeMembers(members: readonly GatewayMember[]): JsonObject[] {
  return [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(encodeMember);
}
