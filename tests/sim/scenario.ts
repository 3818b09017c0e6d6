/**
 * The knobs of one simulated run, drawn from the seed. Tests override some of them to make a planted bug
 * likely.
 *
 * @module
 */

import type { SimContext } from "./context.ts";
import type { NetworkOptions } from "./network.ts";

/** Relative weights of the fault kinds the nemesis injects. */
export interface FaultWeights {
  partition: number;
  oneWay: number;
  isolateLeader: number;
  crash: number;
  crashLeader: number;
  pause: number;
  healLinks: number;
  membership: number;
  transferLeader: number;
}

/** Everything that shapes a run. Times in simulated milliseconds; probabilities in per-mille. */
export interface Scenario {
  /**
   * The nodes' state machine: the simulator's register, or the real key-value store (`src/kv`). Drawn from
   * the seed number itself (see `stateMachineForSeed`), so the generator's stream -- and so every register
   * seed's run -- is the same as before the option existed.
   */
  stateMachine: "register" | "kv";
  founders: 3 | 5;
  /**
   * Founders boot from a snapshot at index 1 holding their configuration (true), or from a MemoryStorage
   * whose configuration sits at index 0 (false: joiners then never learn the founders, see the report).
   */
  bootstrapWithSnapshot: boolean;
  /** New members get fresh ids up to this (a removed id is never reused). */
  nodeIdMax: number;
  faultPhaseMs: number;
  /** Liveness: after the heal, a leader and a committed write within this. */
  healBoundMs: number;
  drainMs: number;
  network: NetworkOptions;
  /**
   * Whether a lost message is reported to its sender (reportUnreachable), as a real transport does when a
   * connection breaks. Without it, the core must recover from silent loss on its own.
   */
  reportLostMessages: boolean;
  healedNetwork: NetworkOptions;
  fsyncMsMin: number;
  fsyncMsMax: number;
  tornWrites: boolean;
  tickMsBase: number;
  /** Each node's tick period is tickMsBase +- up to this. */
  tickSkewMs: number;
  faultIntervalMsMin: number;
  faultIntervalMsMax: number;
  faults: FaultWeights;
  /** Event-triggered faults: a new leader is crashed or isolated soon after its election, this often. */
  leaderFlapPerMille: number;
  /** ...within this many milliseconds of its election. */
  leaderFlapMsMax: number;
  crashDowntimeMsMin: number;
  crashDowntimeMsMax: number;
  pauseMsMin: number;
  pauseMsMax: number;
  clients: number;
  keys: number;
  clientThinkMsMax: number;
  attemptTimeoutMs: number;
  /** How often a client tries a random node rather than the presumed leader. */
  clientRandomTargetPerMille: number;
  opTimeoutMs: number;
  readPerMille: number;
  /** Of the reads, how many use lease mode (the rest: safe ReadIndex). */
  leaseReadPerMille: number;
  appendPerMille: number;
  /** Client <-> node messages lost (per direction). */
  clientDropPerMille: number;
  compactEveryEntries: number;
  compactKeepEntries: number;
  raft: {
    electionTimeoutTicks: number;
    heartbeatIntervalTicks: number;
    maxEntriesPerAppend: number;
    maxInflightAppends: number;
    leaseClockDriftMarginTicks: number;
    /** Lease reads are only sound with checkQuorum; scenarios without it must not issue lease reads. */
    checkQuorum: boolean;
    preVote: boolean;
  };
}

/**
 * Draws a scenario from the run's generator.
 *
 * Lease reads are only sound while clocks drift within the margin: with a base of 10 ms, skew <= 1 ms and
 * a margin of 3 of 10 ticks, a lease (7 ticks at <= 11 ms = 77 ms) ends before any follower's protection
 * (9 full ticks at >= 9 ms = 81 ms). Crash downtimes exceed the lease, since a restarted follower remembers
 * no leader and may vote at once.
 *
 * @param context The run's shared services (its generator).
 * @returns The scenario.
 * @example
 * ```ts
 * import { SeededRandom } from "../../src/util/random.ts";
 * import { SimContext } from "./context.ts";
 * import { randomScenario } from "./scenario.ts";
 * const scenario = randomScenario(new SimContext(new SeededRandom(1), false));
 * console.log(scenario.founders === 3 || scenario.founders === 5); // true
 * ```
 */
export function randomScenario(context: SimContext): Scenario {
  const scenario = baseScenario(context);
  if (scenario.leaseReadPerMille === 0) {
    // Without lease reads, clocks may drift more and the election options may vary.
    scenario.tickSkewMs = context.pick([0, 1, 3]);
    scenario.raft.checkQuorum = context.chance(700);
    scenario.raft.preVote = context.chance(700);
  }
  return scenario;
}

function baseScenario(context: SimContext): Scenario {
  const lossy = context.chance(500);
  const delayMsMax = context.pick([5, 10, 20, 40]);
  return {
    stateMachine: "register",
    founders: context.chance(500) ? 3 : 5,
    bootstrapWithSnapshot: context.chance(500),
    nodeIdMax: 9,
    faultPhaseMs: context.pick([2500, 4000, 6000]),
    healBoundMs: 3000,
    drainMs: 400,
    network: {
      dropPerMille: lossy ? context.between(10, 80) : 0,
      duplicatePerMille: context.pick([0, 10, 50]),
      delayMsMin: 1,
      delayMsMax,
      longDelayPerMille: context.pick([0, 20, 50]),
      longDelayMsMax: delayMsMax * 6,
    },
    reportLostMessages: context.chance(500),
    healedNetwork: {
      dropPerMille: 0,
      duplicatePerMille: 0,
      delayMsMin: 1,
      delayMsMax: 5,
      longDelayPerMille: 0,
      longDelayMsMax: 5,
    },
    fsyncMsMin: 1,
    fsyncMsMax: context.pick([3, 10, 25]),
    tornWrites: context.chance(500),
    tickMsBase: 10,
    tickSkewMs: context.pick([0, 1]),
    faultIntervalMsMin: 50,
    faultIntervalMsMax: context.pick([200, 400, 800]),
    faults: {
      partition: 3,
      oneWay: 2,
      isolateLeader: 2,
      crash: 2,
      crashLeader: 2,
      pause: 2,
      healLinks: 4,
      membership: context.pick([0, 2, 4]),
      transferLeader: context.pick([0, 1, 3]),
    },
    leaderFlapPerMille: context.pick([0, 0, 300]),
    leaderFlapMsMax: 100,
    crashDowntimeMsMin: 150,
    crashDowntimeMsMax: 800,
    pauseMsMin: 20,
    pauseMsMax: 400,
    clients: context.between(2, 6),
    keys: context.between(1, 3),
    clientThinkMsMax: 20,
    attemptTimeoutMs: context.pick([40, 150]),
    clientRandomTargetPerMille: context.pick([0, 200]),
    opTimeoutMs: 600,
    readPerMille: 450,
    leaseReadPerMille: context.pick([0, 300, 700]),
    appendPerMille: 700,
    clientDropPerMille: lossy ? 10 : 0,
    compactEveryEntries: context.pick([0, 30, 100]),
    compactKeepEntries: context.pick([0, 5]),
    raft: {
      electionTimeoutTicks: 10,
      heartbeatIntervalTicks: 2,
      maxEntriesPerAppend: context.pick([1, 4, 64]),
      maxInflightAppends: context.pick([1, 4, 16]),
      leaseClockDriftMarginTicks: 3,
      checkQuorum: true,
      preVote: true,
    },
  };
}

/**
 * Which state machine a seed runs: the real key-value store for about half of the seeds.
 *
 * @param seed The seed.
 * @returns "kv" or "register".
 * @example
 * ```ts
 * import { stateMachineForSeed } from "./scenario.ts";
 * console.log(stateMachineForSeed(2)); // "kv"
 * ```
 */
export function stateMachineForSeed(seed: number): "register" | "kv" {
  return seed % 2 === 0 ? "kv" : "register";
}
