/**
 * The leader's view of the cluster: the current configuration, one {@link Progress} per member, vote
 * tallies, and the quorum arithmetic over them (majority, or both majorities in a joint configuration).
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { Progress } from "./progress.ts";
import { cloneConfState, type ConfState, emptyConfState, type NodeId } from "./types.ts";

/** The outcome of an election (or of a check-quorum round) so far. */
export type VoteResult = "won" | "lost" | "pending";

/** Picks the number of a progress that a quorum must reach (match index, read round, lease tick). */
export type ProgressValue = (progress: Progress) => number;

/** Used as the commit index of an empty majority (the outgoing half when not joint): it never limits. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/**
 * @param confState A configuration.
 * @returns Whether it is joint (old voters still have a say).
 * @example
 * ```ts
 * import { isJoint } from "./tracker.ts";
 * console.log(isJoint({ voters: [1], learners: [], votersOutgoing: [2], learnersNext: [], autoLeave: true })); // true
 * ```
 */
export function isJoint(confState: ConfState): boolean {
  return confState.votersOutgoing.length > 0;
}

/**
 * Configuration, progress and votes; owned by one RawNode.
 *
 * @example
 * ```ts
 * import { ProgressTracker } from "./tracker.ts";
 * const tracker = new ProgressTracker(8);
 * tracker.setConfig({ voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }, 1);
 * tracker.recordVote(1, true);
 * tracker.recordVote(2, true);
 * console.log(tracker.voteResult()); // "won"
 * ```
 */
export class ProgressTracker {
  config: ConfState = emptyConfState();
  readonly progress: Map<NodeId, Progress> = new Map();
  readonly votes: Map<NodeId, boolean> = new Map();
  readonly #maxInflightAppends: number;
  readonly #scratch: number[] = [];

  /** @param maxInflightAppends The in-flight window of each new Progress. */
  constructor(maxInflightAppends: number) {
    this.#maxInflightAppends = maxInflightAppends;
  }

  /**
   * @param id A node.
   * @returns Whether it votes (in either half of a joint configuration).
   */
  isVoter(id: NodeId): boolean {
    return this.config.voters.includes(id) || this.config.votersOutgoing.includes(id);
  }

  /**
   * @param id A node.
   * @returns Whether it is a member at all (voter or learner, now or after leaving the joint configuration).
   */
  isMember(id: NodeId): boolean {
    const c = this.config;
    return this.isVoter(id) || c.learners.includes(id) || c.learnersNext.includes(id);
  }

  /**
   * Switches to a new configuration, adding progress for new members and dropping it for removed ones.
   *
   * @param confState The new configuration (copied).
   * @param nextIndex The next index to send to new members.
   * @param selfId This node, whose progress is never dropped while it is a member.
   */
  setConfig(confState: ConfState, nextIndex: number): void {
    this.config = cloneConfState(confState);
    for (const id of this.progress.keys()) {
      if (!this.isMember(id)) this.progress.delete(id);
    }
    for (const id of memberIds(this.config)) {
      const learner = !this.isVoter(id);
      const existing = this.progress.get(id);
      if (existing === undefined) {
        const progress = new Progress(nextIndex, this.#maxInflightAppends, learner);
        progress.recentActive = true;
        this.progress.set(id, progress);
      } else {
        existing.isLearner = learner;
      }
    }
  }

  /**
   * Replaces every progress with a fresh one (a new leader's view).
   *
   * @param nextIndex The next index to send to everyone.
   */
  resetProgress(nextIndex: number): void {
    this.progress.clear();
    this.setConfig(this.config, nextIndex);
  }

  /**
   * The largest value that a quorum has reached (the commit index, when value picks match).
   *
   * @param value Picks each member's number.
   * @returns The quorum value; in a joint configuration the smaller of both halves.
   */
  quorumValue(value: ProgressValue): number {
    const incoming = this.#majorityValue(this.config.voters, value);
    const outgoing = this.#majorityValue(this.config.votersOutgoing, value);
    return Math.min(incoming, outgoing);
  }

  #majorityValue(voters: readonly NodeId[], value: ProgressValue): number {
    const count = voters.length;
    if (count === 0) return UNLIMITED;
    const values = this.#scratch;
    values.length = 0;
    for (const id of voters) {
      const progress = this.progress.get(id);
      values.push(progress === undefined ? 0 : value(progress));
    }
    // Insertion sort, descending: clusters are small and this avoids a comparator allocation.
    for (let i = 1; i < count; i++) {
      const v = values[i]!;
      let j = i - 1;
      while (j >= 0 && values[j]! < v) {
        values[j + 1] = values[j]!;
        j--;
      }
      values[j + 1] = v;
    }
    return values[count >> 1]!;
  }

  /** @param id The voter. @param granted Whether it granted its vote. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  /** @returns The election outcome under the current configuration. */
  voteResult(): VoteResult {
    return combine(
      majorityResult(this.config.voters, this.votes),
      majorityResult(this.config.votersOutgoing, this.votes),
    );
  }

  /** @returns Whether a quorum (both halves if joint) was heard from recently. */
  quorumActive(): boolean {
    const active = new Map<NodeId, boolean>();
    for (const [id, progress] of this.progress) active.set(id, progress.recentActive);
    const result = combine(
      majorityResult(this.config.voters, active),
      majorityResult(this.config.votersOutgoing, active),
    );
    return result === "won";
  }
}

/**
 * Every member of a configuration, sorted.
 *
 * @param confState A configuration.
 * @returns Every member id, each once.
 * @example
 * ```ts
 * import { memberIds } from "./tracker.ts";
 * console.log(memberIds({ voters: [2, 1], learners: [3], votersOutgoing: [1], learnersNext: [], autoLeave: false })); // [1, 2, 3]
 * ```
 */
export function memberIds(confState: ConfState): NodeId[] {
  const ids = new Set<NodeId>();
  for (const id of confState.voters) ids.add(id);
  for (const id of confState.votersOutgoing) ids.add(id);
  for (const id of confState.learners) ids.add(id);
  for (const id of confState.learnersNext) ids.add(id);
  assert(!ids.has(0), "a configuration contains node id 0");
  return [...ids].sort((a, b) => a - b);
}

function majorityResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.length === 0) return "won";
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === undefined) missing++;
    else if (vote) granted++;
  }
  const quorum = (voters.length >> 1) + 1;
  if (granted >= quorum) return "won";
  if (granted + missing >= quorum) return "pending";
  return "lost";
}

function combine(a: VoteResult, b: VoteResult): VoteResult {
  if (a === b) return a;
  if (a === "lost" || b === "lost") return "lost";
  return "pending";
}
