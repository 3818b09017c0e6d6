/**
 * The node driver: one logical loop per node on the JS event loop. Each turn takes the core's Ready, sends
 * what may go before persisting, persists snapshot, entries and hard state with one group-committed write,
 * then sends the rest, applies committed entries to the store, answers the callers waiting on them and
 * advances. Requests arriving while a write is in flight are proposed at once and leave together in the
 * next Ready: that is the group commit. Writes on a follower are forwarded to the leader; reads wait for a
 * batched ReadIndex round.
 *
 * @module
 */

import type { ApplyResult, Command, CommandResponse } from "../kv/commands.ts";
import { EngineMetrics } from "./metrics.ts";
import { encodeCommand } from "../kv/command_codec.ts";
import { KvError, LeaseNotFoundError } from "../kv/errors.ts";
import type { KvStore } from "../kv/store.ts";
import type { LogStorage, SnapshotStorage } from "../ports/storage.ts";
import type { InboundFrame, Transport } from "../ports/transport.ts";
import { ConfChangeRejectedError, NotLeaderError, ProposalDroppedError } from "../raft/errors.ts";
import type { RawNode, Ready } from "../raft/raw_node.ts";
import type { MemoryStorage } from "../raft/storage.ts";
import {
  cloneConfState,
  type ConfChange,
  type ConfState,
  EntryType,
  type Message,
  MessageType,
  type NodeId,
  type Role,
} from "../raft/types.ts";
import { assert } from "../util/assert.ts";
import { FrameError } from "../transport/frame.ts";
import {
  type AdminAnswer,
  AdminForwarder,
  type AppliedAt,
  CONF_CHANGES_PENDING_MAX,
  decodeAdminRequest,
  encodeAdminAnswer,
} from "./admin_forward.ts";
import type { RandomSource } from "../util/random.ts";
import { Broadcast } from "./broadcast.ts";
import { EngineStoppedError, TimeoutError, TooManyRequestsError } from "./errors.ts";
import { decodeForwardRequest, encodeForwardAnswer, type ForwardAnswer } from "./forward_codec.ts";
import { decodeCommand } from "../kv/command_codec.ts";
import { SnapshotSender, type SnapshotSendStats } from "./snapshot_sender.ts";
import {
  SNAPSHOT_FETCH_ATTEMPTS_MAX,
  SnapshotReceiver,
  type SnapshotReceiveStats,
} from "./snapshot_receiver.ts";
import {
  AppRequestKind,
  decodeSnapshotDone,
  decodeSnapshotFetch,
  decodeSnapshotOffer,
} from "./snapshot_stream_codec.ts";
import { type MemberRegistry, membersOf, type MemberStatus } from "./members.ts";
import type { ResolvedEngineOptions } from "./options.ts";
import { Forwarder } from "./forwarder.ts";
import { ReadRounds } from "./read_rounds.ts";
import { type ProposedWrite, takeExpired, type WriteIdentity, type WriteRequest } from "./requests.ts";
import { SnapshotPolicy } from "./snapshot_policy.ts";
import { decodeEngineSnapshot } from "./snapshot_codec.ts";

/** Most ticks delivered for one timer firing (a long pause is not replayed tick by tick). */
export const TICKS_PER_TIMER_MAX = 64;
/** Most expired leases the leader revokes per tick. */
export const LEASE_REVOKES_PER_TICK_MAX = 100;

export { CONF_CHANGES_PENDING_MAX } from "./admin_forward.ts";

interface ConfWaiter {
  term: number;
  deadlineMs: number;
  resolve(): void;
  reject(error: Error): void;
}

/** Who leads, as seen by this node. */
export interface LeaderInfo {
  /** The leader's id, 0 when none is known. */
  leaderId: NodeId;
  /** The leader's name, "" when unknown. */
  leaderName: string;
  term: number;
}

/** Snapshot streams sent and received by one node since it started. */
export interface SnapshotTransferStats {
  sent: SnapshotSendStats;
  received: SnapshotReceiveStats;
}

/** What a driver is built from. */
export interface DriverParts {
  options: ResolvedEngineOptions;
  raw: RawNode;
  storage: MemoryStorage;
  store: KvStore;
  log: LogStorage;
  snapshots: SnapshotStorage;
  transport: Transport | null;
  nowMs: () => number;
  random: RandomSource;
  applied: number;
  confState: ConfState;
  snapshotIndex: number;
  members: MemberRegistry;
}

/**
 * One running node.
 *
 * @example
 * ```ts ignore
 * const driver = new NodeDriver(parts); // built by Engine.start
 * driver.start();
 * await driver.write({ type: "compact", revision: 1 });
 * ```
 */
export class NodeDriver {
  readonly options: ResolvedEngineOptions;
  readonly store: KvStore;
  readonly leader: Broadcast<LeaderInfo>;
  readonly membership: Broadcast<MemberStatus[]>;
  readonly #raw: RawNode;
  readonly #storage: MemoryStorage;
  readonly #log: LogStorage;
  readonly #transport: Transport | null;
  readonly #nowMs: () => number;
  readonly #members: MemberRegistry;
  readonly #snapshots: SnapshotPolicy;
  #applied: number;
  #confState: ConfState;
  #snapshotsInstalled = 0;
  #role: Role = "follower";
  #term = 0;
  #leaderId: NodeId = 0;
  #state: "running" | "stopping" | "stopped" = "running";
  #persist: Promise<void> | null = null;
  /** Counters and the fsync latency histogram, for `/metrics`. */
  readonly metrics: EngineMetrics = new EngineMetrics();
  #turnScheduled = false;
  #tickTimer: ReturnType<typeof setTimeout> | null = null;
  #lastTickMs = 0;
  #lastCheckpointMs = 0;
  #lastProgressNotifyMs = 0;
  #fatal: Error | null = null;
  // Writes: every local caller's write is in exactly one of these three places until settled.
  readonly #proposed = new Map<number, ProposedWrite>();
  readonly #forwarder: Forwarder | null;
  readonly #snapshotSender: SnapshotSender | null;
  readonly #snapshotReceiver: SnapshotReceiver | null;
  readonly #admin: AdminForwarder | null;
  #correlationNext = 1;
  #leaderless: WriteRequest[] = [];
  #writesInFlight = 0;
  readonly #revoking = new Set<number>();
  readonly #confWaiters = new Map<number, ConfWaiter>();
  readonly #reads = new ReadRounds();
  #readyResolve: (() => void) | null = null;
  #readyReject: (error: Error) => void = () => {};
  readonly #ready: Promise<void>;

  /** @param parts The recovered state and the ports. */
  constructor(parts: DriverParts) {
    this.options = parts.options;
    this.store = parts.store;
    this.#raw = parts.raw;
    this.#storage = parts.storage;
    this.#log = parts.log;
    this.#transport = parts.transport;
    this.#nowMs = parts.nowMs;
    const transport = parts.transport;
    const nextCorrelationId = () => this.#correlationNext++;
    this.#forwarder = transport === null
      ? null
      : new Forwarder(transport, parts.random, parts.options.maxForwardedRequests, nextCorrelationId);
    this.#admin = transport === null ? null : new AdminForwarder(transport, nextCorrelationId);
    const fetchTimeoutMs = parts.options.electionTimeoutTicks * parts.options.tickIntervalMs;
    const sendApp = transport === null ? () => false : transport.sendApp.bind(transport);
    this.#snapshotSender = transport === null ? null : new SnapshotSender({
      sendApp,
      nextCorrelationId,
      report: (to, ok) => this.#raw.reportSnapshot(to, ok),
      chunkBytes: parts.options.snapshotChunkBytes,
      idleTimeoutMs: fetchTimeoutMs * (SNAPSHOT_FETCH_ATTEMPTS_MAX + 1),
      firstStreamId: parts.random.nextUint32() + 1,
    });
    this.#snapshotReceiver = transport === null ? null : new SnapshotReceiver({
      sendApp,
      nextCorrelationId,
      deliver: (message) => this.#raw.step(message),
      fetchTimeoutMs,
    });
    this.#applied = parts.applied;
    this.#confState = parts.confState;
    this.#members = parts.members;
    this.#snapshots = new SnapshotPolicy({
      storage: parts.storage,
      log: parts.log,
      snapshots: parts.snapshots,
      store: parts.store,
      members: parts.members,
      snapshotEntries: parts.options.snapshotEntries,
      keepEntries: parts.options.snapshotKeepEntries,
      snapshotIndex: parts.snapshotIndex,
      onError: (error) => this.#die(error),
    });
    this.leader = new Broadcast<LeaderInfo>({ leaderId: 0, leaderName: "", term: 0 });
    this.membership = new Broadcast(membersOf(this.#confState, this.#members));
    this.#ready = new Promise((resolve, reject) => {
      this.#readyResolve = resolve;
      this.#readyReject = reject;
    });
    // Nobody may be waiting when a stop rejects it.
    this.#ready.catch(() => {});
  }

  /** Starts ticking and processing. */
  start(): void {
    this.#lastTickMs = this.#nowMs();
    this.#lastProgressNotifyMs = this.#lastTickMs;
    this.#tickTimer = setTimeout(() => this.#tickLoop(), this.options.tickIntervalMs);
    this.#scheduleTurn();
  }

  /** @returns Resolves once a leader has committed an entry of its term and this node applied it; rejects if the node stops first. */
  whenReady(): Promise<void> {
    return this.#ready;
  }

  /** @returns The current role of this node. */
  get role(): Role {
    return this.#role;
  }

  /** @returns The applied index. */
  get applied(): number {
    return this.#applied;
  }

  /** @returns How many snapshots from the leader this node installed since it started. */
  get snapshotsInstalled(): number {
    return this.#snapshotsInstalled;
  }

  /** @returns The monotonic time. */
  nowMs(): number {
    return this.#nowMs();
  }

  /** @returns The node's Raft status plus its membership. */
  status(): { raft: ReturnType<RawNode["status"]>; members: MemberStatus[]; leader: LeaderInfo } {
    return { raft: this.#raw.status(), members: this.membership.value, leader: this.leader.value };
  }

  /** @returns Counters of the snapshot streams this node sent and received. */
  snapshotTransfers(): SnapshotTransferStats {
    const sent = this.#snapshotSender?.stats ?? { offered: 0, completed: 0, failed: 0, chunksSent: 0 };
    const received = this.#snapshotReceiver?.stats ?? { completed: 0, failed: 0, fetchRetries: 0 };
    return { sent: { ...sent }, received: { ...received } };
  }

  /** Called by the transport for every inbound frame. */
  readonly onFrame = (from: NodeId, frame: InboundFrame): void => {
    if (this.#state === "stopped" || this.#fatal !== null) return;
    try {
      if (frame.kind === "raft") this.#raw.step(frame.message);
      else if (frame.kind === "request") this.#onAppRequest(from, frame.correlationId, frame.payload);
      else this.#onAppResponse(frame.correlationId, frame.payload);
    } catch (error) {
      this.#die(error);
      return;
    }
    this.#scheduleTurn();
  };

  /** Called by the transport when a peer's connection is lost or regained. */
  readonly onPeerStatus = (peer: NodeId, connected: boolean): void => {
    if (this.#state !== "running" || this.#fatal !== null || connected) return;
    this.#raw.reportUnreachable(peer);
    this.#scheduleTurn();
  };

  // ---------------------------------------------------------------------------------------------------------
  // Requests.

  /**
   * Replicates a command and resolves with its answer once applied on this node.
   *
   * @param command The command.
   * @returns The store's answer.
   * @throws {KvError} The command's domain error.
   * @throws {TooManyRequestsError} When maxPendingWrites writes already wait.
   * @throws {TimeoutError} After requestTimeoutMs.
   * @throws {EngineStoppedError} When stopping.
   */
  write(command: Command, identity: WriteIdentity | null = null): Promise<CommandResponse> {
    this.checkRunning("write");
    if (this.#writesInFlight >= this.options.maxPendingWrites) {
      return Promise.reject(
        new TooManyRequestsError("write", "maxPendingWrites", this.options.maxPendingWrites),
      );
    }
    return this.#internalWrite(command, identity);
  }

  /**
   * Waits until this node's state reflects every write acknowledged before the call.
   *
   * @param mode "safe" confirms leadership with a quorum round; "lease" trusts the leader lease.
   * @returns Resolves once applied reaches the read index.
   * @throws {TooManyRequestsError} When maxPendingReads reads already wait.
   * @throws {TimeoutError} After requestTimeoutMs.
   */
  readBarrier(mode: "safe" | "lease"): Promise<void> {
    this.checkRunning("read");
    if (this.#reads.waiting >= this.options.maxPendingReads) {
      return Promise.reject(
        new TooManyRequestsError("read", "maxPendingReads", this.options.maxPendingReads),
      );
    }
    // The promise's own functions are the waiter's: no closures per read.
    return new Promise<void>((resolve, reject) => {
      this.#reads.enqueue(mode, {
        deadlineMs: this.#nowMs() + this.options.requestTimeoutMs,
        resolve,
        reject,
      });
      this.#scheduleTurn();
    });
  }

  /**
   * @param action What is attempted.
   * @throws {EngineStoppedError} When the node is stopping or stopped.
   * @throws {Error} The fatal error that stopped the node.
   */
  checkRunning(action: string): void {
    if (this.#fatal !== null) throw this.#fatal;
    if (this.#state !== "running") throw new EngineStoppedError(action);
  }

  #internalWrite(command: Command, identity: WriteIdentity | null = null): Promise<CommandResponse> {
    this.#writesInFlight++;
    return new Promise<CommandResponse>((resolve, reject) => {
      let settled = false;
      const request: WriteRequest = {
        command,
        identity,
        deadlineMs: this.#nowMs() + this.options.requestTimeoutMs,
        settle: (outcome: ApplyResult | Error) => {
          assert(!settled, "a write was settled twice");
          settled = true;
          this.#writesInFlight--;
          if (outcome instanceof Error) reject(outcome);
          else if (outcome.ok) resolve(outcome.response);
          else reject(outcome.error);
        },
      };
      this.#submit(request);
    });
  }

  #submit(request: WriteRequest): void {
    if (this.#state === "stopped") return request.settle(new EngineStoppedError("write"));
    if (this.#role === "leader") return this.#proposeLocal(request, false);
    if (this.#leaderId !== 0 && this.#forwarder !== null) {
      return this.#forwarder.send(request, this.#leaderId, this.#nowMs());
    }
    this.#leaderless.push(request);
  }

  /** Proposes on this (leader) node; `remote` requests came from a follower and are never re-forwarded. */
  #proposeLocal(request: WriteRequest, remote: boolean): void {
    let bytes: Uint8Array;
    try {
      const command = this.#stampLeaderClock(request.command);
      bytes = encodeCommand(command, request.identity ?? undefined);
    } catch (error) {
      return request.settle(error instanceof Error ? error : new Error(String(error)));
    }
    let at: { index: number; term: number };
    try {
      at = this.#raw.propose(bytes);
    } catch (error) {
      if (!(error instanceof NotLeaderError) && !(error instanceof ProposalDroppedError)) throw error;
      if (remote) return request.settle(error);
      this.#leaderless.push(request);
      return;
    }
    this.metrics.proposals++;
    const previous = this.#proposed.get(at.index);
    // An older proposal at the same index was truncated away: it was never committed, so retry it.
    if (previous !== undefined) this.#leaderless.push(previous.request);
    this.#proposed.set(at.index, { term: at.term, request });
    this.#scheduleTurn();
  }

  #stampLeaderClock(command: Command): Command {
    const nowMs = this.#nowMs();
    if (command.type === "leaseKeepAlive") {
      if (this.store.leaseExpired(command.id, nowMs)) throw new LeaseNotFoundError("keep alive", command.id);
      return { ...command, clock: { term: this.#term, nowMs } };
    }
    if (command.type === "leaseGrant") return { ...command, clock: { term: this.#term, nowMs } };
    return command;
  }

  #onAppRequest(from: NodeId, correlationId: number, payload: Uint8Array): void {
    try {
      this.#dispatchAppRequest(from, correlationId, payload);
    } catch (error) {
      // A malformed request from a peer is dropped (the peer retries or gives up); it must not stop us.
      if (!(error instanceof FrameError) && !(error instanceof RangeError)) throw error;
    }
  }

  #dispatchAppRequest(from: NodeId, correlationId: number, payload: Uint8Array): void {
    const nowMs = this.#nowMs();
    switch (payload[0]) {
      case AppRequestKind.Write:
        return this.#onForwardRequest(from, correlationId, payload);
      case AppRequestKind.SnapshotOffer: {
        const offer = decodeSnapshotOffer(payload);
        // An offer from a deposed leader would only be refused by the core after the whole transfer.
        if (offer.header.term < this.#term) return;
        return this.#snapshotReceiver?.onOffer(from, offer, nowMs);
      }
      case AppRequestKind.SnapshotFetch: {
        const leading = this.#role === "leader" && this.#state === "running";
        return this.#snapshotSender?.onFetch(
          from,
          correlationId,
          decodeSnapshotFetch(payload),
          nowMs,
          leading,
        );
      }
      case AppRequestKind.SnapshotDone:
        return this.#snapshotSender?.onDone(from, decodeSnapshotDone(payload));
      case AppRequestKind.Admin:
        return this.#onAdminRequest(from, correlationId, payload);
      case AppRequestKind.TransferLeadership: {
        if (payload.length !== 9 || this.#role !== "leader") return;
        return this.#raw.transferLeader(new DataView(payload.buffer, payload.byteOffset, 9).getFloat64(1));
      }
      default:
        throw new RangeError(`Cannot handle an application request from ${from}: unknown kind ${payload[0]}`);
    }
  }

  #onAppResponse(correlationId: number, payload: Uint8Array): void {
    const requeue = (request: WriteRequest) => this.#leaderless.push(request);
    const limit = this.options.maxPendingWrites;
    if (this.#forwarder?.onAnswer(correlationId, payload, requeue, limit) === true) return;
    if (this.#admin?.onAnswer(correlationId, payload) === true) return;
    this.#snapshotReceiver?.onChunk(correlationId, payload, this.#nowMs());
  }

  #onForwardRequest(from: NodeId, correlationId: number, payload: Uint8Array): void {
    const answer = (reply: ForwardAnswer) => {
      this.#transport?.sendApp(from, {
        kind: "response",
        correlationId,
        payload: encodeForwardAnswer(reply),
      });
    };
    if (this.#state !== "running" || this.#role !== "leader") return answer({ kind: "notLeader" });
    if (this.#writesInFlight >= this.options.maxPendingWrites) return answer({ kind: "busy" });
    let envelope;
    try {
      envelope = decodeCommand(decodeForwardRequest(payload));
    } catch (error) {
      if (error instanceof KvError) return answer({ kind: "applied", result: { ok: false, error } });
      throw error;
    }
    this.#writesInFlight++;
    this.#proposeLocal({
      command: envelope.command,
      identity: { clientId: envelope.clientId, sequence: envelope.sequence },
      deadlineMs: this.#nowMs() + this.options.requestTimeoutMs,
      settle: (outcome) => {
        this.#writesInFlight--;
        if (!(outcome instanceof Error)) answer({ kind: "applied", result: outcome });
        else if (outcome instanceof KvError) {
          answer({ kind: "applied", result: { ok: false, error: outcome } });
        } else answer({ kind: "notLeader" });
      },
    }, true);
  }

  // ---------------------------------------------------------------------------------------------------------
  // The loop.

  #scheduleTurn(): void {
    if (this.#turnScheduled || this.#state === "stopped") return;
    this.#turnScheduled = true;
    queueMicrotask(() => {
      this.#turnScheduled = false;
      try {
        this.#turn();
      } catch (error) {
        this.#die(error);
      }
    });
  }

  #turn(): void {
    if (this.#state === "stopped" || this.#fatal !== null) return;
    this.#reads.issue((context, mode) => this.#raw.readIndex(context, mode), this.#leaderId, this.#nowMs());
    if (this.#persist !== null || !this.#raw.hasReady()) return;
    const ready = this.#raw.ready();
    if (ready.softState !== null) {
      this.#onSoftState(ready.softState.role, ready.softState.term, ready.softState.leader);
    }
    for (const message of ready.messages) this.#send(message);
    this.#transport?.flush();
    const needsDisk = ready.snapshot !== null || ready.entries.length > 0 || ready.hardState !== null;
    if (!needsDisk) return this.#afterPersist(ready);
    this.#persist = this.#persistReady(ready).then(
      () => {
        this.#persist = null;
        if (this.#fatal === null) this.#afterPersist(ready);
      },
      (error) => this.#die(error),
    );
  }

  async #persistReady(ready: Ready): Promise<void> {
    const log = this.#log;
    // An index-0 snapshot is the founding configuration the leader attaches to an append from index 1:
    // it has no state machine data and nothing to persist (the founders' log entries carry the members).
    if (ready.snapshot !== null && ready.snapshot.metadata.index > 0) {
      await this.#snapshots.saveReceived(ready.snapshot);
      await log.resetToSnapshot(ready.snapshot.metadata.index, ready.snapshot.metadata.term);
    }
    const writes: Promise<void>[] = [];
    if (ready.entries.length > 0) writes.push(log.append(ready.entries));
    if (ready.hardState !== null) writes.push(log.saveHardState(ready.hardState));
    if (writes.length === 0) return;
    const startedMs = this.#nowMs();
    await Promise.all(writes);
    this.metrics.observeFsync(this.#nowMs() - startedMs);
  }

  #afterPersist(ready: Ready): void {
    try {
      const storage = this.#storage;
      if (ready.snapshot !== null) this.#installSnapshot(ready);
      if (ready.entries.length > 0) storage.append(ready.entries);
      if (ready.hardState !== null) storage.setHardState(ready.hardState);
      for (const message of ready.messagesAfterPersist) this.#send(message);
      this.#transport?.flush();
      this.#applyEntries(ready);
      this.#reads.accept(ready.readStates);
      this.#raw.advance();
      this.#reads.serve(this.#applied);
      if (this.#state === "running") this.#snapshots.maybeSnapshot(this.#applied, this.#confState);
      // A new leader (or role) takes the writes that waited for one; other retries wait for the next tick,
      // so a follower with a stale leader hint does not bounce writes back and forth at network speed.
      if (ready.softState !== null) this.#retryLeaderless();
      this.#scheduleTurn();
    } catch (error) {
      this.#die(error);
    }
  }

  #installSnapshot(ready: Ready): void {
    const snapshot = ready.snapshot!;
    if (snapshot.metadata.index === 0) {
      assert(this.#applied === 0, () => `a founding configuration arrived after applying ${this.#applied}`);
      this.#confState = cloneConfState(snapshot.metadata.confState);
      return;
    }
    this.#storage.applySnapshot(snapshot);
    const data = decodeEngineSnapshot(snapshot.data);
    this.store.restoreSnapshot(data.store);
    this.#members.restore(data.members);
    for (const member of data.members) {
      if (member.id !== this.options.id && member.address !== null) {
        this.#transport?.addPeer(member.id, member.address);
      }
    }
    this.#applied = snapshot.metadata.index;
    this.#snapshotsInstalled++;
    this.#confState = snapshot.metadata.confState;
    this.#members.applyConfState(this.#confState);
    // Changes the leader applied at or below the snapshot are in it: their waiters are done.
    for (const [index, waiter] of this.#confWaiters) {
      if (index > this.#applied) continue;
      this.#confWaiters.delete(index);
      waiter.resolve();
    }
    this.membership.publish(membersOf(this.#confState, this.#members));
  }

  #applyEntries(ready: Ready): void {
    for (const entry of ready.committedEntries) {
      if (entry.index <= this.#applied) continue;
      let result: ApplyResult | null = null;
      if (entry.type === EntryType.Normal && entry.data.length > 0) {
        result = this.store.apply(entry.index, entry.data);
      } else if (entry.type === EntryType.ConfChange) {
        this.#applyConfChange(entry.index, entry.term, entry.data);
      }
      this.#applied = entry.index;
      const proposed = this.#proposed.get(entry.index);
      if (proposed !== undefined) {
        this.#proposed.delete(entry.index);
        if (proposed.term === entry.term && result !== null) proposed.request.settle(result);
        else this.#leaderless.push(proposed.request);
      }
      if (entry.term === this.#term && this.#leaderId !== 0 && this.#readyResolve !== null) {
        this.#readyResolve();
        this.#readyResolve = null;
      }
    }
  }

  #applyConfChange(index: number, term: number, data: Uint8Array): void {
    const next = this.#members.applyEntry(this.#confState, data, this.options.id, this.#transport);
    if (next !== null) {
      this.#confState = next;
      this.membership.publish(membersOf(next, this.#members));
    }
    const waiter = this.#confWaiters.get(index);
    if (waiter === undefined) return;
    this.#confWaiters.delete(index);
    if (waiter.term === term) waiter.resolve();
    else {waiter.reject(
        new Error(
          `Cannot change the membership: the change at index ${index} was lost to a leader change; retry`,
        ),
      );}
  }

  /**
   * Makes a membership change: proposed here when this node leads, else forwarded to the leader; resolves
   * once the change is applied on this node.
   *
   * @param change The change (its context names the member and its address).
   * @returns Resolves once applied here.
   * @throws {NotLeaderError} When this node does not lead and has no transport to reach a leader.
   * @throws {ConfChangeRejectedError} When another change is pending or the change is invalid.
   * @throws {TooManyRequestsError} When CONF_CHANGES_PENDING_MAX changes already wait.
   * @throws {TimeoutError} After requestTimeoutMs.
   */
  async changeMembership(change: ConfChange): Promise<void> {
    this.checkRunning("change the membership");
    if (this.#role === "leader" || this.#admin === null) {
      await this.#proposeConfChange(change);
      return;
    }
    const deadlineMs = this.#nowMs() + this.options.requestTimeoutMs;
    const at = await this.#admin.submit(change, this.#leaderId, deadlineMs);
    await this.#waitConfApplied(at, deadlineMs);
  }

  #proposeConfChange(change: ConfChange): Promise<AppliedAt> {
    if (this.#role !== "leader") throw new NotLeaderError("change the membership", this.#leaderId);
    if (this.#transport === null && change.changes.some((single) => single.type !== "remove")) {
      throw new Error(
        "Cannot add a member: this node was started without peers or listenPeer, so it has no transport",
      );
    }
    if (this.#confWaiters.size >= CONF_CHANGES_PENDING_MAX) {
      throw new TooManyRequestsError(
        "change the membership",
        "CONF_CHANGES_PENDING_MAX",
        CONF_CHANGES_PENDING_MAX,
      );
    }
    const at = this.#raw.proposeConfChange(change);
    this.#scheduleTurn();
    return new Promise((resolve, reject) => {
      const deadlineMs = this.#nowMs() + this.options.requestTimeoutMs;
      this.#confWaiters.set(at.index, { term: at.term, deadlineMs, resolve: () => resolve(at), reject });
    });
  }

  /** Waits until this node applied a change the leader applied at `at`. */
  #waitConfApplied(at: AppliedAt, deadlineMs: number): Promise<void> {
    if (this.#applied >= at.index) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#confWaiters.set(at.index, { term: at.term, deadlineMs, resolve, reject });
    });
  }

  #onAdminRequest(from: NodeId, correlationId: number, payload: Uint8Array): void {
    const answer = (reply: AdminAnswer) => {
      this.#transport?.sendApp(from, { kind: "response", correlationId, payload: encodeAdminAnswer(reply) });
      this.#transport?.flush();
    };
    if (this.#state !== "running" || this.#role !== "leader") return answer({ kind: "notLeader" });
    let proposed: Promise<AppliedAt>;
    try {
      proposed = this.#proposeConfChange(decodeAdminRequest(payload));
    } catch (error) {
      return answer(adminAnswerOf(error));
    }
    proposed.then((at) => answer({ kind: "applied", at }), (error) => answer(adminAnswerOf(error)));
  }

  /**
   * Asks the leader to hand leadership to `transferee` (a follower passes the request to the leader in an
   * application request: a Raft message relayed by a third node would not pass the transport's sender check).
   *
   * @param transferee A voter.
   * @throws {NotLeaderError} When no leader is known.
   */
  transferLeadership(transferee: NodeId): void {
    this.checkRunning("transfer leadership");
    if (this.#role === "leader" || this.#transport === null) {
      this.#raw.transferLeader(transferee);
      this.#scheduleTurn();
      return;
    }
    if (this.#leaderId === 0) throw new NotLeaderError("transfer leadership", 0);
    const payload = new Uint8Array(9);
    payload[0] = AppRequestKind.TransferLeadership;
    new DataView(payload.buffer).setFloat64(1, transferee);
    this.#transport.sendApp(this.#leaderId, {
      kind: "request",
      correlationId: this.#correlationNext++,
      payload,
    });
    this.#transport.flush();
  }

  #onSoftState(role: Role, term: number, leaderId: NodeId): void {
    const wasLeader = this.#role === "leader";
    const termChanged = term !== this.#term;
    if (leaderId !== this.#leaderId) this.metrics.leaderChanges++;
    this.#role = role;
    this.#term = term;
    this.#leaderId = leaderId;
    if (role === "leader" && (!wasLeader || termChanged)) {
      this.store.promoteLeaseClock(term, this.#nowMs());
      this.#lastCheckpointMs = this.#nowMs();
    } else if (role !== "leader" && wasLeader) {
      this.store.demoteLeaseClock();
      this.#snapshotSender?.dropAll();
    }
    const previous = this.leader.value;
    if (previous.leaderId !== leaderId || previous.term !== term) {
      this.leader.publish({ leaderId, leaderName: this.#members.nameOf(leaderId), term });
    }
  }

  #send(message: Message): void {
    const transport = this.#transport;
    assert(
      transport !== null,
      () => `node ${this.options.id} has no transport but must send to ${message.to}`,
    );
    // A snapshot may exceed a frame: it is streamed in chunks, and its outcome reported when known.
    if (message.type === MessageType.Snap) this.#snapshotSender!.start(message, this.#nowMs());
    else transport.send(message.to, message);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Time.

  #tickLoop(): void {
    this.#tickTimer = null;
    if (this.#state === "stopped" || this.#fatal !== null) return;
    try {
      const tickMs = this.options.tickIntervalMs;
      const nowMs = this.#nowMs();
      const due = Math.floor((nowMs - this.#lastTickMs) / tickMs);
      for (let i = 0; i < Math.min(due, TICKS_PER_TIMER_MAX); i++) this.#raw.tick();
      this.#lastTickMs = due > TICKS_PER_TIMER_MAX ? nowMs : this.#lastTickMs + Math.max(due, 0) * tickMs;
      this.#expireRequests(nowMs);
      this.#retryRequests(nowMs);
      this.#snapshotSender?.expire(nowMs);
      this.#snapshotReceiver?.tick(nowMs);
      this.#admin?.tick(
        this.#leaderId,
        nowMs,
        () => new TimeoutError("change the membership", this.options.requestTimeoutMs),
      );
      if (this.#role === "leader" && this.#state === "running") this.#leaseDuties(nowMs);
      if (nowMs - this.#lastProgressNotifyMs >= this.options.watchProgressNotifyIntervalMs) {
        // Each member tells its own watchers (those created with progressNotify) what it has applied, as etcd does.
        this.#lastProgressNotifyMs = nowMs;
        this.store.notifyProgress();
      }
      this.#scheduleTurn();
    } catch (error) {
      this.#die(error);
      return;
    }
    this.#tickTimer = setTimeout(() => this.#tickLoop(), this.options.tickIntervalMs);
  }

  /** How long a forwarded write or a read round may go unanswered before it is sent again. */
  #retryWindowMs(): number {
    const electionTimeoutMs = this.options.electionTimeoutTicks * this.options.tickIntervalMs;
    return Math.max(electionTimeoutMs, this.options.requestTimeoutMs / 4);
  }

  #retryRequests(nowMs: number): void {
    const leaderId = this.#leaderId;
    const overdue = this.#forwarder?.takeOverdue(leaderId, nowMs, this.#retryWindowMs()) ?? [];
    for (const request of overdue) this.#leaderless.push(request);
    this.#reads.retry(leaderId, nowMs, this.#retryWindowMs());
    this.#retryLeaderless();
  }

  #retryLeaderless(): void {
    if (this.#leaderless.length === 0 || (this.#role !== "leader" && this.#leaderId === 0)) return;
    const waiting = this.#leaderless;
    this.#leaderless = [];
    for (const request of waiting) this.#submit(request);
  }

  #expireRequests(nowMs: number): void {
    for (const waiter of takeExpired(this.#confWaiters, (w) => w.deadlineMs, nowMs)) {
      waiter.reject(new TimeoutError("change the membership", this.options.requestTimeoutMs));
    }
    const timeout = () => new TimeoutError("write", this.options.requestTimeoutMs);
    for (const proposed of takeExpired(this.#proposed, (p) => p.request.deadlineMs, nowMs)) {
      proposed.request.settle(timeout());
    }
    this.#forwarder?.expire(nowMs, timeout);
    const stillWaiting: WriteRequest[] = [];
    for (const request of this.#leaderless) {
      if (request.deadlineMs <= nowMs) request.settle(timeout());
      else stillWaiting.push(request);
    }
    this.#leaderless = stillWaiting;
    this.#reads.expire(nowMs, () => new TimeoutError("read", this.options.requestTimeoutMs));
  }

  #leaseDuties(nowMs: number): void {
    if (this.#applied < this.#raw.status().commit) return;
    for (const id of this.store.expiredLeases(nowMs, LEASE_REVOKES_PER_TICK_MAX)) {
      if (this.#revoking.has(id)) continue;
      this.#revoking.add(id);
      this.#internalWrite({ type: "leaseRevoke", id }).catch(() => {}).finally(() =>
        this.#revoking.delete(id)
      );
    }
    if (nowMs - this.#lastCheckpointMs < this.options.leaseCheckpointIntervalMs) return;
    this.#lastCheckpointMs = nowMs;
    for (const command of this.store.leaseCheckpointCommands(nowMs)) {
      // A lost checkpoint only costs TTL precision after a leader change; the next one follows.
      this.#internalWrite(command).catch(() => {});
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Stop.

  /**
   * Stops taking requests, lets the write in flight finish, fails what still waits, then closes the
   * transport and the storage.
   *
   * @returns Resolves once everything is closed.
   */
  async stop(): Promise<void> {
    if (this.#state !== "running") return;
    this.#state = "stopping";
    if (this.#fatal === null) await this.#handOff();
    if (this.#tickTimer !== null) clearTimeout(this.#tickTimer);
    this.#tickTimer = null;
    await this.#persist?.catch(() => {});
    await this.#snapshots.idle();
    this.#state = "stopped";
    this.#failEverything(new EngineStoppedError("finish the request"));
    this.leader.close();
    this.membership.close();
    await this.#transport?.close();
    await this.#log.close();
    await this.#snapshots.close();
  }

  /**
   * A stopping leader hands leadership to its most caught-up voter, so the cluster need not wait an
   * election timeout; then writes still in flight get up to one election timeout to finish (those that
   * were waiting on this leader are forwarded to the new one).
   */
  async #handOff(): Promise<void> {
    const electionTimeoutMs = this.options.electionTimeoutTicks * this.options.tickIntervalMs;
    if (this.#role === "leader") {
      const candidates = this.#raw.status().progress
        .filter((progress) => progress.id !== this.options.id && !progress.isLearner)
        .sort((a, b) => b.match - a.match);
      const best = candidates[0];
      if (best === undefined) return;
      this.#raw.transferLeader(best.id);
      this.#scheduleTurn();
      await this.#waitUntil(() => this.#role !== "leader", electionTimeoutMs);
    }
    await this.#waitUntil(() => this.#writesInFlight === 0, electionTimeoutMs);
  }

  #waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
    const deadlineMs = this.#nowMs() + timeoutMs;
    return new Promise((resolve) => {
      const check = () => {
        if (condition() || this.#fatal !== null || this.#nowMs() >= deadlineMs) resolve();
        else setTimeout(check, this.options.tickIntervalMs);
      };
      check();
    });
  }

  #failEverything(error: Error): void {
    this.#readyReject(error);
    for (const waiter of this.#confWaiters.values()) waiter.reject(error);
    this.#confWaiters.clear();
    for (const proposed of this.#proposed.values()) proposed.request.settle(error);
    this.#forwarder?.failAll(error);
    for (const request of this.#leaderless) request.settle(error);
    this.#proposed.clear();
    this.#leaderless = [];
    this.#reads.failAll(error);
    this.#snapshotReceiver?.abort();
    this.#admin?.failAll(error);
  }

  /** A storage failure or a broken invariant: the node must not go on (its state may be ahead of its disk). */
  #die(error: unknown): void {
    if (this.#fatal !== null) return;
    this.#fatal = error instanceof Error ? error : new Error(String(error));
    if (this.#tickTimer !== null) clearTimeout(this.#tickTimer);
    this.#tickTimer = null;
    this.#failEverything(this.#fatal);
    console.error(`dengine node ${this.options.name} stopped on a fatal error:`, this.#fatal);
  }
}

/** How a refused membership change is told to the member that forwarded it. */
function adminAnswerOf(error: unknown): AdminAnswer {
  if (error instanceof NotLeaderError || error instanceof ProposalDroppedError) return { kind: "notLeader" };
  if (error instanceof ConfChangeRejectedError) return { kind: "rejected", reason: error.reason };
  if (error instanceof TooManyRequestsError) return { kind: "busy" };
  return { kind: "failed", message: error instanceof Error ? error.message : String(error) };
}
