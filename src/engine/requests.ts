/**
 * The bookkeeping of requests in flight on one node: writes proposed locally (matched by index AND term
 * when applied), writes forwarded to the leader (matched by correlation id), writes waiting for a leader,
 * and read barriers batched into ReadIndex rounds. Pure data structures; the driver moves requests along.
 *
 * @module
 */

import type { ApplyResult, Command } from "../kv/commands.ts";

/** A write's dedup identity (clientId 0: none). */
export interface WriteIdentity {
  clientId: number;
  sequence: number;
}

/** A write somewhere between its caller and its application. */
export interface WriteRequest {
  command: Command;
  /** Set once the write leaves this node (forwarded), so any retry applies once. */
  identity: WriteIdentity | null;
  deadlineMs: number;
  /** Called exactly once, with the result or the reason it failed. */
  settle(outcome: ApplyResult | Error): void;
}

/** A write proposed to the local core, waiting for its index to be applied. */
export interface ProposedWrite {
  term: number;
  request: WriteRequest;
}

/** A write forwarded to the leader, waiting for its answer. */
export interface ForwardedWrite {
  request: WriteRequest;
  to: number;
  sentAtMs: number;
}

/** A caller waiting for a read point. */
export interface ReadWaiter {
  deadlineMs: number;
  resolve(): void;
  reject(error: Error): void;
}

/** One ReadIndex round serving every read queued before it. */
export interface ReadBatch {
  waiters: ReadWaiter[];
  mode: "safe" | "lease";
  issuedAtMs: number;
  /** The leader when it was issued (a round sent to a leader that lost its role is issued again). */
  leaderId: number;
  /** The read index once the ReadState arrived, else null. */
  index: number | null;
}

/**
 * Encodes a read batch id as a ReadIndex context.
 *
 * @param id The batch id (a safe integer).
 * @returns 8 bytes.
 * @example
 * ```ts
 * import { decodeReadContext, encodeReadContext } from "./requests.ts";
 * console.log(decodeReadContext(encodeReadContext(42))); // 42
 * ```
 */
export function encodeReadContext(id: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, id);
  return bytes;
}

/**
 * Decodes a ReadIndex context.
 *
 * @param bytes The context.
 * @returns The batch id, or -1 when it is not one of ours.
 * @example
 * ```ts
 * import { decodeReadContext } from "./requests.ts";
 * console.log(decodeReadContext(new Uint8Array(3))); // -1
 * ```
 */
export function decodeReadContext(bytes: Uint8Array): number {
  if (bytes.length !== 8) return -1;
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0);
}

/**
 * Takes the entries of a map whose deadline passed.
 *
 * @param map The map.
 * @param deadlineOf A value's deadline.
 * @param nowMs The time.
 * @returns The expired values (removed from the map).
 * @example
 * ```ts
 * import { takeExpired } from "./requests.ts";
 * const map = new Map([[1, 5], [2, 50]]);
 * console.log(takeExpired(map, (value) => value, 10), map.size); // [5] 1
 * ```
 */
export function takeExpired<K, V>(map: Map<K, V>, deadlineOf: (value: V) => number, nowMs: number): V[] {
  const expired: V[] = [];
  for (const [key, value] of map) {
    if (deadlineOf(value) <= nowMs) {
      map.delete(key);
      expired.push(value);
    }
  }
  return expired;
}
