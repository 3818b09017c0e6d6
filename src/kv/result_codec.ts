/**
 * The codec of apply results, so a follower that forwarded a write can hand its client the leader's exact
 * answer, domain errors included (decoded as instances of the same error classes).
 *
 * @module
 */

import { ByteReader, ByteWriter } from "./byte_codec.ts";
import type { ApplyResult, CommandResponse } from "./commands.ts";
import * as errors from "./errors.ts";
import { type PlainValue, readPlainValue, writePlainValue } from "./value_codec.ts";

const ERROR_CLASSES: Record<string, { prototype: errors.KvError }> = {
  KvError: errors.KvError,
  CompactedError: errors.CompactedError,
  FutureRevisionError: errors.FutureRevisionError,
  LeaseNotFoundError: errors.LeaseNotFoundError,
  LeaseExistsError: errors.LeaseExistsError,
  LeaseTtlTooLargeError: errors.LeaseTtlTooLargeError,
  QuotaExceededError: errors.QuotaExceededError,
  RequestTooLargeError: errors.RequestTooLargeError,
  ValidationError: errors.ValidationError,
  KeyNotFoundError: errors.KeyNotFoundError,
  TooManyWatchersError: errors.TooManyWatchersError,
  StaleSequenceError: errors.StaleSequenceError,
  CodecError: errors.CodecError,
  SessionExpiredError: errors.SessionExpiredError,
  ElectionNotLeaderError: errors.ElectionNotLeaderError,
  ElectionNoLeaderError: errors.ElectionNoLeaderError,
};

/**
 * Encodes an apply result.
 *
 * @param result The result.
 * @returns The bytes.
 * @example
 * ```ts
 * import { decodeApplyResult, encodeApplyResult, LeaseNotFoundError } from "./mod.ts";
 * const bytes = encodeApplyResult({ ok: false, error: new LeaseNotFoundError("revoke", 3) });
 * const decoded = decodeApplyResult(bytes);
 * console.log(!decoded.ok && decoded.error instanceof LeaseNotFoundError); // true
 * ```
 */
export function encodeApplyResult(result: ApplyResult): Uint8Array {
  const writer = new ByteWriter();
  if (result.ok) {
    writer.byte(result.duplicate ? 2 : 1);
    writePlainValue(writer, result.response);
  } else {
    writer.byte(0);
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(result.error)) {
      if (typeof value === "string" || typeof value === "number") fields[key] = value;
    }
    writePlainValue(writer, { name: result.error.name, message: result.error.message, fields });
  }
  return writer.finish();
}

/**
 * Decodes an apply result.
 *
 * @param bytes The bytes from {@link encodeApplyResult}.
 * @returns The result; errors are instances of their original class.
 * @throws {CodecError} For malformed bytes.
 * @example
 * ```ts
 * import { decodeApplyResult, encodeApplyResult } from "./mod.ts";
 * const result = decodeApplyResult(encodeApplyResult({
 *   ok: true, duplicate: false, response: { type: "compact", response: { header: { revision: 3 } } },
 * }));
 * console.log(result.ok); // true
 * ```
 */
export function decodeApplyResult(bytes: Uint8Array): ApplyResult {
  const reader = new ByteReader(bytes, "apply result");
  const tag = reader.byte();
  const value = readPlainValue(reader);
  reader.end();
  if (tag === 1 || tag === 2) {
    return { ok: true, duplicate: tag === 2, response: value as unknown as CommandResponse };
  }
  if (tag !== 0) throw reader.fail(`unknown result tag ${tag}`);
  return { ok: false, error: rebuildError(reader, value) };
}

function rebuildError(reader: ByteReader, value: PlainValue): errors.KvError {
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array) {
    throw reader.fail("an error must be an object");
  }
  const { name, message, fields } = value;
  if (typeof name !== "string" || typeof message !== "string") {
    throw reader.fail("an error needs a name and message");
  }
  const errorClass = ERROR_CLASSES[name] ?? errors.KvError;
  // Rebuilt without its constructor, which takes the original arguments rather than the final message.
  const error = Object.create(errorClass.prototype) as errors.KvError;
  Object.assign(error, fields, { name, message });
  return error;
}
