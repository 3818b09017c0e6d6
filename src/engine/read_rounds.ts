/**
 * Linearizable and lease reads: callers queue per mode; each turn one ReadIndex round is issued for
 * everything queued, and every caller of a round is released once the node has applied up to the read
 * index the round got back. Rounds that got no answer (lost message, leader change) are issued again.
 *
 * @module
 */

import { NotLeaderError, ProposalDroppedError } from "../raft/errors.ts";
import type { ReadState } from "../raft/types.ts";
import {
  decodeReadContext,
  encodeReadContext,
  type ReadBatch,
  type ReadWaiter,
  takeExpired,
} from "./requests.ts";

/** The read modes the core serves. */
export type ReadMode = "safe" | "lease";

const MODES: readonly ReadMode[] = ["safe", "lease"];

/**
 * Rounds per mode that may await their read index at once. Reads queued meanwhile wait for the next round,
 * so one quorum round serves many more of them: fewer heartbeats on every node. Two, not one, so a round
 * whose answer was lost does not stall every read until it is retried.
 */
export const READ_ROUNDS_UNANSWERED_MAX = 2;

/**
 * The read queues and rounds of one node.
 *
 * @example
 * ```ts ignore
 * rounds.enqueue("safe", waiter);
 * rounds.issue((context, mode) => raw.readIndex(context, mode), leaderId, nowMs);
 * ```
 */
export class ReadRounds {
  readonly #queues: Record<ReadMode, ReadWaiter[]> = { safe: [], lease: [] };
  readonly #batches = new Map<number, ReadBatch>();
  #batchNext = 1;
  #waiting = 0;
  readonly #unanswered: Record<ReadMode, number> = { safe: 0, lease: 0 };

  /** @returns Callers queued or in a round, not yet released or failed. */
  get waiting(): number {
    return this.#waiting;
  }

  /**
   * @param mode The read mode.
   * @param waiter The caller.
   */
  enqueue(mode: ReadMode, waiter: ReadWaiter): void {
    this.#waiting++;
    this.#queues[mode].push(waiter);
  }

  /**
   * Issues one round per mode with queued callers; a mode whose round the core refuses (no leader yet,
   * too many pending) stays queued for the next turn.
   *
   * @param readIndex The core's readIndex.
   * @param leaderId The current leader.
   * @param nowMs The time.
   * @throws {Error} Whatever else readIndex throws.
   */
  issue(readIndex: (context: Uint8Array, mode: ReadMode) => void, leaderId: number, nowMs: number): void {
    for (const mode of MODES) {
      const waiters = this.#queues[mode];
      if (waiters.length === 0 || this.#unanswered[mode] >= READ_ROUNDS_UNANSWERED_MAX) continue;
      const id = this.#batchNext++;
      try {
        readIndex(encodeReadContext(id), mode);
      } catch (error) {
        if (error instanceof NotLeaderError || error instanceof ProposalDroppedError) continue;
        throw error;
      }
      this.#queues[mode] = [];
      this.#unanswered[mode]++;
      this.#batches.set(id, { waiters, mode, issuedAtMs: nowMs, leaderId, index: null });
    }
  }

  /** @param readStates The Ready's read states: each fixes its round's read index. */
  accept(readStates: readonly ReadState[]): void {
    for (const readState of readStates) {
      const batch = this.#batches.get(decodeReadContext(readState.requestContext));
      if (batch === undefined || batch.index !== null) continue;
      batch.index = readState.index;
      this.#unanswered[batch.mode]--;
    }
  }

  /** @param applied The applied index: rounds at or below it are released. */
  serve(applied: number): void {
    for (const [id, batch] of this.#batches) {
      if (batch.index === null || batch.index > applied) continue;
      this.#batches.delete(id);
      this.#waiting -= batch.waiters.length;
      for (const waiter of batch.waiters) waiter.resolve();
    }
  }

  /**
   * Queues again the rounds that got no read index in time or went to a leader that changed.
   *
   * @param leaderId The current leader.
   * @param nowMs The time.
   * @param retryWindowMs How long a round may stay unanswered.
   */
  retry(leaderId: number, nowMs: number, retryWindowMs: number): void {
    for (const [id, batch] of this.#batches) {
      if (batch.index !== null) continue;
      const leaderChanged = leaderId !== 0 && leaderId !== batch.leaderId;
      if (!leaderChanged && nowMs - batch.issuedAtMs < retryWindowMs) continue;
      this.#batches.delete(id);
      this.#unanswered[batch.mode]--;
      this.#queues[batch.mode].unshift(...batch.waiters);
    }
  }

  /**
   * Rejects callers past their deadline.
   *
   * @param nowMs The time.
   * @param timeout Makes the error for each.
   */
  expire(nowMs: number, timeout: () => Error): void {
    const deadline = (batch: ReadBatch) => Math.min(...batch.waiters.map((waiter) => waiter.deadlineMs));
    for (const batch of takeExpired(this.#batches, deadline, nowMs)) {
      if (batch.index === null) this.#unanswered[batch.mode]--;
      this.#waiting -= batch.waiters.length;
      for (const waiter of batch.waiters) waiter.reject(timeout());
    }
    for (const mode of MODES) {
      const queue = this.#queues[mode];
      this.#queues[mode] = queue.filter((waiter) => waiter.deadlineMs > nowMs);
      this.#waiting -= queue.length - this.#queues[mode].length;
      for (const waiter of queue) if (waiter.deadlineMs <= nowMs) waiter.reject(timeout());
    }
  }

  /** @param error Rejects every caller with it. */
  failAll(error: Error): void {
    for (const batch of this.#batches.values()) for (const waiter of batch.waiters) waiter.reject(error);
    this.#batches.clear();
    for (const mode of MODES) {
      for (const waiter of this.#queues[mode]) waiter.reject(error);
      this.#queues[mode] = [];
    }
    this.#waiting = 0;
    this.#unanswered.safe = 0;
    this.#unanswered.lease = 0;
  }
}
