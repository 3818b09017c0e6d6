/**
 * The leader's queue of ReadIndex requests, confirmed in batches: every request queued before a heartbeat
 * round is sent is confirmed by that one round once a quorum answers it. Also the heartbeat context
 * encoding that carries the round number and the leader tick at which the heartbeat was sent (for leases).
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import type { NodeId } from "./types.ts";

/** One read waiting for confirmation. */
export interface ReadRequest {
  /** The commit index when the request was accepted (0 while waiting for a current-term commit). */
  index: number;
  /** Who asked: this node (a local read) or a follower (answered with ReadIndexResp). */
  from: NodeId;
  requestContext: Uint8Array;
  /** The heartbeat round that confirms it; 0 until a round is sent for it. */
  round: number;
}

/**
 * Pending reads in arrival order; rounds never decrease along the queue.
 *
 * @example
 * ```ts
 * import { ReadIndexQueue } from "./read_only.ts";
 * const queue = new ReadIndexQueue(16);
 * queue.add({ index: 7, from: 1, requestContext: new Uint8Array(), round: 0 });
 * queue.startRound();
 * console.log(queue.release(queue.sentRound).length); // 1
 * ```
 */
export class ReadIndexQueue {
  readonly limit: number;
  #requests: ReadRequest[] = [];
  #head = 0;
  /** The last heartbeat round sent. */
  sentRound = 0;

  /** @param limit The most pending requests (the config's maxPendingReadIndex). */
  constructor(limit: number) {
    this.limit = limit;
  }

  /** @returns How many requests wait. */
  get size(): number {
    return this.#requests.length - this.#head;
  }

  /** @param request A new request; the caller checked size < limit. */
  add(request: ReadRequest): void {
    assert(this.size < this.limit, () => `read queue holds ${this.size}, the limit is ${this.limit}`);
    this.#requests.push(request);
  }

  /**
   * Gives every request still waiting for a current-term commit the commit index.
   *
   * @param committed The leader's commit index, now of its own term.
   */
  acceptWaiting(committed: number): void {
    for (let i = this.#head; i < this.#requests.length; i++) {
      const request = this.#requests[i]!;
      if (request.index === 0) request.index = committed;
    }
  }

  /** @returns Whether accepted requests wait for a round to be sent; if so, assigns them the next round. */
  startRound(): boolean {
    let started = false;
    for (let i = this.#requests.length - 1; i >= this.#head; i--) {
      const request = this.#requests[i]!;
      if (request.round !== 0) break;
      if (request.index === 0) continue;
      if (!started) {
        this.sentRound++;
        started = true;
      }
      request.round = this.sentRound;
    }
    return started;
  }

  /**
   * Removes and returns the requests confirmed by a quorum acknowledging `round`.
   *
   * @param round The highest round acknowledged by a quorum.
   * @returns The confirmed requests, oldest first.
   */
  release(round: number): ReadRequest[] {
    const released: ReadRequest[] = [];
    while (this.#head < this.#requests.length) {
      const request = this.#requests[this.#head]!;
      if (request.round === 0 || request.round > round) break;
      released.push(request);
      this.#head++;
    }
    if (this.#head === this.#requests.length) {
      this.#requests = [];
      this.#head = 0;
    }
    return released;
  }

  /** Drops everything (the node stopped leading). */
  clear(): void {
    this.#requests = [];
    this.#head = 0;
    this.sentRound = 0;
  }
}

/** Bytes of a heartbeat context: the read round and the send tick, each a float64. */
export const HEARTBEAT_CONTEXT_BYTES = 16;

/**
 * @param round The latest read round sent.
 * @param sentTick The leader's tick count when sending.
 * @returns The context a heartbeat carries and its response echoes.
 * @example
 * ```ts
 * import { decodeHeartbeatContext, encodeHeartbeatContext } from "./read_only.ts";
 * console.log(decodeHeartbeatContext(encodeHeartbeatContext(3, 40))); // { round: 3, sentTick: 40 }
 * ```
 */
export function encodeHeartbeatContext(round: number, sentTick: number): Uint8Array {
  const bytes = new Uint8Array(HEARTBEAT_CONTEXT_BYTES);
  const view = new DataView(bytes.buffer);
  view.setFloat64(0, round);
  view.setFloat64(8, sentTick);
  return bytes;
}

/**
 * @param context A heartbeat response's context.
 * @returns The round and send tick, or null when the context is not one of ours.
 * @example
 * ```ts
 * import { decodeHeartbeatContext } from "./read_only.ts";
 * console.log(decodeHeartbeatContext(new Uint8Array(0))); // null
 * ```
 */
export function decodeHeartbeatContext(context: Uint8Array): { round: number; sentTick: number } | null {
  if (context.byteLength !== HEARTBEAT_CONTEXT_BYTES) return null;
  const view = new DataView(context.buffer, context.byteOffset, context.byteLength);
  const round = view.getFloat64(0);
  const sentTick = view.getFloat64(8);
  if (!Number.isSafeInteger(round) || !Number.isSafeInteger(sentTick)) return null;
  return { round, sentTick };
}
