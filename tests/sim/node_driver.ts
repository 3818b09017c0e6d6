/**
 * Drives one simulated node the way a real driver must: ready() -> send `messages` -> persist (simulated
 * fsync delay) -> then send `messagesAfterPersist`, apply `committedEntries`, serve reads, advance().
 * Ticks, messages and client requests keep arriving while a persist runs. Crashes lose what is not durable;
 * pauses stop the process and, on resume, deliver the missed ticks first (as a monotonic-clock ticker does).
 *
 * @module
 */

import { assert } from "../../src/util/assert.ts";
import { NotLeaderError, ProposalDroppedError } from "../../src/raft/errors.ts";
import type { MemoryStorage } from "../../src/raft/storage.ts";
import {
  type Entry,
  EntryType,
  type Message,
  MessageType,
  type ReadState,
  type Role,
} from "../../src/raft/types.ts";
import type { ClientReply, ClientRequest } from "./client.ts";
import type { SimContext } from "./context.ts";
import type { NodeFactory, SimRawNode, SimReady } from "./core.ts";
import type { SimDisk } from "./disk.ts";
import { hashBytes } from "./hash.ts";
import { Register } from "./register.ts";
import { decodeCommand, encodeCommand } from "./register.ts";
import type { LogEntryView, LogView } from "./checkers/checker_error.ts";
import type { KvChecks } from "./kv_checks.ts";
import { encodeKvRequest, KvMachine } from "./kv_machine.ts";
import type { Scenario } from "./scenario.ts";

/** The most client writes a node tracks for replies; beyond it the oldest is forgotten (the client times out). */
export const PENDING_CLIENT_WRITES_MAX = 256;
/** The most client reads a node tracks for replies. */
export const PENDING_CLIENT_READS_MAX = 256;

/** What the driver needs from the world around it. */
export interface DriverWorld {
  readonly context: SimContext;
  readonly scenario: Scenario;
  readonly factory: NodeFactory;
  /** Send messagesAfterPersist before the persist completes (the planted "reply before durable" bug). */
  readonly replyBeforeDurable: boolean;
  /** Set when the nodes run the real key-value store instead of the register. */
  readonly kv: KvChecks | null;
  send(message: Message, onOutcome: ((delivered: boolean) => void) | null): void;
  replyToClient(reply: ClientReply): void;
  observeRole(nodeId: number, role: Role, term: number): void;
  observeLeaderLog(nodeId: number, term: number): void;
  observeApply(nodeId: number, entry: LogEntryView): void;
  observeStart(nodeId: number, appliedIndex: number): void;
  observeSnapshotInstall(nodeId: number, index: number): void;
}

/** The lifecycle of a simulated process. */
export type NodeState = "up" | "down";

const digestCache = new WeakMap<Entry, string>();

/**
 * A digest of an entry's type and data, cached per entry object.
 *
 * @param entry The entry.
 * @returns "type:hash".
 * @example
 * ```ts
 * import { entryDigest } from "./node_driver.ts";
 * console.log(entryDigest({ term: 1, index: 1, type: 0, data: new Uint8Array(0) })); // "0:811c9dc5"
 * ```
 */
export function entryDigest(entry: Entry): string {
  let digest = digestCache.get(entry);
  if (digest === undefined) {
    digest = `${entry.type}:${hashBytes(entry.data)}`;
    digestCache.set(entry, digest);
  }
  return digest;
}

/**
 * One node: a RawNode (rebuilt on restart) over a MemoryStorage that mirrors its durable disk.
 *
 * @example
 * ```ts
 * // Built by the world: new NodeDriver(id, world, disk, tickMs, firstTickMs).start()
 * ```
 */
export class NodeDriver {
  readonly id: number;
  readonly disk: SimDisk;
  readonly tickMs: number;
  readonly #world: DriverWorld;
  readonly #firstTickMs: number;
  #raw: SimRawNode | null = null;
  #storage: MemoryStorage | null = null;
  #register = new Register();
  /** The real key-value store, when the world runs it (then the register stays empty). */
  #kv: KvMachine | null = null;
  #applied = 0;
  #epoch = 0;
  #writing = false;
  #role: Role = "follower";
  #term = 0;
  #leaderCheckPending = false;
  #pausedUntilMs = 0;
  #missedTicks = 0;
  #deferred: (() => void)[] = [];
  #pendingWrites = new Map<string, { request: ClientRequest; term: number }>();
  #pendingReads = new Map<number, ClientRequest>();
  #waitingReads: { index: number; request: ClientRequest }[] = [];
  #nextReadId = 0;
  state: NodeState = "down";

  /**
   * @param id Node id.
   * @param world The world.
   * @param disk Its disk (survives crashes).
   * @param tickMs Its tick period (skewed per node).
   * @param firstTickMs Offset of its first tick.
   */
  constructor(id: number, world: DriverWorld, disk: SimDisk, tickMs: number, firstTickMs: number) {
    this.id = id;
    this.#world = world;
    this.disk = disk;
    this.tickMs = tickMs;
    this.#firstTickMs = firstTickMs;
  }

  /** @returns Its role as of the last Ready (follower while down). */
  get role(): Role {
    return this.state === "up" ? this.#role : "follower";
  }

  /** @returns The term of its last reported role. */
  get term(): number {
    return this.#term;
  }

  /** @returns Whether it is paused (stopped but not crashed). */
  get paused(): boolean {
    return this.#pausedUntilMs > this.#world.context.nowMs;
  }

  /** @returns The index its state machine has applied up to. */
  get appliedIndex(): number {
    return this.#applied;
  }

  /** @returns A digest of its whole state machine. */
  stateDigest(): string {
    if (this.#kv !== null) return this.#kv.digest();
    return hashBytes(this.#register.snapshot());
  }

  /** @returns The running RawNode, or null while down. */
  get raw(): SimRawNode | null {
    return this.#raw;
  }

  /** Boots from the durable disk and starts ticking. */
  start(): void {
    assert(this.state === "down", () => `node ${this.id} started while up`);
    const world = this.#world;
    const raft = world.scenario.raft;
    this.#epoch++;
    this.state = "up";
    this.#storage = this.disk.loadStorage();
    if (world.kv === null) this.#register = Register.restore(this.disk.snapshotData());
    else {
      this.#kv = new KvMachine(this.disk.snapshotData());
      this.#kv.watchFrom(world.kv.watch.startRevision(this.id));
    }
    this.#applied = this.disk.snapshotIndex();
    this.#role = "follower";
    this.#writing = false;
    this.#leaderCheckPending = false;
    world.observeStart(this.id, this.#applied);
    this.#raw = world.factory({
      id: this.id,
      storage: this.#storage,
      random: world.context.random,
      electionTimeoutTicks: raft.electionTimeoutTicks,
      heartbeatIntervalTicks: raft.heartbeatIntervalTicks,
      applied: this.#applied,
      preVote: raft.preVote,
      checkQuorum: raft.checkQuorum,
      maxEntriesPerAppend: raft.maxEntriesPerAppend,
      maxBytesPerAppend: 64 * 1024,
      maxInflightAppends: raft.maxInflightAppends,
      maxUncommittedEntriesBytes: 1024 * 1024,
      leaseClockDriftMarginTicks: raft.leaseClockDriftMarginTicks,
      maxPendingReadIndex: 256,
    });
    if (world.context.tracing) world.context.log(`node ${this.id} start applied ${this.#applied}`);
    const epoch = this.#epoch;
    world.context.after(this.#firstTickMs, () => this.#tickLoop(epoch));
    this.#drainWatch();
    this.#pump();
  }

  /** Crashes: volatile state and the unsynced write are lost; the disk keeps what was durable. */
  crash(): void {
    if (this.state === "down") return;
    const context = this.#world.context;
    const torn = this.#world.scenario.tornWrites ? context.between(0, 3) : 0;
    this.disk.crash(torn);
    this.state = "down";
    this.#epoch++;
    this.#raw = null;
    this.#storage = null;
    this.#pausedUntilMs = 0;
    this.#missedTicks = 0;
    this.#deferred = [];
    this.#pendingWrites.clear();
    this.#pendingReads.clear();
    this.#waitingReads = [];
    this.#writing = false;
    if (context.tracing) context.log(`node ${this.id} crash (torn ${torn})`);
  }

  /**
   * Stops the process for `durationMs` (no ticks, no processing); the missed ticks run first on resume.
   *
   * @param durationMs How long.
   */
  pause(durationMs: number): void {
    if (this.state === "down" || this.paused) return;
    const context = this.#world.context;
    this.#pausedUntilMs = context.nowMs + durationMs;
    const epoch = this.#epoch;
    if (context.tracing) context.log(`node ${this.id} pause ${durationMs} ms`);
    context.after(durationMs, () => {
      if (epoch === this.#epoch) this.#resume();
    });
  }

  /**
   * A message from the network.
   *
   * @param message The message.
   */
  receive(message: Message): void {
    this.#whenRunning(() => {
      this.#raw!.step(message);
      this.#pump();
    });
  }

  /**
   * A client request (a write is proposed only on the leader; a read asks the core for a read index).
   *
   * @param request The request.
   */
  clientRequest(request: ClientRequest): void {
    this.#whenRunning(() => {
      if (request.kind === "get" || request.kind === "kvget") this.#startRead(request);
      else this.#startWrite(request);
      this.#pump();
    });
  }

  /**
   * The transport lost a message to `peer` (its connection broke): tell the core.
   *
   * @param peer The unreachable node.
   */
  reportUnreachable(peer: number): void {
    this.#whenRunning(() => {
      this.#raw!.reportUnreachable(peer);
      this.#pump();
    });
  }

  /**
   * Runs an operator action (membership change, leadership transfer) on the node, once it runs.
   *
   * @param action What to do with the RawNode.
   */
  admin(action: (raw: SimRawNode) => void): void {
    this.#whenRunning(() => {
      action(this.#raw!);
      this.#pump();
    });
  }

  /** @returns Its durable log (what the MemoryStorage holds) for the checkers, or the disk's if down. */
  logView(): LogView {
    const storage = this.#storage ?? this.disk.loadStorage();
    const first = storage.firstIndex(), last = storage.lastIndex();
    const entries = last >= first ? storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER) : [];
    return {
      nodeId: this.id,
      snapshotIndex: first - 1,
      entries: entries.map((entry) => ({ index: entry.index, term: entry.term, digest: entryDigest(entry) })),
    };
  }

  #whenRunning(run: () => void): void {
    if (this.state === "down") return;
    if (this.paused) this.#deferred.push(run);
    else run();
  }

  #resume(): void {
    const context = this.#world.context;
    this.#pausedUntilMs = 0;
    if (context.tracing) context.log(`node ${this.id} resume, ${this.#missedTicks} missed ticks`);
    const missed = this.#missedTicks;
    this.#missedTicks = 0;
    for (let i = 0; i < missed; i++) this.#raw!.tick();
    const deferred = this.#deferred;
    this.#deferred = [];
    for (const run of deferred) {
      if (this.state !== "up") return;
      run();
    }
    this.#pump();
  }

  #tickLoop(epoch: number): void {
    if (epoch !== this.#epoch) return;
    if (this.paused) this.#missedTicks++;
    else {
      this.#raw!.tick();
      this.#pump();
    }
    this.#world.context.after(this.tickMs, () => this.#tickLoop(epoch));
  }

  #startWrite(request: ClientRequest): void {
    const key = `${request.clientId}:${request.seq}`;
    const pending = this.#pendingWrites;
    const earlier = pending.get(key);
    // A leader whose term has not changed still holds its earlier proposal: re-proposing a retry would only
    // grow the log with duplicates (the register would skip them, but they cost replication).
    if (earlier !== undefined && earlier.term === this.#term && this.#role === "leader") {
      earlier.request = request;
      return;
    }
    const command = this.#kv !== null ? encodeKvRequest(request) : encodeCommand({
      clientId: request.clientId,
      seq: request.seq,
      kind: request.kind === "put" ? "put" : "append",
      key: request.key,
      value: request.value,
    });
    const context = this.#world.context;
    try {
      const { index } = this.#raw!.propose(command);
      if (context.tracing) context.log(`node ${this.id} propose ${key} at ${index}`);
    } catch (error) {
      if (context.tracing) context.log(`node ${this.id} refuse ${key}: ${String(error)}`);
      if (error instanceof NotLeaderError) return this.#reply(request, false, "", error.leaderHint);
      if (error instanceof ProposalDroppedError) return this.#reply(request, false, "", this.#leaderHint());
      throw error;
    }
    if (pending.size >= PENDING_CLIENT_WRITES_MAX) pending.delete(pending.keys().next().value!);
    pending.set(key, { request, term: this.#term });
  }

  #startRead(request: ClientRequest): void {
    const readId = ++this.#nextReadId;
    const pending = this.#pendingReads;
    if (pending.size >= PENDING_CLIENT_READS_MAX) pending.delete(pending.keys().next().value!);
    pending.set(readId, request);
    const context = new Uint8Array(8);
    new DataView(context.buffer).setFloat64(0, readId);
    try {
      this.#raw!.readIndex(context, request.readMode);
    } catch (error) {
      const trace = this.#world.context;
      if (trace.tracing) {
        trace.log(`node ${this.id} refuse read ${request.clientId}:${request.seq}: ${String(error)}`);
      }
      pending.delete(readId);
      if (error instanceof NotLeaderError) return this.#reply(request, false, "", error.leaderHint);
      if (error instanceof ProposalDroppedError) return this.#reply(request, false, "", this.#leaderHint());
      throw error;
    }
  }

  #leaderHint(): number {
    return this.#raw === null ? 0 : this.#raw.status().leader;
  }

  #reply(request: ClientRequest, ok: boolean, value: string, leaderHint: number): void {
    this.#world.replyToClient({ clientId: request.clientId, seq: request.seq, ok, value, leaderHint });
  }

  /** Takes Readies while none is being persisted. */
  #pump(): void {
    while (this.state === "up" && !this.paused && !this.#writing && this.#raw!.hasReady()) {
      this.#handleReady(this.#raw!.ready());
    }
  }

  #handleReady(ready: SimReady): void {
    const world = this.#world;
    const context = world.context;
    if (ready.softState !== null) {
      const { role, term } = ready.softState;
      this.#role = role;
      this.#term = term;
      if (context.tracing) {
        context.log(`node ${this.id} ${role} term ${term} leader ${ready.softState.leader}`);
      }
      world.observeRole(this.id, role, term);
      if (role === "leader") this.#leaderCheckPending = true;
    }
    for (const message of ready.messages) this.#send(message);
    if (world.replyBeforeDurable) { for (const message of ready.messagesAfterPersist) this.#send(message); }
    const needsDisk = ready.snapshot !== null || ready.entries.length > 0 || ready.hardState !== null;
    if (!needsDisk) return this.#persisted(ready);
    this.#writing = true;
    this.disk.beginWrite({ snapshot: ready.snapshot, entries: ready.entries, hardState: ready.hardState });
    const epoch = this.#epoch;
    const delayMs = context.between(world.scenario.fsyncMsMin, world.scenario.fsyncMsMax);
    context.after(delayMs, () => {
      if (epoch !== this.#epoch) return;
      this.#whenRunning(() => {
        this.disk.completeWrite();
        this.#writing = false;
        this.#persisted(ready);
        this.#pump();
      });
    });
  }

  #persisted(ready: SimReady): void {
    const world = this.#world;
    const storage = this.#storage!;
    if (ready.snapshot !== null) {
      storage.applySnapshot(ready.snapshot);
      if (this.#kv !== null) this.#kv.install(ready.snapshot.data, world.kv!.watch.startRevision(this.id));
      else this.#register = Register.restore(ready.snapshot.data);
      this.#applied = ready.snapshot.metadata.index;
      world.observeSnapshotInstall(this.id, this.#applied);
    }
    if (ready.entries.length > 0) storage.append(ready.entries);
    if (ready.hardState !== null) storage.setHardState(ready.hardState);
    if (!world.replyBeforeDurable) { for (const message of ready.messagesAfterPersist) this.#send(message); }
    for (const entry of ready.committedEntries) this.#apply(entry);
    this.#drainWatch();
    this.#acceptReadStates(ready.readStates);
    this.#serveReads();
    this.#raw!.advance();
    if (this.#leaderCheckPending && this.#role === "leader") {
      this.#leaderCheckPending = false;
      world.observeLeaderLog(this.id, this.#term);
    }
    this.#maybeCompact();
  }

  #send(message: Message): void {
    const world = this.#world;
    if (message.type !== MessageType.Snap) return world.send(message, null);
    const epoch = this.#epoch;
    world.send(message, (delivered) => {
      if (epoch !== this.#epoch) return;
      this.#whenRunning(() => {
        this.#raw!.reportSnapshot(message.to, delivered);
        this.#pump();
      });
    });
  }

  #apply(entry: Entry): void {
    this.#world.observeApply(this.id, { index: entry.index, term: entry.term, digest: entryDigest(entry) });
    this.#applied = entry.index;
    if (entry.type !== EntryType.Normal) return;
    if (this.#kv !== null) return this.#applyKv(entry, this.#kv);
    const command = decodeCommand(entry.data);
    if (command === null) return;
    this.#register.apply(command);
    const key = `${command.clientId}:${command.seq}`;
    const pending = this.#pendingWrites.get(key);
    if (pending !== undefined) {
      this.#pendingWrites.delete(key);
      this.#reply(pending.request, true, "", this.id);
    }
  }

  #applyKv(entry: Entry, kv: KvMachine): void {
    if (entry.data.length === 0) return;
    const applied = kv.apply(entry.index, entry.data);
    const checks = this.#world.kv!;
    checks.observeDigest(this.id, entry.index, kv.digest());
    if (applied.tookEffect) checks.applied.add(`${applied.clientId}:${applied.seq}`);
    const key = `${applied.clientId}:${applied.seq}`;
    const pending = this.#pendingWrites.get(key);
    if (pending !== undefined && applied.reply !== null) {
      this.#pendingWrites.delete(key);
      this.#reply(pending.request, true, applied.reply, this.id);
    }
  }

  /** Hands the all-keys watcher's responses to the watch checker; re-creates it after a cancel. */
  #drainWatch(): void {
    const kv = this.#kv;
    const checks = this.#world.kv;
    if (kv === null || checks === null) return;
    for (;;) {
      let restartRevision: number | null = null;
      for (const response of kv.drainWatch()) {
        restartRevision = checks.observeWatch(this.id, response, kv.store.compactRevision) ?? restartRevision;
      }
      if (restartRevision === null) return;
      kv.watchFrom(restartRevision);
    }
  }

  #acceptReadStates(readStates: readonly ReadState[]): void {
    for (const readState of readStates) {
      if (readState.requestContext.length !== 8) continue;
      const view = new DataView(readState.requestContext.buffer, readState.requestContext.byteOffset, 8);
      const readId = view.getFloat64(0);
      const request = this.#pendingReads.get(readId);
      if (request === undefined) continue;
      this.#pendingReads.delete(readId);
      this.#waitingReads.push({ index: readState.index, request });
    }
  }

  #serveReads(): void {
    if (this.#waitingReads.length === 0) return;
    const still: { index: number; request: ClientRequest }[] = [];
    for (const waiting of this.#waitingReads) {
      if (waiting.index <= this.#applied) {
        const key = waiting.request.key;
        this.#reply(waiting.request, true, this.#kv?.read(key) ?? this.#register.get(key), this.id);
      } else still.push(waiting);
    }
    this.#waitingReads = still;
  }

  /** Snapshots and compacts once enough entries are applied, when the config at `applied` is knowable. */
  #maybeCompact(): void {
    const scenario = this.#world.scenario;
    const storage = this.#storage!;
    if (scenario.compactEveryEntries === 0 || this.#writing) return;
    if (this.#applied - storage.firstIndex() + 1 < scenario.compactEveryEntries) return;
    const status = this.#raw!.status();
    // The core's confState is the config at `applied` only when no config entry follows it in the log.
    if (status.lastIndex !== storage.lastIndex()) return;
    if (this.#applied < storage.lastIndex()) {
      const later = storage.entries(this.#applied + 1, storage.lastIndex() + 1, Number.MAX_SAFE_INTEGER);
      if (later.some((entry) => entry.type === EntryType.ConfChange)) return;
    }
    const snapshot = storage.createSnapshot(
      this.#applied,
      status.confState,
      this.#kv?.snapshot() ?? this.#register.snapshot(),
    );
    const compactIndex = this.#applied - scenario.compactKeepEntries;
    if (compactIndex >= storage.firstIndex()) storage.compact(compactIndex);
    this.disk.saveLocalSnapshot(snapshot, Math.max(compactIndex, 0));
    const context = this.#world.context;
    if (context.tracing) {
      context.log(`node ${this.id} snapshot at ${this.#applied}, compact to ${compactIndex}`);
    }
  }
}
