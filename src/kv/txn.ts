/**
 * Transactions: comparisons are all evaluated against the state before the transaction (nested ones too,
 * as etcd does), the chosen path is checked whole, then its operations run in one revision.
 *
 * @module
 */

import { compareBytes } from "./bytes.ts";
import { keyBounds, type MvccStore } from "./mvcc.ts";
import { applyDeleteRange, applyPut, checkPut, putCostBytes, type WriteContext } from "./ops.ts";
import { rangeRead } from "./range.ts";
import type { Compare, KeyValue, RequestOp, ResponseOp, TxnRequest, TxnResponse } from "./types.ts";

/** The path a transaction takes: which branch, and for each nested transaction in it, its own path. */
export interface TxnPath {
  succeeded: boolean;
  ops: RequestOp[];
  /** Per operation: the nested path for a txn operation, null otherwise. */
  nested: (TxnPath | null)[];
}

/**
 * Whether one comparison holds at a revision.
 *
 * @param mvcc The store.
 * @param compare The comparison.
 * @param revision The revision to compare at.
 * @returns True when every key in range satisfies it (a missing key, or an empty range, compares as zeros;
 *   a value comparison on it is false).
 * @example
 * ```ts
 * import { MvccStore } from "./mvcc.ts";
 * import { compareHolds } from "./txn.ts";
 * const holds = compareHolds(new MvccStore(), { key: new Uint8Array([1]), target: "version", result: "equal", number: 0 }, 1);
 * console.log(holds); // true
 * ```
 */
export function compareHolds(mvcc: MvccStore, compare: Compare, revision: number): boolean {
  const isRange = compare.rangeEnd !== undefined && compare.rangeEnd.length > 0;
  if (!isRange) {
    const kv = mvcc.get(compare.key, revision);
    if (kv === undefined && compare.target === "value") return false;
    return compareOne(compare, kv);
  }
  let seen = false;
  for (const kv of mvcc.liveIn(keyBounds(compare.key, compare.rangeEnd), revision)) {
    if (!compareOne(compare, kv)) return false;
    seen = true;
  }
  // An empty range compares as one missing key, as etcd does.
  return seen || compareOne(compare, undefined);
}

function compareOne(compare: Compare, kv: KeyValue | undefined): boolean {
  let order: number;
  if (compare.target === "value") {
    if (kv === undefined) return false;
    order = compareBytes(kv.value, compare.value);
  } else {
    const actual = kv === undefined ? 0 : numberOf(kv, compare.target);
    order = actual - compare.number;
  }
  switch (compare.result) {
    case "equal":
      return order === 0;
    case "notEqual":
      return order !== 0;
    case "greater":
      return order > 0;
    case "less":
      return order < 0;
  }
}

function numberOf(kv: KeyValue, target: "version" | "create" | "mod" | "lease"): number {
  switch (target) {
    case "version":
      return kv.version;
    case "create":
      return kv.createRevision;
    case "mod":
      return kv.modRevision;
    case "lease":
      return kv.lease;
  }
}

/**
 * Evaluates every comparison on the path (at the current revision, before any write).
 *
 * @param mvcc The store.
 * @param request The transaction (already validated).
 * @returns The path.
 * @example
 * ```ts
 * import { MvccStore } from "./mvcc.ts";
 * import { planTxn } from "./txn.ts";
 * console.log(planTxn(new MvccStore(), { compare: [], success: [], failure: [] }).succeeded); // true
 * ```
 */
export function planTxn(mvcc: MvccStore, request: TxnRequest): TxnPath {
  const revision = mvcc.currentRevision;
  const succeeded = request.compare.every((compare) => compareHolds(mvcc, compare, revision));
  const ops = succeeded ? request.success : request.failure;
  const nested = ops.map((op) => op.type === "txn" ? planTxn(mvcc, op.request) : null);
  return { succeeded, ops, nested };
}

/**
 * Checks every operation on a path against the store, and sums what its puts would add.
 *
 * @param context The store parts.
 * @param path The planned path.
 * @returns The bytes the path's puts add.
 * @throws {LeaseNotFoundError} For a put to an unknown lease.
 * @throws {KeyNotFoundError} For ignoreValue/ignoreLease on a missing key.
 * @throws {CompactedError} For a range below the compaction.
 * @throws {FutureRevisionError} For a range above the current revision.
 * @example
 * ```ts
 * // Used by KvStore before opening the transaction's write.
 * ```
 */
export function checkTxnPath(context: WriteContext, path: TxnPath): number {
  let costBytes = 0;
  path.ops.forEach((op, position) => {
    switch (op.type) {
      case "put":
        checkPut(context, op.request);
        costBytes += putCostBytes(op.request);
        break;
      case "range":
        context.mvcc.readRevision(op.request.revision);
        break;
      case "deleteRange":
        break;
      case "txn":
        costBytes += checkTxnPath(context, path.nested[position]!);
        break;
    }
  });
  return costBytes;
}

/**
 * Runs a checked path inside an open write.
 *
 * @param context The store parts.
 * @param path The checked path.
 * @returns The transaction's answer (header revisions are fixed up by {@link finishTxnHeaders}).
 * @example
 * ```ts
 * // Used by KvStore between mvcc.beginWrite() and endWrite().
 * ```
 */
export function runTxnPath(context: WriteContext, path: TxnPath): TxnResponse {
  const responses: ResponseOp[] = path.ops.map((op, position): ResponseOp => {
    switch (op.type) {
      case "range":
        return { type: "range", response: rangeRead(context.mvcc, op.request) };
      case "put":
        return { type: "put", response: applyPut(context, op.request) };
      case "deleteRange":
        return { type: "deleteRange", response: applyDeleteRange(context, op.request) };
      case "txn":
        return { type: "txn", response: runTxnPath(context, path.nested[position]!) };
    }
  });
  return { header: { revision: 0 }, succeeded: path.succeeded, responses };
}

/**
 * Sets every header in a transaction's answer to the transaction's revision.
 *
 * @param response The answer.
 * @param revision The store revision after the transaction.
 * @example
 * ```ts
 * import { finishTxnHeaders } from "./txn.ts";
 * const response = { header: { revision: 0 }, succeeded: true, responses: [] };
 * finishTxnHeaders(response, 3);
 * console.log(response.header.revision); // 3
 * ```
 */
export function finishTxnHeaders(response: TxnResponse, revision: number): void {
  response.header.revision = revision;
  for (const op of response.responses) {
    if (op.type === "txn") finishTxnHeaders(op.response, revision);
    else op.response.header.revision = revision;
  }
}
