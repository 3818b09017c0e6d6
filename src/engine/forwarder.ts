/**
 * The follower's side of write forwarding: each write handed to a follower goes to the leader as an
 * application request carrying the encoded command with a dedup identity (so a retry after a lost answer or
 * a leader change applies once), and waits for the answer by correlation id.
 *
 * @module
 */

import { encodeCommand } from "../kv/command_codec.ts";
import type { Transport } from "../ports/transport.ts";
import type { NodeId } from "../raft/types.ts";
import type { RandomSource } from "../util/random.ts";
import { TooManyRequestsError } from "./errors.ts";
import { decodeForwardAnswer, encodeForwardRequest } from "./forward_codec.ts";
import { type ForwardedWrite, takeExpired, type WriteIdentity, type WriteRequest } from "./requests.ts";

/**
 * Forwarded writes in flight.
 *
 * @example
 * ```ts ignore
 * forwarder.send(request, leaderId, nowMs);
 * forwarder.onAnswer(correlationId, payload, requeue);
 * ```
 */
export class Forwarder {
  readonly #transport: Transport;
  readonly #random: RandomSource;
  readonly #limit: number;
  readonly #forwarded = new Map<number, ForwardedWrite>();
  readonly #nextCorrelationId: () => number;

  /**
   * @param transport The peer transport.
   * @param random Draws dedup client ids.
   * @param limit maxForwardedRequests.
   * @param nextCorrelationId Draws correlation ids (shared with the node's other application requests).
   */
  constructor(transport: Transport, random: RandomSource, limit: number, nextCorrelationId: () => number) {
    this.#transport = transport;
    this.#nextCorrelationId = nextCorrelationId;
    this.#random = random;
    this.#limit = limit;
  }

  /**
   * Sends a write to the leader (a send the transport refuses is retried like a lost one).
   *
   * @param request The write.
   * @param leaderId The leader.
   * @param nowMs The time.
   */
  send(request: WriteRequest, leaderId: NodeId, nowMs: number): void {
    if (this.#forwarded.size >= this.#limit) {
      const error = new TooManyRequestsError(
        "forward a write to the leader",
        "maxForwardedRequests",
        this.#limit,
      );
      return request.settle(error);
    }
    request.identity ??= this.#newIdentity();
    let payload: Uint8Array;
    try {
      payload = encodeForwardRequest(encodeCommand(request.command, request.identity));
    } catch (error) {
      return request.settle(error instanceof Error ? error : new Error(String(error)));
    }
    const correlationId = this.#nextCorrelationId();
    this.#forwarded.set(correlationId, { request, to: leaderId, sentAtMs: nowMs });
    this.#transport.sendApp(leaderId, { kind: "request", correlationId, payload });
  }

  /**
   * Handles the leader's answer.
   *
   * @param correlationId The request it answers.
   * @param payload The answer.
   * @param requeue Takes a write back when the receiver was not the leader.
   * @param busyLimit The leader's maxPendingWrites, for the error message.
   * @returns Whether the answer was for a write forwarded by this node (false: some other request's).
   */
  onAnswer(
    correlationId: number,
    payload: Uint8Array,
    requeue: (request: WriteRequest) => void,
    busyLimit: number,
  ): boolean {
    const forwarded = this.#forwarded.get(correlationId);
    if (forwarded === undefined) return false;
    this.#forwarded.delete(correlationId);
    const answer = decodeForwardAnswer(payload);
    const request = forwarded.request;
    if (answer.kind === "applied") request.settle(answer.result);
    else if (answer.kind === "busy") {
      request.settle(new TooManyRequestsError("write", "maxPendingWrites (on the leader)", busyLimit));
    } else requeue(request);
    return true;
  }

  /**
   * Takes back the writes to send again: those sent to a former leader, and those unanswered too long.
   *
   * @param leaderId The current leader (0: none known).
   * @param nowMs The time.
   * @param retryWindowMs How long an answer may take.
   * @returns The writes.
   */
  takeOverdue(leaderId: NodeId, nowMs: number, retryWindowMs: number): WriteRequest[] {
    const overdue: WriteRequest[] = [];
    for (const [id, forwarded] of this.#forwarded) {
      const leaderChanged = leaderId !== 0 && leaderId !== forwarded.to;
      if (!leaderChanged && nowMs - forwarded.sentAtMs < retryWindowMs) continue;
      this.#forwarded.delete(id);
      overdue.push(forwarded.request);
    }
    return overdue;
  }

  /**
   * @param nowMs The time.
   * @param timeout Makes the error for each write past its deadline.
   */
  expire(nowMs: number, timeout: () => Error): void {
    for (const forwarded of takeExpired(this.#forwarded, (f) => f.request.deadlineMs, nowMs)) {
      forwarded.request.settle(timeout());
    }
  }

  /** @param error Fails every write in flight with it. */
  failAll(error: Error): void {
    for (const forwarded of this.#forwarded.values()) forwarded.request.settle(error);
    this.#forwarded.clear();
  }

  #newIdentity(): WriteIdentity {
    const high = this.#random.nextUint32() & 0x1f_ffff;
    const clientId = high * 0x1_0000_0000 + this.#random.nextUint32();
    return { clientId: clientId === 0 ? 1 : clientId, sequence: 1 };
  }
}
