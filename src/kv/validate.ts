/**
 * Request validation: the checks that depend only on the request itself (sizes, shapes, transaction
 * limits and duplicate keys), each failing with a {@link ValidationError} naming the field.
 *
 * @module
 */

import { displayKey, displaySize } from "./bytes.ts";
import { ETCD_ERROR_MESSAGES, ValidationError } from "./errors.ts";
import { KEY_BYTES_MAX, TXN_DEPTH_MAX, TXN_OPS_MAX, VALUE_BYTES_MAX } from "./limits.ts";
import { inBounds, type KeyBounds, keyBounds } from "./mvcc.ts";
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from "./types.ts";

/**
 * Checks a key: present and within {@link KEY_BYTES_MAX}.
 *
 * @param action The operation, for the message ("put", "range").
 * @param key The key.
 * @throws {ValidationError} For an empty or oversized key.
 * @example
 * ```ts
 * import { validateKey } from "./validate.ts";
 * validateKey("put", new Uint8Array([1]));
 * ```
 */
export function validateKey(action: string, key: Uint8Array): void {
  if (key.length === 0) {
    throw new ValidationError(
      "key",
      `Cannot ${action}: the key is empty`,
      ETCD_ERROR_MESSAGES.keyNotProvided,
    );
  }
  if (key.length > KEY_BYTES_MAX) {
    throw new ValidationError(
      "key",
      `Cannot ${action} key "${displayKey(key)}": key is ${displaySize(key.length)}, the limit is ${
        displaySize(KEY_BYTES_MAX)
      }`,
    );
  }
}

/**
 * Checks that a numeric field is a non-negative safe integer.
 *
 * @param field The field's name.
 * @param value The value (undefined passes).
 * @throws {ValidationError} Otherwise.
 * @example
 * ```ts
 * import { validateCount } from "./validate.ts";
 * validateCount("limit", 10);
 * ```
 */
export function validateCount(field: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(field, `Invalid ${field} ${value}: it must be a non-negative safe integer`);
  }
}

/**
 * Checks a range request's numbers.
 *
 * @param request The request.
 * @throws {ValidationError} For a negative or fractional number.
 * @example
 * ```ts
 * import { validateRangeRequest } from "./validate.ts";
 * validateRangeRequest({ key: new Uint8Array([1]), limit: 5 });
 * ```
 */
export function validateRangeRequest(request: RangeRequest): void {
  validateCount("limit", request.limit);
  validateCount("revision", request.revision);
  validateCount("minModRevision", request.minModRevision);
  validateCount("maxModRevision", request.maxModRevision);
  validateCount("minCreateRevision", request.minCreateRevision);
  validateCount("maxCreateRevision", request.maxCreateRevision);
}

/**
 * Checks a put's shape (store-independent parts).
 *
 * @param request The put.
 * @throws {ValidationError} For a bad key, an oversized value, or a value/lease given with ignoreValue/ignoreLease.
 * @example
 * ```ts
 * import { validatePut } from "./validate.ts";
 * validatePut({ key: new Uint8Array([1]), value: new Uint8Array([2]) });
 * ```
 */
export function validatePut(request: PutRequest): void {
  validateKey("put", request.key);
  if (request.value.length > VALUE_BYTES_MAX) {
    throw new ValidationError(
      "value",
      `Cannot put key "${displayKey(request.key)}": value is ${
        displaySize(request.value.length)
      }, the limit is ${displaySize(VALUE_BYTES_MAX)}`,
    );
  }
  validateCount("lease", request.lease);
  if (request.ignoreValue === true && request.value.length > 0) {
    throw new ValidationError(
      "value",
      `Cannot put key "${displayKey(request.key)}" with ignoreValue: a value is provided`,
      ETCD_ERROR_MESSAGES.valueProvided,
    );
  }
  if (request.ignoreLease === true && (request.lease ?? 0) !== 0) {
    throw new ValidationError(
      "lease",
      `Cannot put key "${displayKey(request.key)}" with ignoreLease: lease ${request.lease} is provided`,
      ETCD_ERROR_MESSAGES.leaseProvided,
    );
  }
}

/**
 * Checks a delete's key.
 *
 * @param request The delete.
 * @throws {ValidationError} For an empty or oversized key.
 * @example
 * ```ts
 * import { validateDelete } from "./validate.ts";
 * validateDelete({ key: new Uint8Array([1]) });
 * ```
 */
export function validateDelete(request: DeleteRangeRequest): void {
  validateKey("delete", request.key);
}

interface WriteSet {
  puts: Uint8Array[];
  deletes: KeyBounds[];
}

/**
 * Checks a transaction: operation counts ({@link TXN_OPS_MAX} per list), nesting depth, every operation's
 * shape, and that no key is put twice or both put and deleted on one path through it.
 *
 * @param request The transaction.
 * @throws {ValidationError} On any violation (etcd's "too many operations" / "duplicate key" texts).
 * @example
 * ```ts
 * import { validateTxn } from "./validate.ts";
 * validateTxn({ compare: [], success: [], failure: [] });
 * ```
 */
export function validateTxn(request: TxnRequest): void {
  validateTxnAt(request, 0);
}

function validateTxnAt(request: TxnRequest, depth: number): WriteSet {
  if (depth >= TXN_DEPTH_MAX) {
    throw new ValidationError(
      "request_txn",
      `Cannot run a transaction nested ${depth + 1} deep: the limit is ${TXN_DEPTH_MAX}`,
    );
  }
  for (
    const [field, length] of [["compare", request.compare.length], ["success", request.success.length], [
      "failure",
      request.failure.length,
    ]] as const
  ) {
    if (length > TXN_OPS_MAX) {
      throw new ValidationError(
        field,
        `Cannot run a transaction with ${length} ${field} operations: the limit is ${TXN_OPS_MAX}`,
        ETCD_ERROR_MESSAGES.tooManyOps,
      );
    }
  }
  for (const compare of request.compare) {
    validateKey("compare", compare.key);
    if (compare.target !== "value") validateCount(`compare.${compare.target}`, compare.number);
  }
  const success = validateBranch(request.success, depth);
  const failure = validateBranch(request.failure, depth);
  // The two branches are exclusive, so they may share keys; an enclosing branch may share with neither.
  return { puts: [...success.puts, ...failure.puts], deletes: [...success.deletes, ...failure.deletes] };
}

function validateBranch(ops: RequestOp[], depth: number): WriteSet {
  const set: WriteSet = { puts: [], deletes: [] };
  const seen = new Set<string>();
  const addPut = (key: Uint8Array): void => {
    const id = keyId(key);
    if (seen.has(id)) throw duplicateKey(key);
    seen.add(id);
    set.puts.push(key);
  };
  for (const op of ops) {
    switch (op.type) {
      case "range":
        validateKey("range", op.request.key);
        validateRangeRequest(op.request);
        break;
      case "put":
        validatePut(op.request);
        addPut(op.request.key);
        break;
      case "deleteRange":
        validateDelete(op.request);
        set.deletes.push(keyBounds(op.request.key, op.request.rangeEnd));
        break;
      case "txn": {
        const nested = validateTxnAt(op.request, depth + 1);
        const nestedIds = new Set<string>();
        for (const key of nested.puts) {
          const id = keyId(key);
          if (seen.has(id)) throw duplicateKey(key);
          nestedIds.add(id);
        }
        for (const key of nested.puts) set.puts.push(key);
        for (const id of nestedIds) seen.add(id);
        set.deletes.push(...nested.deletes);
        break;
      }
    }
  }
  for (const key of set.puts) {
    for (const bounds of set.deletes) if (inBounds(bounds, key)) throw duplicateKey(key);
  }
  return set;
}

function duplicateKey(key: Uint8Array): ValidationError {
  return new ValidationError(
    "request_op",
    `Cannot run a transaction that writes key "${displayKey(key)}" twice (put twice, or put and deleted)`,
    ETCD_ERROR_MESSAGES.duplicateKey,
  );
}

function keyId(key: Uint8Array): string {
  let id = "";
  for (let i = 0; i < key.length; i++) id += String.fromCharCode(key[i]!);
  return id;
}
