/**
 * {@link RawNode}: the synchronous, deterministic Raft state machine in the etcd-raft shape. Inputs are
 * `tick()`, `step(message)` and the proposal/read/transfer calls; the output is a {@link Ready} that the
 * driver persists, sends and applies before calling `advance()`.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { randomBelow } from "../util/random.ts";
import { type RaftConfig, validateRaftConfig } from "./config.ts";
import { applyConfChange } from "./conf_change.ts";
import { ConfHistory } from "./conf_history.ts";
import { decodeConfChange, encodeConfChange } from "./conf_change_codec.ts";
import { ConfChangeRejectedError, NotLeaderError, ProposalDroppedError } from "./errors.ts";
import type { Progress, ProgressState } from "./progress.ts";
import { type LogHandout, RaftLog } from "./raft_log.ts";
import {
  decodeHeartbeatContext,
  encodeHeartbeatContext,
  ReadIndexQueue,
  type ReadRequest,
} from "./read_only.ts";
import { isJoint, memberIds, ProgressTracker } from "./tracker.ts";
import {
  cloneConfState,
  type ConfChange,
  type ConfState,
  EMPTY_BYTES,
  type Entry,
  EntryType,
  type HardState,
  type Message,
  MessageType,
  type NodeId,
  NONE,
  type ReadState,
  type Role,
  type Snapshot,
  type SoftState,
} from "./types.ts";

/** What the driver must do, field by field, before calling {@link RawNode.advance}. */
export interface Ready {
  /** Set when leader, role or term changed since the last Ready (informational, not persisted). */
  softState: SoftState | null;
  /** Set when changed; persist before sending messagesAfterPersist. */
  hardState: HardState | null;
  /** Install and persist BEFORE the entries. */
  snapshot: Snapshot | null;
  /** Append to durable storage; entries[0].index may overwrite a suffix. */
  entries: Entry[];
  /** Apply in order, after this Ready's persistence. */
  committedEntries: Entry[];
  /** May be sent at once, before persisting (the leader's appends, heartbeats, snapshots, TimeoutNow...). */
  messages: Message[];
  /** Send ONLY after this Ready's snapshot, entries and hard state are durable (votes, append replies). */
  messagesAfterPersist: Message[];
  /** Reads that may be served once the local applied index reaches their index. */
  readStates: ReadState[];
  /** Whether the persistence needs an fsync (entries, or term/vote changed, or a snapshot). */
  mustSync: boolean;
}

/** Replication state of one member as the leader sees it (for status()). */
export interface ProgressStatus {
  id: NodeId;
  match: number;
  next: number;
  state: ProgressState;
  recentActive: boolean;
  isLearner: boolean;
  inflightAppends: number;
}

/** A snapshot of the node's state for tests, tools and the engine. */
export interface RaftStatus {
  id: NodeId;
  term: number;
  vote: NodeId;
  commit: number;
  applied: number;
  lastIndex: number;
  leader: NodeId;
  role: Role;
  confState: ConfState;
  /** The node leadership is being transferred to, or NONE. */
  leadTransferee: NodeId;
  /** Per-member progress; empty unless this node is the leader. */
  progress: ProgressStatus[];
}

/** Marks vote requests of a campaign forced by TimeoutNow, which voters grant even inside a leader lease. */
export const CAMPAIGN_TRANSFER_CONTEXT: Uint8Array = new TextEncoder().encode("CampaignTransfer");
/** Most committed entries handed out in one Ready (the rest follow in the next). */
export const COMMITTED_ENTRIES_PER_READY_MAX = 65_536;
/** Most committed entry bytes handed out in one Ready (at least one entry is always handed out). */
export const COMMITTED_BYTES_PER_READY_MAX = 64 * 1024 * 1024;
/** How many scanned entries the startup replay of configuration entries reads at a time. */
const CONF_SCAN_ENTRIES_MAX = 4096;

/** What the outstanding Ready handed out, so advance() acknowledges exactly that. */
interface Outstanding {
  handout: LogHandout;
  applyingTo: number;
}

type CampaignKind = "pre-election" | "election" | "transfer";

const pickMatch = (progress: Progress): number => progress.match;
const pickReadRound = (progress: Progress): number => progress.readAckRound;
const pickLeaseTick = (progress: Progress): number => progress.ackedHeartbeatSentTick;

/**
 * One Raft member. Synchronous and deterministic: it reads no clock and draws randomness only from the
 * configured {@link RandomSource}.
 *
 * @example
 * ```ts
 * import { MemoryStorage, RawNode, SeededRandom } from "./mod.ts";
 * const storage = new MemoryStorage({ voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false });
 * const node = new RawNode({
 *   id: 1, storage, random: new SeededRandom(1), electionTimeoutTicks: 10, heartbeatIntervalTicks: 1, applied: 0,
 *   preVote: true, checkQuorum: true, maxEntriesPerAppend: 64, maxBytesPerAppend: 1 << 20, maxInflightAppends: 256,
 *   maxUncommittedEntriesBytes: 1 << 24, leaseClockDriftMarginTicks: 2, maxPendingReadIndex: 1024,
 * });
 * node.campaign();
 * while (node.hasReady()) {
 *   const ready = node.ready();
 *   if (ready.hardState) storage.setHardState(ready.hardState);
 *   storage.append(ready.entries);
 *   node.advance();
 * }
 * console.log(node.status().role); // "leader"
 * ```
 */
export class RawNode {
  readonly id: NodeId;
  readonly #config: RaftConfig;
  readonly #log: RaftLog;
  readonly #tracker: ProgressTracker;
  readonly #reads: ReadIndexQueue;

  // Invariant: term never decreases; vote changes only from NONE within a term.
  #term = 0;
  #vote: NodeId = NONE;
  #lead: NodeId = NONE;
  #role: Role = "follower";
  #leaderSeenTerm = 0;
  #leaderSeen: NodeId = NONE;

  #electionElapsedTicks = 0;
  #heartbeatElapsedTicks = 0;
  #randomizedElectionTimeoutTicks = 0;
  // Ticks since construction: the leader's clock for lease reads.
  #ticks = 0;

  #leadTransferee: NodeId = NONE;
  #uncommittedBytes = 0;
  // After a restart the node may have acknowledged a leader's heartbeat just before crashing, so it keeps
  // that leader's lease by ignoring vote requests for its first election timeout (with CheckQuorum).
  #restartLeaseGuard = false;

  readonly #confHistory: ConfHistory;

  #messages: Message[] = [];
  #messagesAfterPersist: Message[] = [];
  #readStates: ReadState[] = [];
  #lastSoftState: SoftState;
  #lastHardState: HardState;
  #outstanding: Outstanding | null = null;

  /**
   * Builds a node and restores term, vote, commit and configuration from `config.storage`.
   *
   * @param config The node's configuration.
   * @throws {RangeError} When a field of the configuration is invalid (the message names it).
   */
  constructor(config: RaftConfig) {
    validateRaftConfig(config);
    this.id = config.id;
    this.#config = config;
    const { hardState, confState } = config.storage.initialState();
    this.#log = new RaftLog(config.storage, hardState.commit, config.applied);
    this.#tracker = new ProgressTracker(config.maxInflightAppends);
    this.#reads = new ReadIndexQueue(config.maxPendingReadIndex);
    this.#term = hardState.term;
    this.#vote = hardState.vote;
    this.#confHistory = new ConfHistory(confState, this.#log.firstIndex() - 1);
    this.#tracker.setConfig(confState, this.#log.lastIndex() + 1);
    this.#replayConfEntries();
    this.#becomeFollower(this.#term, NONE);
    this.#restartLeaseGuard = config.checkQuorum && hardState.term > 0;
    this.#lastHardState = { term: hardState.term, vote: hardState.vote, commit: this.#log.committed };
    this.#lastSoftState = this.#softState();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Planted-bug hooks: a test subclass overrides one to break the core; production keeps these bodies.

  /**
   * The vote log check: a candidate's log must be at least as up to date as ours.
   *
   * @param lastLogTerm The candidate's last log term.
   * @param lastLogIndex The candidate's last log index.
   * @returns Whether the candidate's log passes.
   */
  protected candidateLogIsUpToDate(lastLogTerm: number, lastLogIndex: number): boolean {
    return this.#log.isUpToDate(lastLogTerm, lastLogIndex);
  }

  /**
   * Whether counting replicas may commit an entry of `term` (Figure 8: only the current term).
   *
   * @param term The term of the entry a quorum holds.
   * @returns True only for the current term.
   */
  protected mayCommitEntryOfTerm(term: number): boolean {
    return term === this.#term;
  }

  /**
   * Whether a (safe) ReadIndex waits for a heartbeat round acknowledged by a quorum.
   *
   * @returns True.
   */
  protected readIndexNeedsQuorum(): boolean {
    return true;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Public inputs.

  /** Advances the logical clock by one tick (elections, heartbeats, check-quorum, transfer timeout). */
  tick(): void {
    this.#ticks++;
    if (this.#role === "leader") this.#tickLeader();
    else this.#tickElection();
  }

  /**
   * Feeds a message from the network, or a local one (Hup, Beat, SnapStatus, Unreachable, Prop,
   * ReadIndex, TransferLeader).
   *
   * @param message The message; its `to` must be this node.
   * @throws {AssertionError} When the message is addressed elsewhere or breaks an invariant.
   */
  step(message: Message): void {
    assert(
      message.to === this.id || message.to === NONE,
      () => `node ${this.id} got a message to ${message.to}`,
    );
    if (message.term === 0) {
      this.#stepLocal(message);
      return;
    }
    if (message.term > this.#term) {
      if (!this.#stepHigherTerm(message)) return;
    } else if (message.term < this.#term) {
      this.#stepLowerTerm(message);
      return;
    }
    this.#stepCurrentTerm(message);
  }

  /**
   * Appends a proposal to the leader's log; replication starts at the next ready().
   *
   * @param data The application bytes.
   * @returns Where the entry was appended.
   * @throws {NotLeaderError} When this node is not the leader.
   * @throws {ProposalDroppedError} During a transfer, after removal, or past maxUncommittedEntriesBytes.
   */
  propose(data: Uint8Array): { index: number; term: number } {
    if (this.#role !== "leader") throw new NotLeaderError("propose", this.#lead);
    const reason = this.#proposalRefusal(data.byteLength);
    if (reason !== null) throw new ProposalDroppedError(reason);
    return this.#appendProposal(EntryType.Normal, data);
  }

  /**
   * Proposes a membership change (one pending at a time, only after a commit in the leader's term).
   *
   * @param change The change; an empty `changes` leaves a joint configuration.
   * @returns Where the entry was appended.
   * @throws {NotLeaderError} When this node is not the leader.
   * @throws {ProposalDroppedError} During a transfer or past the uncommitted limit.
   * @throws {ConfChangeRejectedError} When another change is pending or the change is invalid.
   */
  proposeConfChange(change: ConfChange): { index: number; term: number } {
    if (this.#role !== "leader") throw new NotLeaderError("propose a configuration change", this.#lead);
    const data = encodeConfChange(change);
    const reason = this.#proposalRefusal(data.byteLength);
    if (reason !== null) throw new ProposalDroppedError(reason);
    const refusal = this.#confChangeRefusal();
    if (refusal !== null) throw new ConfChangeRejectedError(refusal);
    applyConfChange(this.#tracker.config, change);
    return this.#appendProposal(EntryType.ConfChange, data);
  }

  /**
   * Requests a linearizable read point; the answer arrives as a ReadState in a later Ready (on a follower,
   * after the leader confirms it). Followers always forward "safe" reads.
   *
   * @param context Identifies the request in the ReadState.
   * @param mode "safe" confirms with a heartbeat round; "lease" uses the leader lease when it holds (only
   *   with checkQuorum, else it falls back to "safe").
   * @throws {NotLeaderError} When no leader is known.
   * @throws {ProposalDroppedError} When maxPendingReadIndex requests already wait.
   */
  readIndex(context: Uint8Array, mode: "safe" | "lease" = "safe"): void {
    if (this.#role === "leader") {
      const reason = this.#acceptRead(this.id, context, mode);
      if (reason !== null) throw new ProposalDroppedError(reason);
      return;
    }
    if (this.#lead === NONE) throw new NotLeaderError("read index", NONE);
    const forward = this.#newMessage(MessageType.ReadIndex, this.#lead, 0);
    forward.context = context;
    this.#send(forward);
  }

  /**
   * Starts moving leadership to `transferee` (forwarded to the leader when called on a follower).
   *
   * @param transferee The voter that should lead.
   * @throws {NotLeaderError} When no leader is known.
   */
  transferLeader(transferee: NodeId): void {
    if (this.#role !== "leader" && this.#lead === NONE) throw new NotLeaderError("transfer leadership", NONE);
    const message = this.#newMessage(MessageType.TransferLeader, this.id, 0);
    message.from = transferee;
    this.step(message);
  }

  /** Starts an election now (same as stepping Hup). */
  campaign(): void {
    this.step(this.#newMessage(MessageType.Hup, this.id, 0));
  }

  /**
   * @param id The follower a snapshot was sent to.
   * @param ok Whether it was delivered.
   */
  reportSnapshot(id: NodeId, ok: boolean): void {
    const message = this.#newMessage(MessageType.SnapStatus, this.id, 0);
    message.from = id;
    message.reject = !ok;
    this.step(message);
  }

  /** @param id A member the driver could not reach. */
  reportUnreachable(id: NodeId): void {
    const message = this.#newMessage(MessageType.Unreachable, this.id, 0);
    message.from = id;
    this.step(message);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Ready / advance.

  /** @returns Whether ready() has anything (false while a Ready is outstanding). */
  hasReady(): boolean {
    if (this.#outstanding !== null) return false;
    this.#flushLeaderSends();
    const log = this.#log;
    return this.#messages.length > 0 || this.#messagesAfterPersist.length > 0 ||
      this.#readStates.length > 0 ||
      log.hasNewEntries() || (log.unstableSnapshot !== null && !log.snapshotHandedOut) ||
      log.committed > log.applying || this.#softStateChanged() || this.#hardStateChanged();
  }

  #softStateChanged(): boolean {
    const last = this.#lastSoftState;
    return last.leader !== this.#lead || last.role !== this.#role || last.term !== this.#term;
  }

  #hardStateChanged(): boolean {
    const last = this.#lastHardState;
    return last.term !== this.#term || last.vote !== this.#vote || last.commit !== this.#log.committed;
  }

  /**
   * Collects everything the driver must do. Only one Ready may be outstanding: act on it, then advance().
   *
   * @returns The Ready.
   * @throws {AssertionError} When the previous Ready was not advanced, or an invariant is broken.
   */
  ready(): Ready {
    assert(this.#outstanding === null, "Cannot call ready(): the previous Ready has not been advanced");
    this.#flushLeaderSends();
    const log = this.#log;
    this.#checkInvariants();
    const softState = this.#softStateChanged() ? this.#softState() : null;
    const hardState = this.#hardStateChanged() ? this.#hardState() : null;
    const voteChanged = hardState !== null &&
      (hardState.term !== this.#lastHardState.term || hardState.vote !== this.#lastHardState.vote);
    let snapshot: Snapshot | null = null;
    if (log.unstableSnapshot !== null && !log.snapshotHandedOut) {
      snapshot = log.unstableSnapshot;
      log.snapshotHandedOut = true;
    }
    const entries = log.hasNewEntries() ? log.takeNewEntries() : [];
    const committedEntries = this.#takeCommittedEntries();
    const ready: Ready = {
      softState,
      hardState,
      snapshot,
      entries,
      committedEntries,
      messages: this.#messages,
      messagesAfterPersist: this.#messagesAfterPersist,
      readStates: this.#readStates,
      mustSync: entries.length > 0 || voteChanged || snapshot !== null,
    };
    this.#messages = [];
    this.#messagesAfterPersist = [];
    this.#readStates = [];
    if (softState !== null) this.#lastSoftState = softState;
    if (hardState !== null) this.#lastHardState = hardState;
    this.#outstanding = {
      handout: { snapshot, lastEntryIndex: log.handedOutIndex },
      applyingTo: log.applying,
    };
    return ready;
  }

  /**
   * Acknowledges the last Ready: its snapshot, entries and hard state are durable, its messages sent and
   * its committed entries applied. The leader now counts its own durable entries toward commit.
   *
   * @throws {AssertionError} When no Ready is outstanding.
   */
  advance(): void {
    const outstanding = this.#outstanding;
    assert(outstanding !== null, "Cannot advance(): no Ready is outstanding");
    this.#outstanding = null;
    const log = this.#log;
    log.acknowledgeDurable(outstanding.handout);
    const snapshot = outstanding.handout.snapshot;
    let applied = Math.max(log.applied, outstanding.applyingTo);
    if (snapshot !== null) applied = Math.max(applied, snapshot.metadata.index);
    log.applied = applied;
    if (log.applying < applied) log.applying = applied;
    if (this.#role === "leader") {
      const self = this.#tracker.progress.get(this.id);
      if (self !== undefined && self.maybeUpdate(log.lastStableIndex())) this.#maybeCommit();
    }
    this.#checkInvariants();
  }

  /** @returns The node's current state (a copy). */
  status(): RaftStatus {
    const progress: ProgressStatus[] = [];
    if (this.#role === "leader") {
      for (const [id, pr] of this.#tracker.progress) {
        progress.push({
          id,
          match: pr.match,
          next: pr.next,
          state: pr.state,
          recentActive: pr.recentActive,
          isLearner: pr.isLearner,
          inflightAppends: pr.inflights.count,
        });
      }
      progress.sort((a, b) => a.id - b.id);
    }
    return {
      id: this.id,
      term: this.#term,
      vote: this.#vote,
      commit: this.#log.committed,
      applied: this.#log.applied,
      lastIndex: this.#log.lastIndex(),
      leader: this.#lead,
      role: this.#role,
      confState: cloneConfState(this.#tracker.config),
      leadTransferee: this.#leadTransferee,
      progress,
    };
  }

  #softState(): SoftState {
    return { leader: this.#lead, role: this.#role, term: this.#term };
  }

  #hardState(): HardState {
    return { term: this.#term, vote: this.#vote, commit: this.#log.committed };
  }

  #checkInvariants(): void {
    const last = this.#lastHardState;
    const log = this.#log;
    const term = this.#term;
    const vote = this.#vote;
    assert(term >= last.term, () => `term went back from ${last.term} to ${term}`);
    assert(
      term !== last.term || last.vote === NONE || vote === last.vote,
      () => `vote changed within term ${term}: ${last.vote} -> ${vote}`,
    );
    assert(log.applied <= log.committed, () => `applied ${log.applied} > committed ${log.committed}`);
    assert(
      log.committed <= log.lastIndex(),
      () => `committed ${log.committed} > last index ${log.lastIndex()}`,
    );
  }

  #takeCommittedEntries(): Entry[] {
    const log = this.#log;
    if (log.committed <= log.applying) return [];
    const entries = log.slice(
      log.applying + 1,
      log.committed + 1,
      COMMITTED_BYTES_PER_READY_MAX,
      COMMITTED_ENTRIES_PER_READY_MAX,
    );
    if (entries.length === 0) return entries;
    log.applying = entries[entries.length - 1]!.index;
    if (this.#role === "leader" && this.#uncommittedBytes > 0) {
      let bytes = 0;
      const term = this.#term;
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        if (entry.term === term) bytes += entry.data.byteLength;
      }
      this.#uncommittedBytes = Math.max(0, this.#uncommittedBytes - bytes);
    }
    return entries;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Ticks.

  #tickElection(): void {
    this.#electionElapsedTicks++;
    if (this.#electionElapsedTicks >= this.#config.electionTimeoutTicks) this.#restartLeaseGuard = false;
    if (this.#promotable() && this.#electionElapsedTicks >= this.#randomizedElectionTimeoutTicks) {
      this.#electionElapsedTicks = 0;
      this.#hup("pre-or-election");
    }
  }

  #tickLeader(): void {
    this.#heartbeatElapsedTicks++;
    this.#electionElapsedTicks++;
    if (this.#electionElapsedTicks >= this.#config.electionTimeoutTicks) {
      this.#electionElapsedTicks = 0;
      if (this.#config.checkQuorum && !this.#checkQuorum()) return;
      if (this.#leadTransferee !== NONE) this.#leadTransferee = NONE;
    }
    if (this.#heartbeatElapsedTicks >= this.#config.heartbeatIntervalTicks) {
      this.#heartbeatElapsedTicks = 0;
      this.#broadcastHeartbeat();
    }
  }

  /** @returns False when the leader stepped down for lack of a recently active quorum. */
  #checkQuorum(): boolean {
    const tracker = this.#tracker;
    const self = tracker.progress.get(this.id);
    if (self !== undefined) self.recentActive = true;
    if (!tracker.quorumActive()) {
      this.#becomeFollower(this.#term, NONE);
      return false;
    }
    for (const [id, progress] of tracker.progress) progress.recentActive = id === this.id;
    return true;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Step dispatch.

  #stepLocal(message: Message): void {
    switch (message.type) {
      case MessageType.Hup:
        this.#hup("pre-or-election");
        return;
      case MessageType.Beat:
        if (this.#role === "leader") this.#broadcastHeartbeat();
        return;
      case MessageType.Prop:
        this.#stepProposal(message);
        return;
      case MessageType.ReadIndex:
        this.#stepReadIndex(message);
        return;
      case MessageType.TransferLeader:
        this.#stepTransferLeader(message);
        return;
      case MessageType.SnapStatus:
        this.#stepSnapStatus(message);
        return;
      case MessageType.Unreachable:
        this.#stepUnreachable(message);
        return;
      default:
        // A message of another node's older incarnation that carries no term: nothing to do with it.
        return;
    }
  }

  /** @returns Whether to go on processing the message at the (now current) term. */
  #stepHigherTerm(message: Message): boolean {
    const type = message.type;
    const isVoteRequest = type === MessageType.Vote || type === MessageType.PreVote;
    const fromLeader = type === MessageType.App || type === MessageType.Heartbeat ||
      type === MessageType.Snap;
    if (isVoteRequest) {
      // Ignoring (not rejecting) keeps a partitioned node from raising everyone's term and deposing a live
      // leader; a TimeoutNow campaign was started by that leader, so it goes through.
      if (this.#inLease() && !sameBytes(message.context, CAMPAIGN_TRANSFER_CONTEXT)) return false;
      if (type === MessageType.PreVote) return true;
    } else if (type === MessageType.PreVoteResp && !message.reject) {
      return true;
    } else if (!fromLeader && this.#role === "follower" && this.#inLease()) {
      // A stray reply from a higher term (e.g. to a heartbeat we sent as an old leader) must not end the
      // lease we granted to the current leader: only that leader's successor may move us on.
      return false;
    }
    this.#becomeFollower(message.term, fromLeader ? message.from : NONE);
    return true;
  }

  /** @returns Whether we heard from a live leader (or restarted) within the minimum election timeout. */
  #inLease(): boolean {
    const heardFromLeader = this.#lead !== NONE || this.#restartLeaseGuard;
    return heardFromLeader && this.#electionElapsedTicks < this.#config.electionTimeoutTicks;
  }

  #stepLowerTerm(message: Message): void {
    const type = message.type;
    if (type === MessageType.App || type === MessageType.Heartbeat) {
      // A stale leader learns our term and steps down. Needed always: voters inside a leader lease ignore
      // our vote requests, so a node whose term ran ahead in a partition could otherwise never rejoin.
      this.#send(this.#newMessage(MessageType.AppResp, message.from, this.#term));
    } else if (type === MessageType.PreVote) {
      const reply = this.#newMessage(MessageType.PreVoteResp, message.from, this.#term);
      reply.reject = true;
      this.#send(reply);
    }
  }

  #stepCurrentTerm(message: Message): void {
    switch (message.type) {
      case MessageType.Vote:
      case MessageType.PreVote:
        this.#stepVoteRequest(message);
        return;
      case MessageType.Hup:
        this.#hup("pre-or-election");
        return;
    }
    switch (this.#role) {
      case "leader":
        this.#stepLeader(message);
        return;
      case "candidate":
      case "precandidate":
        this.#stepCandidate(message);
        return;
      case "follower":
        this.#stepFollower(message);
        return;
    }
  }

  #stepVoteRequest(message: Message): void {
    const isPreVote = message.type === MessageType.PreVote;
    const canVote = this.#vote === message.from || (this.#vote === NONE && this.#lead === NONE) ||
      (isPreVote && message.term > this.#term);
    const responseType = isPreVote ? MessageType.PreVoteResp : MessageType.VoteResp;
    if (canVote && this.candidateLogIsUpToDate(message.logTerm, message.index)) {
      // A granted pre-vote answers in the candidate's future term so it can count it.
      this.#send(this.#newMessage(responseType, message.from, message.term));
      if (!isPreVote) {
        this.#electionElapsedTicks = 0;
        this.#setVote(message.from);
      }
      return;
    }
    const reply = this.#newMessage(responseType, message.from, this.#term);
    reply.reject = true;
    this.#send(reply);
  }

  #stepLeader(message: Message): void {
    switch (message.type) {
      case MessageType.AppResp:
        this.#handleAppendResponse(message);
        return;
      case MessageType.HeartbeatResp:
        this.#handleHeartbeatResponse(message);
        return;
      case MessageType.App:
      case MessageType.Heartbeat:
      case MessageType.Snap:
        assert(
          false,
          () => `leader ${this.id} of term ${this.#term} got a ${message.type} from ${message.from}`,
        );
        return;
      default:
        // Vote responses for an election already won, and other late messages.
        return;
    }
  }

  #stepCandidate(message: Message): void {
    const type = message.type;
    if (type === MessageType.App || type === MessageType.Heartbeat || type === MessageType.Snap) {
      this.#becomeFollower(this.#term, message.from);
      this.#stepFollower(message);
      return;
    }
    const expected = this.#role === "precandidate" ? MessageType.PreVoteResp : MessageType.VoteResp;
    if (type !== expected) return;
    this.#tracker.recordVote(message.from, !message.reject);
    const result = this.#tracker.voteResult();
    if (result === "won") {
      if (this.#role === "precandidate") this.#campaign("election");
      else this.#becomeLeader();
    } else if (result === "lost") {
      this.#becomeFollower(this.#term, NONE);
    }
  }

  #stepFollower(message: Message): void {
    switch (message.type) {
      case MessageType.App:
        this.#heardFromLeader(message.from);
        this.#handleAppend(message);
        return;
      case MessageType.Heartbeat:
        this.#heardFromLeader(message.from);
        this.#handleHeartbeat(message);
        return;
      case MessageType.Snap:
        this.#heardFromLeader(message.from);
        this.#handleSnapshot(message);
        return;
      case MessageType.TimeoutNow:
        this.#hup("transfer");
        return;
      case MessageType.ReadIndexResp:
        this.#readStates.push({ index: message.index, requestContext: message.context });
        return;
      default:
        return;
    }
  }

  #heardFromLeader(leader: NodeId): void {
    this.#electionElapsedTicks = 0;
    this.#setLead(leader);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Roles.

  #reset(term: number): void {
    if (term !== this.#term) {
      assert(term > this.#term, () => `term went back from ${this.#term} to ${term}`);
      this.#term = term;
      this.#vote = NONE;
    }
    this.#lead = NONE;
    this.#restartLeaseGuard = false;
    this.#electionElapsedTicks = 0;
    this.#heartbeatElapsedTicks = 0;
    this.#randomizedElectionTimeoutTicks = this.#config.electionTimeoutTicks +
      randomBelow(this.#config.random, this.#config.electionTimeoutTicks);
    this.#leadTransferee = NONE;
    this.#uncommittedBytes = 0;
    this.#tracker.votes.clear();
    this.#reads.clear();
  }

  #becomeFollower(term: number, lead: NodeId): void {
    this.#reset(term);
    this.#role = "follower";
    this.#setLead(lead);
  }

  #becomeLeader(): void {
    assert(this.#role === "candidate", () => `node ${this.id} became leader from ${this.#role}`);
    this.#reset(this.#term);
    this.#role = "leader";
    this.#setLead(this.id);
    const log = this.#log;
    this.#tracker.resetProgress(log.lastIndex() + 1);
    const self = this.#tracker.progress.get(this.id);
    if (self !== undefined) {
      self.maybeUpdate(log.lastStableIndex());
      self.becomeReplicate();
      self.recentActive = true;
    }
    // The no-op lets the leader commit (and so learn the commit point of) everything before its term.
    this.#appendProposal(EntryType.Normal, EMPTY_BYTES);
    this.#maybeAutoLeave();
  }

  #setLead(lead: NodeId): void {
    if (lead !== NONE) {
      if (this.#leaderSeenTerm === this.#term) {
        assert(
          this.#leaderSeen === lead,
          () => `two leaders in term ${this.#term}: ${this.#leaderSeen} and ${lead} (seen by ${this.id})`,
        );
      }
      this.#leaderSeenTerm = this.#term;
      this.#leaderSeen = lead;
    }
    this.#lead = lead;
  }

  #setVote(vote: NodeId): void {
    assert(this.#vote === NONE || this.#vote === vote, () => `vote changed in term ${this.#term}`);
    this.#vote = vote;
  }

  #promotable(): boolean {
    return this.#tracker.isVoter(this.id) && this.#log.unstableSnapshot === null;
  }

  #hup(kind: "pre-or-election" | "transfer"): void {
    if (this.#role === "leader" || !this.#promotable()) return;
    if (kind === "transfer") this.#campaign("transfer");
    else this.#campaign(this.#config.preVote ? "pre-election" : "election");
  }

  #campaign(kind: CampaignKind): void {
    const preElection = kind === "pre-election";
    if (preElection) {
      this.#reset(this.#term);
      this.#role = "precandidate";
    } else {
      this.#reset(this.#term + 1);
      this.#role = "candidate";
      this.#setVote(this.id);
    }
    const tracker = this.#tracker;
    tracker.recordVote(this.id, true);
    if (tracker.voteResult() === "won") {
      if (preElection) this.#campaign("election");
      else this.#becomeLeader();
      return;
    }
    const term = preElection ? this.#term + 1 : this.#term;
    const type = preElection ? MessageType.PreVote : MessageType.Vote;
    const lastIndex = this.#log.lastIndex();
    const lastTerm = this.#log.lastTerm();
    for (const id of tracker.progress.keys()) {
      if (id === this.id || !tracker.isVoter(id)) continue;
      const request = this.#newMessage(type, id, term);
      request.index = lastIndex;
      request.logTerm = lastTerm;
      if (kind === "transfer") request.context = CAMPAIGN_TRANSFER_CONTEXT;
      this.#send(request);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Leader: proposals, replication, commit.

  #proposalRefusal(dataBytes: number): string | null {
    if (this.#leadTransferee !== NONE) return `leadership transfer to ${this.#leadTransferee} in progress`;
    if (!this.#tracker.progress.has(this.id)) {
      return `the leader ${this.id} was removed from the configuration`;
    }
    const limit = this.#config.maxUncommittedEntriesBytes;
    if (this.#uncommittedBytes > 0 && this.#uncommittedBytes + dataBytes > limit) {
      return `${this.#uncommittedBytes} uncommitted bytes + ${dataBytes} exceed the limit of ${limit}`;
    }
    return null;
  }

  #confChangeRefusal(): string | null {
    const log = this.#log;
    if (log.term(log.committed) !== this.#term) {
      return `the leader has not yet committed an entry of its term ${this.#term}`;
    }
    const pendingIndex = this.#lastConfIndex();
    if (pendingIndex > log.committed) return `the change at index ${pendingIndex} is not committed yet`;
    return null;
  }

  #appendProposal(type: EntryType, data: Uint8Array): { index: number; term: number } {
    const log = this.#log;
    const index = log.lastIndex() + 1;
    const term = this.#term;
    const entry: Entry = { term, index, type, data };
    log.push(entry);
    this.#uncommittedBytes += data.byteLength;
    if (type === EntryType.ConfChange) this.#applyConfEntry(entry);
    return { index, term };
  }

  #stepProposal(message: Message): void {
    if (this.#role !== "leader") {
      if (this.#lead === NONE || message.from !== this.id) return;
      const forward = this.#newMessage(MessageType.Prop, this.#lead, 0);
      forward.entries = message.entries;
      this.#send(forward);
      return;
    }
    for (const entry of message.entries) {
      if (this.#proposalRefusal(entry.data.byteLength) !== null) return;
      if (entry.type === EntryType.ConfChange) {
        if (this.#confChangeRefusal() !== null) continue;
        try {
          applyConfChange(this.#tracker.config, decodeConfChange(entry.data));
        } catch {
          // A forwarded change that is invalid here is dropped; the proposer times out and retries.
          continue;
        }
      }
      this.#appendProposal(entry.type, entry.data);
    }
  }

  /** Builds the appends the followers need; called at ready()/hasReady() so proposals batch. */
  #flushLeaderSends(): void {
    if (this.#role !== "leader") return;
    for (const [id, progress] of this.#tracker.progress) {
      if (id !== this.id) this.#sendAppends(id, progress);
    }
    if (this.#reads.startRound()) this.#broadcastHeartbeat();
    this.#releaseConfirmedReads();
  }

  #sendAppends(to: NodeId, progress: Progress): void {
    const log = this.#log;
    for (let sent = 0; sent < this.#config.maxInflightAppends; sent++) {
      const forced = progress.forceAppend && progress.state !== "snapshot";
      if (progress.isPaused() && !forced) return;
      const lastIndex = log.lastIndex();
      const hasEntries = progress.next <= lastIndex;
      const commitToTell = Math.min(log.committed, progress.next - 1) > progress.sentCommit;
      if (!hasEntries && !commitToTell && !forced) return;
      if (forced) {
        progress.forceAppend = false;
        if (progress.state === "replicate" && progress.inflights.full()) progress.inflights.freeFirstOne();
      }
      if (!this.#sendAppend(to, progress)) return;
      if (!hasEntries) return;
    }
  }

  /** @returns False when a snapshot was sent (or nothing could be) instead of an append. */
  #sendAppend(to: NodeId, progress: Progress): boolean {
    const log = this.#log;
    const prevIndex = progress.next - 1;
    const prevTerm = log.term(prevIndex);
    if (prevTerm < 0 || progress.next < log.firstIndex()) {
      this.#sendSnapshot(to, progress);
      return false;
    }
    const lastIndex = log.lastIndex();
    const config = this.#config;
    const entries = progress.next <= lastIndex
      ? log.slice(progress.next, lastIndex + 1, config.maxBytesPerAppend, config.maxEntriesPerAppend)
      : [];
    const message = this.#newMessage(MessageType.App, to, this.#term);
    message.index = prevIndex;
    message.logTerm = prevTerm;
    message.entries = entries;
    message.commit = log.committed;
    if (prevIndex === 0) message.snapshot = this.#bootstrapSnapshot();
    const last = prevIndex + entries.length;
    progress.sentAppend(last, entries.length);
    const toldCommit = Math.min(log.committed, last);
    if (toldCommit > progress.sentCommit) progress.sentCommit = toldCommit;
    this.#send(message);
    return true;
  }

  /**
   * The founding configuration lives in the index-0 snapshot of storage, not in the log; an append from
   * index 1 carries it so a member started with an empty storage learns the configuration its first entries
   * build on.
   */
  #bootstrapSnapshot(): Snapshot | null {
    try {
      const snapshot = this.#log.storage.snapshot();
      return snapshot.metadata.index === 0 ? snapshot : null;
    } catch {
      return null;
    }
  }

  #sendSnapshot(to: NodeId, progress: Progress): void {
    if (!progress.recentActive) return;
    let snapshot: Snapshot;
    try {
      snapshot = this.#log.storage.snapshot();
    } catch {
      // Temporarily unavailable: the follower stays in probe state and the next ready() tries again.
      return;
    }
    assert(snapshot.metadata.index > 0, () => `follower ${to} needs a snapshot but storage has none`);
    progress.becomeSnapshot(snapshot.metadata.index);
    const message = this.#newMessage(MessageType.Snap, to, this.#term);
    message.snapshot = snapshot;
    this.#send(message);
  }

  #broadcastHeartbeat(): void {
    const context = encodeHeartbeatContext(this.#reads.sentRound, this.#ticks);
    const committed = this.#log.committed;
    for (const [id, progress] of this.#tracker.progress) {
      if (id === this.id) continue;
      const message = this.#newMessage(MessageType.Heartbeat, id, this.#term);
      message.commit = Math.min(progress.match, committed);
      message.context = context;
      this.#send(message);
    }
  }

  #handleAppendResponse(message: Message): void {
    const progress = this.#tracker.progress.get(message.from);
    if (progress === undefined) return;
    progress.recentActive = true;
    if (message.reject) {
      let hint = message.rejectHint;
      if (message.logTerm > 0) hint = this.#log.findConflictByTerm(message.rejectHint, message.logTerm);
      if (progress.maybeDecreaseTo(message.index, hint) && progress.state === "replicate") {
        progress.becomeProbe();
      }
      return;
    }
    const updated = progress.maybeUpdate(message.index);
    // A probe answered at exactly match still proves where the follower is: start replicating.
    if (!updated && !(progress.state === "probe" && progress.match === message.index)) return;
    if (progress.state === "probe") {
      progress.becomeReplicate();
    } else if (progress.state === "snapshot") {
      if (progress.match + 1 >= this.#log.firstIndex()) {
        progress.becomeProbe();
        progress.becomeReplicate();
      }
    } else {
      progress.inflights.freeLE(message.index);
    }
    if (updated) this.#maybeCommit();
    if (this.#role === "leader" && message.from === this.#leadTransferee) this.#maybeSendTimeoutNow();
  }

  #handleHeartbeatResponse(message: Message): void {
    const progress = this.#tracker.progress.get(message.from);
    if (progress === undefined) return;
    progress.recentActive = true;
    progress.probeSent = false;
    if (progress.match < this.#log.lastIndex()) {
      if (progress.state === "replicate" && progress.inflights.full()) progress.inflights.freeFirstOne();
      progress.forceAppend = true;
    }
    const context = decodeHeartbeatContext(message.context);
    if (context === null) return;
    if (context.round > progress.readAckRound) progress.readAckRound = context.round;
    if (context.sentTick > progress.ackedHeartbeatSentTick) {
      progress.ackedHeartbeatSentTick = context.sentTick;
    }
    this.#releaseConfirmedReads();
  }

  #maybeCommit(): void {
    const log = this.#log;
    const quorumIndex = Math.min(this.#tracker.quorumValue(pickMatch), log.lastIndex());
    if (quorumIndex <= log.committed) return;
    if (!this.mayCommitEntryOfTerm(log.term(quorumIndex))) return;
    log.commitTo(quorumIndex);
    this.#onCommitted();
  }

  #onCommitted(): void {
    this.#foldCommittedConfEntries();
    if (this.#role !== "leader") return;
    const log = this.#log;
    if (log.term(log.committed) === this.#term) this.#reads.acceptWaiting(log.committed);
    if (!this.#tracker.isVoter(this.id) && this.#lastConfIndex() <= log.committed) {
      // The entry removing (or demoting) this leader is committed: the new configuration elects its own.
      this.#becomeFollower(this.#term, NONE);
      return;
    }
    this.#maybeAutoLeave();
  }

  #maybeAutoLeave(): void {
    const config = this.#tracker.config;
    if (!isJoint(config) || !config.autoLeave) return;
    if (this.#lastConfIndex() > this.#log.committed || this.#leadTransferee !== NONE) return;
    const leave: ConfChange = { transition: "auto", changes: [], context: EMPTY_BYTES };
    this.#appendProposal(EntryType.ConfChange, encodeConfChange(leave));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Follower: appends, heartbeats, snapshots.

  #handleAppend(message: Message): void {
    const log = this.#log;
    const reply = this.#newMessage(MessageType.AppResp, message.from, this.#term);
    if (message.index < log.committed) {
      reply.index = log.committed;
      this.#send(reply);
      return;
    }
    if (!log.matchTerm(message.index, message.logTerm)) {
      const hintIndex = log.findConflictByTerm(Math.min(message.index, log.lastIndex()), message.logTerm);
      reply.reject = true;
      reply.index = message.index;
      reply.rejectHint = hintIndex;
      reply.logTerm = Math.max(0, log.term(hintIndex));
      this.#send(reply);
      return;
    }
    if (message.index === 0 && message.snapshot !== null) this.#adoptFoundingConfig(message.snapshot);
    const entries = message.entries;
    const lastNewIndex = message.index + entries.length;
    const conflict = entries.length === 0 ? 0 : log.findConflict(entries);
    if (conflict !== 0) {
      assert(
        conflict > log.committed,
        () => `entry ${conflict} conflicts with the committed log (${log.committed})`,
      );
      this.#appendToLog(entries, conflict - (message.index + 1));
    }
    log.commitTo(Math.min(message.commit, lastNewIndex));
    this.#onCommitted();
    reply.index = lastNewIndex;
    this.#send(reply);
  }

  #adoptFoundingConfig(snapshot: Snapshot): void {
    const log = this.#log;
    if (log.lastIndex() !== 0 || this.#confHistory.hasEntries()) return;
    if (memberIds(this.#tracker.config).length > 0) return;
    this.#confHistory.reset(snapshot.metadata.confState, 0);
    this.#tracker.setConfig(snapshot.metadata.confState, 1);
    // Handed to the driver as Ready.snapshot (index 0) so the configuration survives a restart.
    log.adoptFoundingSnapshot(snapshot);
  }

  #handleHeartbeat(message: Message): void {
    this.#log.commitTo(message.commit);
    this.#onCommitted();
    const reply = this.#newMessage(MessageType.HeartbeatResp, message.from, this.#term);
    reply.context = message.context;
    this.#send(reply);
  }

  #handleSnapshot(message: Message): void {
    const snapshot = message.snapshot;
    assert(snapshot !== null, () => `Snap message from ${message.from} carries no snapshot`);
    const log = this.#log;
    const { index, term } = snapshot.metadata;
    const reply = this.#newMessage(MessageType.AppResp, message.from, this.#term);
    if (index <= log.committed) {
      // Stale (or already covered): never go back.
      reply.index = log.committed;
    } else if (log.matchTerm(index, term)) {
      log.commitTo(index);
      this.#onCommitted();
      // Only up to the snapshot is known to match the leader; entries after it may be stale ones.
      reply.index = log.committed;
    } else {
      log.restore(snapshot);
      this.#confHistory.reset(snapshot.metadata.confState, index);
      this.#tracker.setConfig(snapshot.metadata.confState, index + 1);
      reply.index = log.lastIndex();
    }
    this.#send(reply);
  }

  #appendToLog(entries: readonly Entry[], start: number): void {
    const previousLast = this.#log.lastIndex();
    const after = this.#log.append(entries, start);
    if (after < previousLast) this.#rollBackConfEntries(after);
    for (let i = start; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.type === EntryType.ConfChange) this.#applyConfEntry(entry);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Configuration: in effect when appended, rolled back when truncated, folded when committed.

  #replayConfEntries(): void {
    const log = this.#log;
    const last = log.lastIndex();
    let next = log.firstIndex();
    while (next <= last) {
      const entries = log.slice(next, last + 1, COMMITTED_BYTES_PER_READY_MAX, CONF_SCAN_ENTRIES_MAX);
      for (const entry of entries) {
        if (entry.type === EntryType.ConfChange) this.#applyConfEntry(entry);
      }
      next += entries.length;
    }
    this.#foldCommittedConfEntries();
  }

  #applyConfEntry(entry: Entry): void {
    let confState: ConfState;
    try {
      confState = applyConfChange(this.#tracker.config, decodeConfChange(entry.data));
    } catch {
      // Every member sees the same entry on the same configuration, so all skip it alike.
      return;
    }
    this.#confHistory.push(entry.index, confState);
    this.#switchConfig(confState);
  }

  #rollBackConfEntries(after: number): void {
    const restored = this.#confHistory.rollBackAfter(after);
    if (restored !== null) this.#switchConfig(restored);
  }

  #foldCommittedConfEntries(): void {
    this.#confHistory.foldUpTo(this.#log.committed);
  }

  #lastConfIndex(): number {
    return this.#confHistory.lastIndex();
  }

  #switchConfig(confState: ConfState): void {
    const tracker = this.#tracker;
    tracker.setConfig(confState, this.#log.lastIndex() + 1);
    if (this.#role !== "leader") return;
    if (this.#leadTransferee !== NONE && !tracker.isVoter(this.#leadTransferee)) this.#leadTransferee = NONE;
    const self = tracker.progress.get(this.id);
    if (self !== undefined && self.match === 0) self.maybeUpdate(this.#log.lastStableIndex());
    this.#maybeCommit();
  }

  // ---------------------------------------------------------------------------------------------------------
  // ReadIndex.

  #stepReadIndex(message: Message): void {
    if (this.#role === "leader") {
      this.#acceptRead(message.from, message.context, "safe");
      return;
    }
    if (this.#lead === NONE) return;
    const forward = this.#newMessage(MessageType.ReadIndex, this.#lead, 0);
    forward.from = message.from;
    forward.context = message.context;
    this.#send(forward);
  }

  /** @returns Why the read was refused, or null when it was queued or answered. */
  #acceptRead(from: NodeId, context: Uint8Array, mode: "safe" | "lease"): string | null {
    const log = this.#log;
    const committedInTerm = log.term(log.committed) === this.#term;
    const leaseRead = mode === "lease" && this.#config.checkQuorum && this.#leaseHolds();
    if (committedInTerm && (!this.readIndexNeedsQuorum() || leaseRead)) {
      this.#answerRead({ index: log.committed, from, requestContext: context, round: 0 });
      return null;
    }
    const reads = this.#reads;
    if (reads.size >= reads.limit) return `${reads.size} reads are pending, the limit is ${reads.limit}`;
    reads.add({ index: committedInTerm ? log.committed : 0, from, requestContext: context, round: 0 });
    return null;
  }

  #leaseHolds(): boolean {
    if (this.#leadTransferee !== NONE) return false;
    const self = this.#tracker.progress.get(this.id);
    if (self === undefined) return false;
    self.ackedHeartbeatSentTick = this.#ticks;
    const quorumSentTick = this.#tracker.quorumValue(pickLeaseTick);
    if (quorumSentTick < 0) return false;
    const leaseTicks = this.#config.electionTimeoutTicks - this.#config.leaseClockDriftMarginTicks;
    return this.#ticks - quorumSentTick < leaseTicks;
  }

  #releaseConfirmedReads(): void {
    const reads = this.#reads;
    if (reads.size === 0) return;
    const self = this.#tracker.progress.get(this.id);
    if (self !== undefined) self.readAckRound = reads.sentRound;
    const confirmedRound = this.#tracker.quorumValue(pickReadRound);
    for (const request of reads.release(confirmedRound)) this.#answerRead(request);
  }

  #answerRead(request: ReadRequest): void {
    if (request.from === this.id || request.from === NONE) {
      this.#readStates.push({ index: request.index, requestContext: request.requestContext });
      return;
    }
    const reply = this.#newMessage(MessageType.ReadIndexResp, request.from, this.#term);
    reply.index = request.index;
    reply.context = request.requestContext;
    this.#send(reply);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Leadership transfer, snapshot reports, unreachable peers.

  #stepTransferLeader(message: Message): void {
    if (this.#role !== "leader") {
      if (this.#lead === NONE) return;
      const forward = this.#newMessage(MessageType.TransferLeader, this.#lead, 0);
      forward.from = message.from;
      this.#send(forward);
      return;
    }
    const transferee = message.from;
    if (transferee === this.id || transferee === this.#leadTransferee) return;
    const progress = this.#tracker.progress.get(transferee);
    if (progress === undefined || !this.#tracker.isVoter(transferee)) return;
    // The transfer must finish within one election timeout, or it is abandoned (see #tickLeader).
    this.#electionElapsedTicks = 0;
    this.#leadTransferee = transferee;
    this.#maybeSendTimeoutNow();
  }

  #maybeSendTimeoutNow(): void {
    const transferee = this.#leadTransferee;
    const progress = this.#tracker.progress.get(transferee);
    if (progress === undefined || progress.match !== this.#log.lastIndex()) return;
    this.#send(this.#newMessage(MessageType.TimeoutNow, transferee, this.#term));
  }

  #stepSnapStatus(message: Message): void {
    if (this.#role !== "leader") return;
    const progress = this.#tracker.progress.get(message.from);
    if (progress === undefined || progress.state !== "snapshot") return;
    if (message.reject) progress.pendingSnapshot = 0;
    progress.becomeProbe();
    // Wait for a heartbeat response before probing, so a failing follower is not flooded.
    progress.probeSent = true;
  }

  #stepUnreachable(message: Message): void {
    if (this.#role !== "leader") return;
    const progress = this.#tracker.progress.get(message.from);
    if (progress !== undefined && progress.state === "replicate") progress.becomeProbe();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Messages.

  #newMessage(type: MessageType, to: NodeId, term: number): Message {
    return {
      type,
      to,
      from: this.id,
      term,
      logTerm: 0,
      index: 0,
      entries: [],
      commit: 0,
      snapshot: null,
      reject: false,
      rejectHint: 0,
      context: EMPTY_BYTES,
    };
  }

  #send(message: Message): void {
    switch (message.type) {
      case MessageType.AppResp:
      case MessageType.Vote:
      case MessageType.VoteResp:
      case MessageType.PreVoteResp:
        this.#messagesAfterPersist.push(message);
        return;
      default:
        this.#messages.push(message);
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
