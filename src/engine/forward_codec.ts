/**
 * The payloads of the application frames a follower uses to forward a write to the leader, and the
 * leader's answers. A request carries the encoded command (with its dedup identity, so a retry applies
 * once); an answer carries the encoded apply result, or why the leader could not take it.
 *
 * @module
 */

import type { ApplyResult } from "../kv/commands.ts";
import { decodeApplyResult, encodeApplyResult } from "../kv/result_codec.ts";

/** What a forward answer says. */
export type ForwardAnswer =
  | { kind: "applied"; result: ApplyResult }
  /** The receiver is not the leader (any more): find the leader and retry. */
  | { kind: "notLeader" }
  /** The leader's queue is full. */
  | { kind: "busy" };

const REQUEST_WRITE = 1;
const ANSWER_APPLIED = 0;
const ANSWER_NOT_LEADER = 1;
const ANSWER_BUSY = 2;

/**
 * Encodes a forwarded write.
 *
 * @param commandBytes The encoded command (see `encodeCommand`), with a non-zero client id.
 * @returns The request payload.
 * @example
 * ```ts
 * import { encodeForwardRequest } from "./forward_codec.ts";
 * console.log(encodeForwardRequest(new Uint8Array([9])).length); // 2
 * ```
 */
export function encodeForwardRequest(commandBytes: Uint8Array): Uint8Array {
  const payload = new Uint8Array(commandBytes.length + 1);
  payload[0] = REQUEST_WRITE;
  payload.set(commandBytes, 1);
  return payload;
}

/**
 * Decodes a forwarded write.
 *
 * @param payload The request payload.
 * @returns The encoded command.
 * @throws {RangeError} For an unknown request kind.
 * @example
 * ```ts
 * import { decodeForwardRequest, encodeForwardRequest } from "./forward_codec.ts";
 * console.log(decodeForwardRequest(encodeForwardRequest(new Uint8Array([9])))[0]); // 9
 * ```
 */
export function decodeForwardRequest(payload: Uint8Array): Uint8Array {
  if (payload[0] !== REQUEST_WRITE) {
    throw new RangeError(`Cannot decode a forwarded request: unknown kind ${payload[0]}`);
  }
  return payload.subarray(1);
}

/**
 * Encodes an answer.
 *
 * @param answer The answer.
 * @returns The response payload.
 * @example
 * ```ts
 * import { encodeForwardAnswer } from "./forward_codec.ts";
 * console.log(encodeForwardAnswer({ kind: "busy" })[0]); // 2
 * ```
 */
export function encodeForwardAnswer(answer: ForwardAnswer): Uint8Array {
  if (answer.kind === "notLeader") return Uint8Array.of(ANSWER_NOT_LEADER);
  if (answer.kind === "busy") return Uint8Array.of(ANSWER_BUSY);
  const result = encodeApplyResult(answer.result);
  const payload = new Uint8Array(result.length + 1);
  payload[0] = ANSWER_APPLIED;
  payload.set(result, 1);
  return payload;
}

/**
 * Decodes an answer.
 *
 * @param payload The response payload.
 * @returns The answer.
 * @throws {RangeError} For an unknown answer kind.
 * @throws {CodecError} For a malformed result.
 * @example
 * ```ts
 * import { decodeForwardAnswer, encodeForwardAnswer } from "./forward_codec.ts";
 * console.log(decodeForwardAnswer(encodeForwardAnswer({ kind: "notLeader" })).kind); // "notLeader"
 * ```
 */
export function decodeForwardAnswer(payload: Uint8Array): ForwardAnswer {
  switch (payload[0]) {
    case ANSWER_APPLIED:
      return { kind: "applied", result: decodeApplyResult(payload.subarray(1)) };
    case ANSWER_NOT_LEADER:
      return { kind: "notLeader" };
    case ANSWER_BUSY:
      return { kind: "busy" };
    default:
      throw new RangeError(`Cannot decode a forward answer: unknown kind ${payload[0]}`);
  }
}
