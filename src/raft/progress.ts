/**
 * What a leader knows about each member's log: match/next indexes, the flow-control state (probe,
 * replicate, snapshot) and the bounded window of in-flight appends.
 *
 * @module
 */

import { assert } from "../util/assert.ts";

/** Flow-control state of one follower, as seen by the leader. */
export type ProgressState = "probe" | "replicate" | "snapshot";

/**
 * A ring buffer of the last indexes of appends sent but not yet acknowledged, bounded by maxInflightAppends.
 *
 * @example
 * ```ts
 * import { Inflights } from "./progress.ts";
 * const inflights = new Inflights(2);
 * inflights.add(5);
 * inflights.add(9);
 * inflights.freeLE(5);
 * console.log(inflights.count, inflights.full()); // 1 false
 * ```
 */
export class Inflights {
  readonly capacity: number;
  #buffer: Float64Array;
  #start = 0;
  #count = 0;

  /** @param capacity The most appends in flight at once (the config's maxInflightAppends). */
  constructor(capacity: number) {
    assert(capacity >= 1, () => `inflight capacity ${capacity} < 1`);
    this.capacity = capacity;
    this.#buffer = new Float64Array(capacity);
  }

  /** @returns How many appends are in flight. */
  get count(): number {
    return this.#count;
  }

  /** @returns Whether no more appends may be sent. */
  full(): boolean {
    return this.#count === this.capacity;
  }

  /** @param lastIndex The last index carried by an append just sent (increasing). */
  add(lastIndex: number): void {
    assert(
      this.#count < this.capacity,
      () => `Cannot track append to ${lastIndex}: ${this.capacity} in flight`,
    );
    this.#buffer[(this.#start + this.#count) % this.capacity] = lastIndex;
    this.#count++;
  }

  /** @param index Frees every in-flight append whose last index is <= index. */
  freeLE(index: number): void {
    while (this.#count > 0 && this.#buffer[this.#start]! <= index) {
      this.#start = (this.#start + 1) % this.capacity;
      this.#count--;
    }
  }

  /** Frees the oldest in-flight append (a heartbeat reply shows the follower alive though replies were lost). */
  freeFirstOne(): void {
    if (this.#count === 0) return;
    this.#start = (this.#start + 1) % this.capacity;
    this.#count--;
  }

  /** Frees everything. */
  reset(): void {
    this.#start = 0;
    this.#count = 0;
  }
}

/**
 * One member's replication progress, kept by the leader.
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.ts";
 * const progress = new Progress(11, 4, false);
 * progress.maybeUpdate(10);
 * progress.becomeReplicate();
 * console.log(progress.match, progress.next, progress.state); // 10 11 "replicate"
 * ```
 */
export class Progress {
  // Invariant: 0 <= match < next.
  match = 0;
  next: number;
  state: ProgressState = "probe";
  // Probe state: an append was sent and no answer came yet, so hold further ones.
  probeSent = false;
  // Snapshot state: index of the snapshot in flight.
  pendingSnapshot = 0;
  // Heard from since the last check-quorum round.
  recentActive = false;
  isLearner: boolean;
  // Send one append at the next flush even if it carries nothing new (recovers appends lost in flight).
  forceAppend = false;
  // Highest commit index sent to it (so a commit advance is told once).
  sentCommit = 0;
  // ReadIndex: highest heartbeat round it acknowledged; lease: leader tick when the acked heartbeat was sent.
  readAckRound = 0;
  ackedHeartbeatSentTick = -1;
  readonly inflights: Inflights;

  /**
   * @param next The next index to send.
   * @param maxInflightAppends The in-flight window.
   * @param isLearner Whether the member is a learner.
   */
  constructor(next: number, maxInflightAppends: number, isLearner: boolean) {
    this.next = next;
    this.inflights = new Inflights(maxInflightAppends);
    this.isLearner = isLearner;
  }

  /** Switches to probing from match + 1. */
  becomeProbe(): void {
    if (this.state === "snapshot") {
      const pending = this.pendingSnapshot;
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.next = this.match + 1;
    }
    this.state = "probe";
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }

  /** Switches to optimistic pipelined replication. */
  becomeReplicate(): void {
    this.state = "replicate";
    this.next = this.match + 1;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }

  /** @param snapshotIndex The index of the snapshot being sent. */
  becomeSnapshot(snapshotIndex: number): void {
    this.state = "snapshot";
    this.probeSent = false;
    this.pendingSnapshot = snapshotIndex;
    this.inflights.reset();
  }

  /**
   * An acknowledgement that the follower holds everything up to index. Stale ones never lower match.
   *
   * @param index The acknowledged index.
   * @returns Whether match advanced.
   */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    if (this.next < index + 1) this.next = index + 1;
    return updated;
  }

  /**
   * A rejection of the append whose previous index was `rejected`; moves next back using the hint.
   *
   * @param rejected The previous index of the rejected append.
   * @param matchHint The highest index the follower might match at.
   * @returns False when the rejection is stale and ignored.
   */
  maybeDecreaseTo(rejected: number, matchHint: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /**
   * Records an append just sent with entries up to lastIndex.
   *
   * @param lastIndex The last index carried (prevIndex when empty).
   * @param entryCount How many entries it carried.
   */
  sentAppend(lastIndex: number, entryCount: number): void {
    if (this.state === "replicate") {
      if (entryCount > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
      }
    } else if (this.state === "probe") {
      this.probeSent = true;
    }
  }

  /** @returns Whether sending appends is held (probe awaiting reply, window full, or snapshot). */
  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflights.full();
      case "snapshot":
        return true;
    }
  }
}
