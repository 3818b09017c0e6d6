/**
 * Membership changes asked of a member that does not lead: the change goes to the leader as an application
 * request, the leader proposes it and answers once it is applied there (with the entry's index and term, so
 * the asking member can wait until it applied it too). A change is sent again only when the receiver
 * answers that it does not lead (it then proposed nothing); an unanswered change times out like a write,
 * since it may still be applied.
 *
 * @module
 */

import type { Transport } from "../ports/transport.ts";
import { decodeConfChange, encodeConfChange } from "../raft/conf_change_codec.ts";
import { ConfChangeRejectedError } from "../raft/errors.ts";
import type { ConfChange, NodeId } from "../raft/types.ts";
import { TooManyRequestsError } from "./errors.ts";
import { AppRequestKind } from "./snapshot_stream_codec.ts";

/** Most membership changes waiting on one node (the core allows one uncommitted change at a time). */
export const CONF_CHANGES_PENDING_MAX = 16;

/** Where a membership change was applied on the leader. */
export interface AppliedAt {
  index: number;
  term: number;
}

/** The leader's answer to a forwarded membership change. */
export type AdminAnswer =
  | { kind: "applied"; at: AppliedAt }
  /** The receiver does not lead (or cannot propose now): nothing was proposed, ask the leader. */
  | { kind: "notLeader" }
  | { kind: "rejected"; reason: string }
  | { kind: "busy" }
  | { kind: "failed"; message: string };

const ANSWER_KINDS = ["applied", "notLeader", "rejected", "busy", "failed"] as const;

/**
 * @param change A membership change.
 * @returns The request payload.
 * @example
 * ```ts
 * import { decodeAdminRequest, encodeAdminRequest } from "./admin_forward.ts";
 * const change = { transition: "auto" as const, changes: [{ type: "remove" as const, nodeId: 7 }], context: new Uint8Array(0) };
 * console.log(decodeAdminRequest(encodeAdminRequest(change)).changes[0]?.nodeId); // 7
 * ```
 */
export function encodeAdminRequest(change: ConfChange): Uint8Array {
  const body = encodeConfChange(change);
  const payload = new Uint8Array(body.length + 1);
  payload[0] = AppRequestKind.Admin;
  payload.set(body, 1);
  return payload;
}

/**
 * @param payload A request payload of kind Admin.
 * @returns The change.
 * @throws {RangeError} When malformed.
 * @example
 * ```ts ignore
 * const change = decodeAdminRequest(payload);
 * ```
 */
export function decodeAdminRequest(payload: Uint8Array): ConfChange {
  return decodeConfChange(payload.subarray(1));
}

/**
 * @param answer The answer.
 * @returns The response payload.
 * @example
 * ```ts
 * import { decodeAdminAnswer, encodeAdminAnswer } from "./admin_forward.ts";
 * console.log(decodeAdminAnswer(encodeAdminAnswer({ kind: "busy" })).kind); // "busy"
 * ```
 */
export function encodeAdminAnswer(answer: AdminAnswer): Uint8Array {
  const kind = ANSWER_KINDS.indexOf(answer.kind);
  if (answer.kind === "applied") {
    const payload = new Uint8Array(17);
    const view = new DataView(payload.buffer);
    view.setFloat64(1, answer.at.index);
    view.setFloat64(9, answer.at.term);
    return payload;
  }
  const text = answer.kind === "rejected" ? answer.reason : answer.kind === "failed" ? answer.message : "";
  const bytes = new TextEncoder().encode(text);
  const payload = new Uint8Array(bytes.length + 1);
  payload[0] = kind;
  payload.set(bytes, 1);
  return payload;
}

/**
 * @param payload A response payload to an Admin request.
 * @returns The answer.
 * @throws {RangeError} For an unknown kind or a short payload.
 * @example
 * ```ts
 * import { decodeAdminAnswer, encodeAdminAnswer } from "./admin_forward.ts";
 * const answer = decodeAdminAnswer(encodeAdminAnswer({ kind: "applied", at: { index: 9, term: 2 } }));
 * console.log(answer.kind === "applied" && answer.at.index); // 9
 * ```
 */
export function decodeAdminAnswer(payload: Uint8Array): AdminAnswer {
  const kind = ANSWER_KINDS[payload[0] ?? -1];
  const text = () => new TextDecoder().decode(payload.subarray(1));
  switch (kind) {
    case "applied": {
      if (payload.length !== 17) {
        throw new RangeError(`Cannot decode an admin answer of ${payload.length} bytes`);
      }
      const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
      return { kind, at: { index: view.getFloat64(1), term: view.getFloat64(9) } };
    }
    case "notLeader":
    case "busy":
      return { kind };
    case "rejected":
      return { kind, reason: text() };
    case "failed":
      return { kind, message: text() };
    default:
      throw new RangeError(`Cannot decode an admin answer: unknown kind ${payload[0]}`);
  }
}

interface PendingChange {
  change: ConfChange;
  deadlineMs: number;
  resolve(at: AppliedAt): void;
  reject(error: Error): void;
}

/**
 * Membership changes this node forwarded to the leader.
 *
 * @example
 * ```ts ignore
 * const at = await admin.submit(change, leaderId, deadlineMs);
 * ```
 */
export class AdminForwarder {
  readonly #transport: Transport;
  readonly #nextCorrelationId: () => number;
  readonly #sent = new Map<number, PendingChange>();
  #waiting: PendingChange[] = [];

  /**
   * @param transport The peer transport.
   * @param nextCorrelationId Draws correlation ids (shared with the node's other application requests).
   */
  constructor(transport: Transport, nextCorrelationId: () => number) {
    this.#transport = transport;
    this.#nextCorrelationId = nextCorrelationId;
  }

  /**
   * Sends a change to the leader, or holds it until one is known.
   *
   * @param change The change.
   * @param leaderId The leader (0: none known yet).
   * @param deadlineMs When the caller gives up.
   * @returns Where the leader applied it.
   * @throws {TooManyRequestsError} When CONF_CHANGES_PENDING_MAX changes already wait.
   */
  submit(change: ConfChange, leaderId: NodeId, deadlineMs: number): Promise<AppliedAt> {
    if (this.#sent.size + this.#waiting.length >= CONF_CHANGES_PENDING_MAX) {
      const error = new TooManyRequestsError(
        "change the membership",
        "CONF_CHANGES_PENDING_MAX",
        CONF_CHANGES_PENDING_MAX,
      );
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      const pending: PendingChange = { change, deadlineMs, resolve, reject };
      if (leaderId === 0) this.#waiting.push(pending);
      else this.#send(pending, leaderId);
    });
  }

  /**
   * @param correlationId The answered request.
   * @param payload The answer.
   * @returns Whether the answer was for a change this node forwarded.
   */
  onAnswer(correlationId: number, payload: Uint8Array): boolean {
    const pending = this.#sent.get(correlationId);
    if (pending === undefined) return false;
    this.#sent.delete(correlationId);
    const answer = decodeAdminAnswer(payload);
    switch (answer.kind) {
      case "applied":
        pending.resolve(answer.at);
        break;
      case "notLeader":
        this.#waiting.push(pending);
        break;
      case "rejected":
        pending.reject(new ConfChangeRejectedError(answer.reason));
        break;
      case "busy":
        pending.reject(
          new TooManyRequestsError(
            "change the membership",
            "CONF_CHANGES_PENDING_MAX (on the leader)",
            CONF_CHANGES_PENDING_MAX,
          ),
        );
        break;
      case "failed":
        pending.reject(new Error(answer.message));
    }
    return true;
  }

  /**
   * Fails changes past their deadline and sends the waiting ones to the leader.
   *
   * @param leaderId The leader (0: none known).
   * @param nowMs The time.
   * @param timeout Makes the error for a change past its deadline.
   */
  tick(leaderId: NodeId, nowMs: number, timeout: () => Error): void {
    for (const [id, pending] of this.#sent) {
      if (pending.deadlineMs > nowMs) continue;
      this.#sent.delete(id);
      pending.reject(timeout());
    }
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const pending of waiting) {
      if (pending.deadlineMs <= nowMs) pending.reject(timeout());
      else if (leaderId === 0) this.#waiting.push(pending);
      else this.#send(pending, leaderId);
    }
  }

  /** @param error Fails every change in flight with it. */
  failAll(error: Error): void {
    for (const pending of [...this.#sent.values(), ...this.#waiting]) pending.reject(error);
    this.#sent.clear();
    this.#waiting = [];
  }

  #send(pending: PendingChange, leaderId: NodeId): void {
    const correlationId = this.#nextCorrelationId();
    this.#sent.set(correlationId, pending);
    const payload = encodeAdminRequest(pending.change);
    if (this.#transport.sendApp(leaderId, { kind: "request", correlationId, payload })) return;
    // Never queued, so never proposed: try again at the next tick.
    this.#sent.delete(correlationId);
    this.#waiting.push(pending);
  }
}
