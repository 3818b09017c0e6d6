/**
 * {@link Engine}: one dengine node embedded in the process, with its {@link KvClient}.
 *
 * @module
 */

import { EmbeddedClient, type KvBackend } from "../client/embedded.ts";
import type { KvClient } from "../client/types.ts";
import { LeaseNotFoundError } from "../kv/errors.ts";
import { ConfChangeRejectedError } from "../raft/errors.ts";
import type { RangeRequest } from "../kv/types.ts";
import type { KvStatus } from "../kv/store.ts";
import type { EngineMetricsSnapshot } from "./metrics.ts";
import type { Role } from "../raft/types.ts";
import { EngineStoppedError, TimeoutError } from "./errors.ts";
import type { LeaderInfo, NodeDriver, SnapshotTransferStats } from "./driver.ts";
import { encodeMemberContext, type MemberStatus } from "./members.ts";
import { openNode } from "./open_node.ts";
import {
  type EngineOptions,
  formatAddress,
  nodeIdOf,
  parseAddress,
  resolveEngineOptions,
} from "./options.ts";
import { type EnginePorts, resolveEnginePorts } from "./ports.ts";

/** What `engine.status()` reports. */
export interface EngineStatus {
  id: number;
  name: string;
  role: Role;
  /** 0 when no leader is known. */
  leaderId: number;
  leaderName: string;
  term: number;
  commitIndex: number;
  appliedIndex: number;
  /** The store's current revision on this node. */
  revision: number;
  /** Snapshots received from the leader and installed since this node started. */
  snapshotsInstalled: number;
  members: MemberStatus[];
  /** Where this node accepts peers (`host:port`), "" without peers. */
  peerAddress: string;
  /** Snapshot streams this node sent (as leader) and received, since it started. */
  snapshotTransfers: SnapshotTransferStats;
}

/**
 * An embedded dengine node.
 *
 * @example
 * ```ts ignore
 * import { Engine } from "./mod.ts";
 * await using engine = await Engine.start({ dataDir: "./data" });
 * await engine.ready();
 * await engine.client.put("greeting", "hello");
 * console.log((await engine.client.get("greeting"))?.value);
 * ```
 */
export class Engine implements AsyncDisposable {
  /** The key-value client of this node. */
  readonly client: KvClient;
  readonly #driver: NodeDriver;
  readonly #embedded: EmbeddedClient;
  readonly #backend: KvBackend;
  readonly #peerAddress: string;
  #stopping: Promise<void> | null = null;

  private constructor(driver: NodeDriver, peerAddress: string) {
    this.#driver = driver;
    this.#peerAddress = peerAddress;
    this.#backend = backendOf(driver);
    this.#embedded = new EmbeddedClient(this.#backend);
    this.client = this.#embedded;
  }

  /**
   * Starts a node: opens (or recovers) its storage, joins its peers and begins taking requests.
   *
   * @param options The options (all optional for a single in-memory node; see `engineOptionsSchema`).
   * @param ports Runtime services to use instead of the defaults (tests inject a memory network here).
   * @returns The running engine (call {@link ready} before relying on a leader).
   * @throws {EngineOptionsError} Naming a wrong option.
   * @throws {CorruptionError} When the stored state is damaged.
   */
  static async start(options: EngineOptions = {}, ports: Partial<EnginePorts> = {}): Promise<Engine> {
    const resolved = resolveEngineOptions(options);
    const { driver, peerAddress } = await openNode(resolved, resolveEnginePorts(ports));
    return new Engine(driver, peerAddress === null ? "" : formatAddress(peerAddress));
  }

  /**
   * Resolves once a leader has committed an entry of its term and this node has applied it.
   *
   * @param options `timeoutMs`: give up after this long (default: wait indefinitely).
   * @returns When ready.
   * @throws {TimeoutError} After `timeoutMs`.
   */
  async ready(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs;
    if (timeoutMs === undefined) return await this.#driver.whenReady();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError("wait for a leader", timeoutMs)), timeoutMs);
    });
    try {
      await Promise.race([this.#driver.whenReady(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The node's key-value backend: raw store commands replicated through Raft, reads at a chosen consistency,
   * watchers on this node's store. Servers built on the engine (the HTTP gateway) use it; applications use
   * {@link client}.
   *
   * @returns The backend (the same object on every call).
   */
  backend(): KvBackend {
    return this.#backend;
  }

  /** @returns This node's store figures: revision, compact revision, applied index and data size in bytes. */
  storeStatus(): KvStatus {
    return this.#driver.store.status();
  }

  /** @returns The node's counters (leader changes, proposals) and its fsync latency histogram. */
  metrics(): EngineMetricsSnapshot {
    return this.#driver.metrics.snapshot();
  }

  /** @returns This node's view of the cluster. */
  status(): EngineStatus {
    const { raft, members, leader } = this.#driver.status();
    return {
      id: raft.id,
      name: this.#driver.options.name,
      role: raft.role,
      leaderId: raft.leader,
      leaderName: leader.leaderId === raft.leader ? leader.leaderName : "",
      term: raft.term,
      commitIndex: raft.commit,
      appliedIndex: this.#driver.applied,
      revision: this.#driver.store.revision,
      snapshotsInstalled: this.#driver.snapshotsInstalled,
      members,
      peerAddress: this.#peerAddress,
      snapshotTransfers: this.#driver.snapshotTransfers(),
    };
  }

  /**
   * @param signal Ends the iteration when aborted.
   * @returns The leader as this node sees it: now, then at every change.
   */
  watchLeader(signal?: AbortSignal): AsyncIterableIterator<LeaderInfo> {
    return this.#driver.leader.subscribe(signal);
  }

  /**
   * @param signal Ends the iteration when aborted.
   * @returns The member list: now, then at every applied configuration change.
   */
  watchMembership(signal?: AbortSignal): AsyncIterableIterator<MemberStatus[]> {
    return this.#driver.membership.subscribe(signal);
  }

  /**
   * Adds a member. Callable on any member: a follower forwards the change to the leader. Start the new
   * member with `join: true` and `peers` naming the current members; a learner receives the log but does not
   * vote until {@link promoteMember}.
   *
   * @param member Its name, peer address (`host:port`) and whether it starts as a learner (default true).
   * @returns The membership once the change is applied here.
   * @throws {ConfChangeRejectedError} When another change is still pending or the change is invalid.
   * @throws {TimeoutError} When no leader applied it within requestTimeoutMs (it may still be applied).
   */
  async addMember(member: { name: string; peerAddress: string; learner?: boolean }): Promise<MemberStatus[]> {
    parseAddress(member.peerAddress);
    await this.#driver.changeMembership({
      transition: "auto",
      changes: [{
        type: member.learner === false ? "addVoter" : "addLearner",
        nodeId: nodeIdOf(member.name),
      }],
      context: encodeMemberContext({ name: member.name, address: member.peerAddress }),
    });
    return this.#driver.membership.value;
  }

  /**
   * Makes a learner a voter, once it has caught up (callable on any member, like {@link addMember}).
   *
   * @param name The member.
   * @returns The membership once applied here.
   * @throws {ConfChangeRejectedError} When the change is invalid or another one is pending.
   * @throws {TimeoutError} When no leader applied it within requestTimeoutMs.
   */
  async promoteMember(name: string): Promise<MemberStatus[]> {
    await this.#driver.changeMembership({
      transition: "auto",
      changes: [{ type: "addVoter", nodeId: nodeIdOf(name) }],
      context: new Uint8Array(0),
    });
    return this.#driver.membership.value;
  }

  /**
   * Removes a member, the leader included (it steps down once the change commits). Callable on any member.
   *
   * @param name The member.
   * @returns The membership once applied here.
   * @throws {ConfChangeRejectedError} When the change is invalid or another one is pending.
   * @throws {TimeoutError} When no leader applied it within requestTimeoutMs.
   */
  async removeMember(name: string): Promise<MemberStatus[]> {
    await this.#driver.changeMembership({
      transition: "auto",
      changes: [{ type: "remove", nodeId: nodeIdOf(name) }],
      context: new Uint8Array(0),
    });
    return this.#driver.membership.value;
  }

  /**
   * Changes where peers reach a member, keeping its role (callable on any member, like {@link addMember}).
   *
   * @param name The member.
   * @param peerAddress Its new peer address (`host:port`).
   * @returns The membership once applied here.
   * @throws {EngineOptionsError} When the address is not `host:port`.
   * @throws {ConfChangeRejectedError} When the member is unknown or another change is pending.
   * @throws {TimeoutError} When no leader applied it within requestTimeoutMs.
   */
  async updateMember(name: string, peerAddress: string): Promise<MemberStatus[]> {
    parseAddress(peerAddress);
    const member = this.#driver.membership.value.find((candidate) => candidate.name === name);
    if (member === undefined) throw new ConfChangeRejectedError(`there is no member named "${name}"`);
    // Re-adding a member in its current role changes nothing but the address its context carries.
    await this.#driver.changeMembership({
      transition: "auto",
      changes: [{ type: member.role === "learner" ? "addLearner" : "addVoter", nodeId: member.id }],
      context: encodeMemberContext({ name, address: peerAddress }),
    });
    return this.#driver.membership.value;
  }

  /**
   * @returns This node's store as snapshot bytes (the state a follower would install); equal on members that
   * applied the same index.
   */
  storeSnapshot(): Uint8Array {
    return this.#driver.store.snapshot();
  }

  /**
   * Hands leadership to another voter. Callable on any member (a follower passes the request to the
   * leader); returns at once: watch {@link watchLeader} to see it happen.
   *
   * @param name The voter that should lead.
   * @throws {NotLeaderError} When no leader is known.
   */
  transferLeadership(name: string): void {
    this.#driver.transferLeadership(nodeIdOf(name));
  }

  /**
   * Stops gracefully: no new requests, the write in flight finishes, waiting callers get an
   * EngineStoppedError, watches end, then the transport and storage close. Idempotent.
   *
   * @returns Resolves once closed.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#embedded.close();
      await this.#driver.stop();
    })();
    return this.#stopping;
  }

  /** Same as {@link stop}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

function backendOf(driver: NodeDriver): KvBackend {
  const barrier = async (consistency: "linearizable" | "lease" | "serializable") => {
    if (consistency !== "serializable") await driver.readBarrier(consistency === "lease" ? "lease" : "safe");
  };
  return {
    write: (command, identity) => driver.write(command, identity ?? null),
    // The hottest read path: one promise per read, no async frames.
    range: (request: RangeRequest, consistency) => {
      try {
        if (consistency === "serializable") return Promise.resolve(driver.store.range(request));
        const mode = consistency === "lease" ? "lease" : "safe";
        return driver.readBarrier(mode).then(() => driver.store.range(request));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    watch: (options) => {
      driver.checkRunning("watch");
      return driver.store.watch(options);
    },
    leaseTimeToLive: async (id, keys) => {
      await barrier("linearizable");
      return driver.store.leaseTimeToLive(id, { keys, nowMs: driver.nowMs() });
    },
    leaseIds: async () => {
      await barrier("linearizable");
      return driver.store.leaseIds();
    },
    isFinal: (error) => error instanceof LeaseNotFoundError || error instanceof EngineStoppedError,
  };
}
