/**
 * A tiny in-test network for RawNodes backed by MemoryStorage: it processes each node's Ready (persist,
 * apply, collect messages) and delivers messages in FIFO order, with per-link drops and isolation.
 *
 * @module
 */

import {
  type ConfState,
  type Entry,
  MemoryStorage,
  type Message,
  MessageType,
  type NodeId,
  type RaftConfig,
  RawNode,
  type ReadState,
  type Ready,
  SeededRandom,
  type Snapshot,
} from "../../src/raft/mod.ts";

/** The most delivery rounds drain() runs before deciding the network does not settle. */
export const DRAIN_ROUNDS_MAX = 10_000;

/** Per-node state kept by the network. */
export interface Member {
  node: RawNode;
  storage: MemoryStorage;
  /** Every committed entry applied, in order. */
  applied: Entry[];
  readStates: ReadState[];
  /** Snapshots installed from Readies. */
  snapshots: Snapshot[];
  /** A Ready taken by beginReady() and not yet finished (lost if the node restarts). */
  pending: Ready | null;
}

/** Builds a RawNode; tests pass a subclass factory to plant bugs. */
export type NodeFactory = (config: RaftConfig) => RawNode;

/** Options of a test network. */
export interface NetworkOptions {
  preVote?: boolean;
  checkQuorum?: boolean;
  electionTimeoutTicks?: number;
  heartbeatIntervalTicks?: number;
  maxInflightAppends?: number;
  maxEntriesPerAppend?: number;
  maxBytesPerAppend?: number;
  maxUncommittedEntriesBytes?: number;
  leaseClockDriftMarginTicks?: number;
  maxPendingReadIndex?: number;
  learners?: NodeId[];
  seed?: number;
  factory?: NodeFactory;
}

/**
 * A configuration with test defaults.
 *
 * @param id The node.
 * @param storage Its storage.
 * @param options Overrides.
 * @returns The configuration.
 */
export function testConfig(id: NodeId, storage: MemoryStorage, options: NetworkOptions = {}): RaftConfig {
  return {
    id,
    storage,
    random: new SeededRandom((options.seed ?? 1) * 1000 + id),
    electionTimeoutTicks: options.electionTimeoutTicks ?? 10,
    heartbeatIntervalTicks: options.heartbeatIntervalTicks ?? 1,
    applied: 0,
    preVote: options.preVote ?? false,
    checkQuorum: options.checkQuorum ?? false,
    maxEntriesPerAppend: options.maxEntriesPerAppend ?? 1024,
    maxBytesPerAppend: options.maxBytesPerAppend ?? 1 << 20,
    maxInflightAppends: options.maxInflightAppends ?? 256,
    maxUncommittedEntriesBytes: options.maxUncommittedEntriesBytes ?? 1 << 24,
    leaseClockDriftMarginTicks: options.leaseClockDriftMarginTicks ?? 2,
    maxPendingReadIndex: options.maxPendingReadIndex ?? 1024,
  };
}

/** UTF-8 bytes of a string. */
export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** The string of UTF-8 bytes. */
export function text(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}

/** A cluster of RawNodes connected by an in-memory, FIFO, loss-controllable network. */
export class Network {
  readonly members: Map<NodeId, Member> = new Map();
  readonly options: NetworkOptions;
  /** Messages sent and not yet delivered. */
  queue: Message[] = [];
  /** Every message delivered so far (for assertions). */
  delivered: Message[] = [];
  #cut: Set<string> = new Set();
  /** Drop filter: return true to drop a message. */
  dropIf: ((message: Message) => boolean) | null = null;

  /**
   * @param voters The founding voters.
   * @param options Test options.
   */
  constructor(voters: NodeId[], options: NetworkOptions = {}) {
    this.options = options;
    const confState: ConfState = {
      voters: voters.slice(),
      learners: (options.learners ?? []).slice(),
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    };
    for (const id of [...voters, ...(options.learners ?? [])]) this.addMember(id, confState);
  }

  /** Adds a node with its own empty storage holding `confState` as its initial configuration. */
  addMember(id: NodeId, confState: ConfState): Member {
    const storage = new MemoryStorage(confState);
    return this.restartWith(id, storage);
  }

  /** (Re)starts node `id` from `storage` (a crash-restart keeps the storage). */
  restartWith(id: NodeId, storage: MemoryStorage): Member {
    const config = testConfig(id, storage, this.options);
    config.applied = storage.firstIndex() - 1;
    const factory = this.options.factory ?? ((c: RaftConfig) => new RawNode(c));
    const previous = this.members.get(id);
    const member: Member = {
      node: factory(config),
      storage,
      applied: previous?.applied ?? [],
      readStates: [],
      snapshots: [],
      pending: null,
    };
    this.members.set(id, member);
    return member;
  }

  /** Crash-restarts node `id` from its storage (everything it persisted survives; the applied list restarts). */
  restart(id: NodeId): Member {
    const member = this.restartWith(id, this.member(id).storage);
    member.applied = [];
    return member;
  }

  /** @returns The member. */
  member(id: NodeId): Member {
    const member = this.members.get(id);
    if (member === undefined) throw new Error(`no member ${id}`);
    return member;
  }

  /** @returns The node. */
  node(id: NodeId): RawNode {
    return this.member(id).node;
  }

  /** Cuts (both directions) every link of `id`. */
  isolate(id: NodeId): void {
    for (const other of this.members.keys()) if (other !== id) this.cut(id, other);
  }

  /** Cuts the link between a and b both ways. */
  cut(a: NodeId, b: NodeId): void {
    this.#cut.add(`${a}->${b}`);
    this.#cut.add(`${b}->${a}`);
  }

  /** Cuts only a -> b. */
  cutOneWay(from: NodeId, to: NodeId): void {
    this.#cut.add(`${from}->${to}`);
  }

  /** Restores every link. */
  heal(): void {
    this.#cut.clear();
  }

  /** Processes the Ready of every node (persist, apply, queue messages) until none has one. */
  persistAll(): void {
    for (let round = 0; round < DRAIN_ROUNDS_MAX; round++) {
      let any = false;
      for (const id of this.members.keys()) any = this.processReady(id) || any;
      if (!any) return;
    }
    throw new Error("persistAll did not settle");
  }

  /** Processes one node's Ready if it has one. @returns Whether it had one. */
  processReady(id: NodeId): boolean {
    const member = this.member(id);
    if (member.pending !== null) {
      this.finishReady(id);
      return true;
    }
    const node = member.node;
    if (!node.hasReady()) return false;
    const ready = node.ready();
    if (ready.snapshot !== null) {
      member.storage.applySnapshot(ready.snapshot);
      member.snapshots.push(ready.snapshot);
    }
    member.storage.append(ready.entries);
    if (ready.hardState !== null) member.storage.setHardState(ready.hardState);
    for (const message of ready.messages) this.queue.push(message);
    for (const message of ready.messagesAfterPersist) this.queue.push(message);
    for (const entry of ready.committedEntries) member.applied.push(entry);
    for (const readState of ready.readStates) member.readStates.push(readState);
    node.advance();
    return true;
  }

  /**
   * Takes node `id`'s Ready and sends its `messages` at once (allowed before persisting), leaving the rest
   * for finishReady(): the node may be stepped in between, or crash and lose it.
   *
   * @returns Whether it had a Ready.
   */
  beginReady(id: NodeId): boolean {
    const member = this.member(id);
    if (member.pending !== null || !member.node.hasReady()) return false;
    const ready = member.node.ready();
    member.pending = ready;
    for (const message of ready.messages) this.queue.push(message);
    return true;
  }

  /** Persists, applies and acknowledges the Ready taken by beginReady(). */
  finishReady(id: NodeId): void {
    const member = this.member(id);
    const ready = member.pending;
    if (ready === null) return;
    member.pending = null;
    if (ready.snapshot !== null) {
      member.storage.applySnapshot(ready.snapshot);
      member.snapshots.push(ready.snapshot);
    }
    member.storage.append(ready.entries);
    if (ready.hardState !== null) member.storage.setHardState(ready.hardState);
    for (const message of ready.messagesAfterPersist) this.queue.push(message);
    for (const entry of ready.committedEntries) member.applied.push(entry);
    for (const readState of ready.readStates) member.readStates.push(readState);
    member.node.advance();
  }

  /** Delivers every queued message once (messages they cause stay queued). @returns How many were delivered. */
  deliverQueued(filter: (message: Message) => boolean = () => true): number {
    const now = this.queue;
    this.queue = [];
    let count = 0;
    for (const message of now) {
      if (!filter(message)) {
        this.queue.push(message);
        continue;
      }
      const target = this.members.get(message.to);
      const dropped = this.#drops(message) || target === undefined;
      // Like a real driver: report every snapshot send as finished or failed.
      if (message.type === MessageType.Snap) {
        this.members.get(message.from)?.node.reportSnapshot(message.to, !dropped);
      }
      if (dropped) continue;
      this.delivered.push(message);
      target.node.step(message);
      count++;
    }
    return count;
  }

  /** Persists and delivers until nothing moves. */
  drain(): void {
    for (let round = 0; round < DRAIN_ROUNDS_MAX; round++) {
      this.persistAll();
      if (this.queue.length === 0) return;
      this.deliverQueued();
    }
    throw new Error("the network did not settle");
  }

  /** Ticks the given nodes (default all) n times, draining after each tick. */
  tick(count: number, ids: NodeId[] = [...this.members.keys()]): void {
    for (let i = 0; i < count; i++) {
      for (const id of ids) this.node(id).tick();
      this.drain();
    }
  }

  /** Campaigns node id and drains. */
  elect(id: NodeId): void {
    this.node(id).campaign();
    this.drain();
  }

  /** The id of the node that is leader in the highest term, or 0. */
  leader(): NodeId {
    let best = 0;
    let bestTerm = -1;
    for (const [id, member] of this.members) {
      const status = member.node.status();
      if (status.role === "leader" && status.term > bestTerm) {
        best = id;
        bestTerm = status.term;
      }
    }
    return best;
  }

  /** Takes a snapshot of node `id` at its applied index and compacts its log up to there. */
  snapshotAndCompact(id: NodeId): Snapshot {
    const member = this.member(id);
    const status = member.node.status();
    const snapshot = member.storage.createSnapshot(
      status.applied,
      status.confState,
      bytes(`state@${status.applied}`),
    );
    member.storage.compact(status.applied);
    return snapshot;
  }

  /** Data of the applied normal entries of a node, as strings (no-ops skipped). */
  appliedData(id: NodeId): string[] {
    return this.member(id).applied.filter((e) => e.type === 0 && e.data.byteLength > 0).map((e) =>
      text(e.data)
    );
  }

  #drops(message: Message): boolean {
    if (this.#cut.has(`${message.from}->${message.to}`)) return true;
    return this.dropIf !== null && this.dropIf(message);
  }
}
