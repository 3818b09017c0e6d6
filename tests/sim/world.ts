/**
 * One seeded, single-threaded simulated run: nodes, disks, network, clients, nemesis and checkers, all
 * driven by one SeededRandom and one event queue over simulated milliseconds.
 *
 * @module
 */

import { SeededRandom } from "../../src/util/random.ts";
import { emptyConfState, type Message, type Role, type Snapshot } from "../../src/raft/types.ts";
import { checkLeaderCompleteness } from "./checkers/leader_completeness.ts";
import { checkLiveness } from "./checkers/liveness.ts";
import { checkLogMatching } from "./checkers/log_matching.ts";
import { ElectionSafetyChecker } from "./checkers/election_safety.ts";
import { checkReplicaStates, StateMachineSafetyChecker } from "./checkers/state_machine_safety.ts";
import { CheckerError, type LogEntryView } from "./checkers/checker_error.ts";
import { type ClientOptions, type ClientReply, type ClientRequest, SimClient } from "./client.ts";
import { SimContext } from "./context.ts";
import type { NodeFactory } from "./core.ts";
import { defaultNodeFactory } from "./default_core.ts";
import { SimDisk } from "./disk.ts";
import { checkLinearizable, type HistoryOp } from "./linearizability.ts";
import { injectFault, maybeFlapLeader } from "./nemesis.ts";
import { Network } from "./network.ts";
import { type DriverWorld, NodeDriver } from "./node_driver.ts";
import { Register } from "./register.ts";
import { randomScenario, type Scenario, stateMachineForSeed } from "./scenario.ts";
import { KvChecks } from "./kv_checks.ts";
import { KvWorkload } from "./kv_workload.ts";
import { KvStore } from "../../src/kv/mod.ts";

/** How one run is set up. */
export interface RunOptions {
  seed: number;
  tracing?: boolean;
  /** Builds each node (a planted-bug subclass in tests). */
  factory?: NodeFactory;
  /** Planted bug: send messagesAfterPersist before the persist is durable. */
  replyBeforeDurable?: boolean;
  /** Adjusts the drawn scenario (tests make a bug likely this way). */
  adjustScenario?: (scenario: Scenario) => void;
}

/** The outcome of one run. */
export interface RunResult {
  seed: number;
  ok: boolean;
  /** The checker's (or the core's) message when not ok. */
  failure: string | null;
  ops: number;
  elections: number;
  faults: number;
  trace: readonly string[];
}

/** The id of the client that probes liveness after the heal. */
const PROBE_CLIENT_ID = 100;
/** How often the logs of all nodes are compared during a run. */
const LOG_CHECK_INTERVAL_MS = 500;
/** Slice of simulated time between liveness polls after the heal. */
const LIVENESS_POLL_MS = 20;

/**
 * Runs one seed to completion and checks it.
 *
 * @param options Seed and test knobs.
 * @returns The verdict and statistics (and the trace when tracing).
 * @example
 * ```ts
 * import { runSeed } from "./world.ts";
 * const result = runSeed({ seed: 1 });
 * console.log(result.ok, result.ops > 0);
 * ```
 */
export function runSeed(options: RunOptions): RunResult {
  const world = new World(options);
  let failure: string | null = null;
  try {
    world.run();
  } catch (error) {
    failure = error instanceof Error
      ? `${error.name === "CheckerError" ? "" : `${error.name}: `}${error.message}`
      : String(error);
    if (world.context.tracing) world.context.log(`FAILURE ${failure}`);
  }
  return {
    seed: options.seed,
    ok: failure === null,
    failure,
    ops: world.clients.reduce((sum, client) => sum + client.completed, 0),
    elections: world.election.elections,
    faults: world.faults,
    trace: world.context.traceLines(),
  };
}

/**
 * The simulated world of one run (see {@link runSeed}).
 *
 * @example
 * ```ts
 * import { World } from "./world.ts";
 * new World({ seed: 7 }).run();
 * ```
 */
export class World implements DriverWorld {
  readonly context: SimContext;
  readonly scenario: Scenario;
  readonly factory: NodeFactory;
  readonly replyBeforeDurable: boolean;
  readonly network: Network;
  readonly election = new ElectionSafetyChecker();
  readonly stateMachine = new StateMachineSafetyChecker();
  readonly history: HistoryOp[] = [];
  /** The key-value store's checks, when the scenario runs it. */
  readonly kv: KvChecks | null;
  readonly clients: SimClient[] = [];
  readonly #nodes = new Map<number, NodeDriver>();
  #nodeIds: number[] = [];
  faults = 0;
  healed = false;
  #healedAtMs = 0;
  #leaderAfterHealMs: number | null = null;

  /** @param options Seed and test knobs. */
  constructor(options: RunOptions) {
    this.context = new SimContext(new SeededRandom(options.seed), options.tracing ?? false);
    this.scenario = randomScenario(this.context);
    this.scenario.stateMachine = stateMachineForSeed(options.seed);
    options.adjustScenario?.(this.scenario);
    this.kv = this.scenario.stateMachine === "kv" ? new KvChecks() : null;
    this.factory = options.factory ?? defaultNodeFactory;
    this.replyBeforeDurable = options.replyBeforeDurable ?? false;
    this.network = new Network(
      this.context,
      this.scenario.network,
      (message) => this.#deliver(message),
      (message) => this.#reportLoss(message),
    );
  }

  /** Runs the fault phase, heals, checks liveness, drains and runs the final checks. */
  run(): void {
    const { context, scenario } = this;
    if (context.tracing) context.log(`scenario ${JSON.stringify(scenario)}`);
    const founders = Array.from({ length: scenario.founders }, (_, i) => i + 1);
    const boot: Snapshot = {
      metadata: { index: 1, term: 1, confState: { ...emptyConfState(), voters: founders } },
      data: this.kv === null ? new Register().snapshot() : new KvStore().snapshot(),
    };
    for (const id of founders) {
      const disk = scenario.bootstrapWithSnapshot
        ? new SimDisk(emptyConfState(), boot)
        : new SimDisk({ ...emptyConfState(), voters: founders });
      this.#createNode(id, disk);
    }
    for (let id = 1; id <= scenario.clients; id++) this.#createClient(id, scenario.opTimeoutMs);
    this.#scheduleFault();
    this.#scheduleLogCheck();
    context.runUntil(scenario.faultPhaseMs);
    this.#heal();
    const probe = this.#createClient(PROBE_CLIENT_ID, null);
    const deadline = this.#healedAtMs + scenario.healBoundMs;
    while (probe.firstCompletionMs === null && context.nowMs < deadline) {
      context.runUntil(context.nowMs + LIVENESS_POLL_MS);
    }
    checkLiveness({
      healedAtMs: this.#healedAtMs,
      leaderElectedAtMs: this.#leaderAfterHealMs,
      writeCommittedAtMs: probe.firstCompletionMs,
      boundMs: scenario.healBoundMs,
    });
    for (const client of this.clients) client.stop();
    context.runUntil(context.nowMs + scenario.drainMs);
    this.#finalChecks();
  }

  /** @returns Every node id ever created, ascending. */
  nodeIds(): readonly number[] {
    return this.#nodeIds;
  }

  /**
   * @param id A node id.
   * @returns Its driver, or null.
   */
  node(id: number): NodeDriver | null {
    return this.#nodes.get(id) ?? null;
  }

  /** @returns The running node that leads the highest term, or null. */
  currentLeader(): NodeDriver | null {
    let best: NodeDriver | null = null;
    for (const id of this.#nodeIds) {
      const node = this.#nodes.get(id)!;
      if (node.state === "up" && node.role === "leader" && (best === null || node.term > best.term)) {
        best = node;
      }
    }
    return best;
  }

  /** @returns The smallest id never used, or null when all up to scenario.nodeIdMax are taken. */
  nextJoinerId(): number | null {
    for (let id = 1; id <= this.scenario.nodeIdMax; id++) if (!this.#nodes.has(id)) return id;
    return null;
  }

  /**
   * Starts a brand-new, empty node that is being added as a learner.
   *
   * @param id Its id.
   */
  addJoiner(id: number): void {
    if (!this.#nodes.has(id)) this.#createNode(id, new SimDisk(emptyConfState()));
  }

  /**
   * Sends a node's message through the simulated network.
   *
   * @param message The message.
   * @param onOutcome For snapshots: learns whether it arrived.
   */
  send(message: Message, onOutcome: ((delivered: boolean) => void) | null): void {
    this.network.send(message, onOutcome);
  }

  /**
   * Carries a node's answer back to its client (with the client link's delay and loss).
   *
   * @param reply The answer.
   */
  replyToClient(reply: ClientReply): void {
    const { context } = this;
    if (context.chance(this.scenario.clientDropPerMille)) return;
    const options = this.network.options;
    context.after(context.between(options.delayMsMin, options.delayMsMax), () => {
      const client = this.clients.find((candidate) => candidate.id === reply.clientId);
      client?.receive(reply);
    });
  }

  /**
   * A node reported a role change: election safety, liveness, and the leader-flapping nemesis react.
   *
   * @param nodeId The node.
   * @param role Its new role.
   * @param term Its term.
   */
  observeRole(nodeId: number, role: Role, term: number): void {
    if (role !== "leader") return;
    this.election.observeLeader(term, nodeId);
    maybeFlapLeader(this, this.#nodes.get(nodeId)!, term);
    if (this.healed) this.#leaderAfterHealMs ??= this.context.nowMs;
  }

  /**
   * A new leader's log is durable: check leader completeness against everything committed so far.
   *
   * @param nodeId The leader.
   * @param term Its term.
   */
  observeLeaderLog(nodeId: number, term: number): void {
    checkLeaderCompleteness(term, this.#nodes.get(nodeId)!.logView(), this.stateMachine.committedEntries());
  }

  /**
   * A node applied an entry (state machine safety).
   *
   * @param nodeId The node.
   * @param entry The entry.
   */
  observeApply(nodeId: number, entry: LogEntryView): void {
    this.stateMachine.observeApply(nodeId, entry);
  }

  /**
   * A node (re)started with its state machine at `appliedIndex`.
   *
   * @param nodeId The node.
   * @param appliedIndex Its snapshot's index.
   */
  observeStart(nodeId: number, appliedIndex: number): void {
    this.stateMachine.observeStart(nodeId, appliedIndex);
  }

  /**
   * A running node installed a snapshot from the leader.
   *
   * @param nodeId The node.
   * @param index The snapshot's index.
   */
  observeSnapshotInstall(nodeId: number, index: number): void {
    this.stateMachine.observeSnapshotInstall(nodeId, index);
  }

  #createNode(id: number, disk: SimDisk): void {
    const { context, scenario } = this;
    const tickMs = scenario.tickMsBase + context.between(-scenario.tickSkewMs, scenario.tickSkewMs);
    const node = new NodeDriver(id, this, disk, tickMs, context.between(1, tickMs));
    this.#nodes.set(id, node);
    this.#nodeIds = [...this.#nodeIds, id].sort((a, b) => a - b);
    node.start();
  }

  #createClient(id: number, opTimeoutMs: number | null): SimClient {
    const { context, scenario } = this;
    const options: ClientOptions = {
      keys: Array.from({ length: scenario.keys }, (_, i) => String.fromCharCode(97 + i)),
      readPerMille: id === PROBE_CLIENT_ID ? 0 : scenario.readPerMille,
      leaseReadPerMille: scenario.leaseReadPerMille,
      appendPerMille: scenario.appendPerMille,
      thinkMsMax: scenario.clientThinkMsMax,
      attemptTimeoutMs: scenario.attemptTimeoutMs,
      opTimeoutMs,
      retryBackoffMs: 5,
      randomTargetPerMille: id === PROBE_CLIENT_ID ? 0 : scenario.clientRandomTargetPerMille,
    };
    if (id === PROBE_CLIENT_ID) options.keys = ["probe"];
    const client = new SimClient(
      id,
      context,
      options,
      this.history,
      (nodeId, request) => {
        this.#clientSend(nodeId, request);
      },
      () => this.#nodeIds,
      this.kv === null ? null : new KvWorkload(this.kv.history),
    );
    this.clients.push(client);
    client.start();
    return client;
  }

  #clientSend(nodeId: number, request: ClientRequest): void {
    const { context } = this;
    if (context.chance(this.scenario.clientDropPerMille)) return;
    const options = this.network.options;
    context.after(context.between(options.delayMsMin, options.delayMsMax), () => {
      this.#nodes.get(nodeId)?.clientRequest(request);
    });
  }

  #deliver(message: Message): void {
    const node = this.#nodes.get(message.to);
    if (node === undefined) return;
    if (node.state === "down") this.#reportLoss(message);
    else node.receive(message);
  }

  /** A message was lost: the transports at both ends see their connection break. */
  #reportLoss(message: Message): void {
    if (!this.scenario.reportLostMessages) return;
    this.#nodes.get(message.from)?.reportUnreachable(message.to);
    this.#nodes.get(message.to)?.reportUnreachable(message.from);
  }

  /**
   * A node crashed: every peer's connection to it breaks (what it had in flight to them is gone too).
   *
   * @param nodeId The crashed node.
   */
  reportCrash(nodeId: number): void {
    if (!this.scenario.reportLostMessages) return;
    for (const id of this.#nodeIds) {
      if (id !== nodeId) this.#nodes.get(id)!.reportUnreachable(nodeId);
    }
  }

  #scheduleFault(): void {
    const { context, scenario } = this;
    context.after(context.between(scenario.faultIntervalMsMin, scenario.faultIntervalMsMax), () => {
      if (this.healed) return;
      if (injectFault(this) !== null) this.faults++;
      this.#scheduleFault();
    });
  }

  #scheduleLogCheck(): void {
    this.context.after(LOG_CHECK_INTERVAL_MS, () => {
      checkLogMatching(this.#nodeIds.map((id) => this.#nodes.get(id)!.logView()));
      this.#scheduleLogCheck();
    });
  }

  #heal(): void {
    const { context } = this;
    this.healed = true;
    this.#healedAtMs = context.nowMs;
    this.network.healLinks();
    this.network.options = this.scenario.healedNetwork;
    for (const id of this.#nodeIds) {
      const node = this.#nodes.get(id)!;
      if (node.state === "down") node.start();
    }
    if (this.currentLeader() !== null) this.#leaderAfterHealMs = context.nowMs;
    if (context.tracing) context.log("heal");
  }

  #finalChecks(): void {
    const logs = this.#nodeIds.map((id) => this.#nodes.get(id)!.logView());
    checkLogMatching(logs);
    const committed = this.stateMachine.committedEntries();
    for (const id of this.#nodeIds) {
      const node = this.#nodes.get(id)!;
      if (node.state === "up" && node.role === "leader") {
        checkLeaderCompleteness(node.term, logs[this.#nodeIds.indexOf(id)]!, committed);
      }
    }
    const running = this.#nodeIds.map((id) => this.#nodes.get(id)!).filter((node) => node.state === "up");
    checkReplicaStates(
      running.map((node) => ({
        nodeId: node.id,
        appliedIndex: node.appliedIndex,
        digest: node.stateDigest(),
      })),
    );
    const verdict = checkLinearizable(this.history);
    if (!verdict.ok) throw new CheckerError("linearizability", verdict.message);
    this.kv?.finish();
  }
}
