/**
 * Planted bugs for proving that the simulator bites: RawNode subclasses that override the contract's
 * protected hooks, and the scenario knobs that make each bug likely to surface.
 *
 * @module
 */

import { RawNode } from "../../src/raft/raw_node.ts";
import type { NodeFactory } from "./core.ts";
import type { RunOptions } from "./world.ts";
import type { Scenario } from "./scenario.ts";

/** Grants votes without the election restriction (checklist 1). */
class VotesForAnyLog extends RawNode {
  protected override candidateLogIsUpToDate(): boolean {
    return true;
  }
}

/** Commits entries of earlier terms by counting replicas (Figure 8, checklist 2). */
class CommitsOldTerms extends RawNode {
  protected override mayCommitEntryOfTerm(): boolean {
    return true;
  }
}

/** Answers ReadIndex without confirming leadership with a quorum (checklist 8). */
class ReadsWithoutQuorum extends RawNode {
  protected override readIndexNeedsQuorum(): boolean {
    return false;
  }
}

/** One planted bug: how to plant it and how to make it likely. */
export interface PlantedBug {
  name: string;
  options: Omit<RunOptions, "seed">;
  /** How many seeds the test may try before it must have seen a failure (detection rates differ a lot). */
  seedsMax: number;
}

const factory = (make: NodeFactory): NodeFactory => make;

/** Leader churn with partial replication: many crashes of leaders, slow links, one entry per append. */
function churn(scenario: Scenario): void {
  scenario.founders = 5;
  scenario.faultIntervalMsMin = 20;
  scenario.faultIntervalMsMax = 120;
  scenario.faults = {
    ...NO_FAULTS,
    partition: 4,
    oneWay: 1,
    isolateLeader: 4,
    crash: 3,
    crashLeader: 6,
    healLinks: 3,
  };
  scenario.crashDowntimeMsMin = 100;
  scenario.crashDowntimeMsMax = 300;
  scenario.raft.maxEntriesPerAppend = 1;
  scenario.raft.maxInflightAppends = 1;
  scenario.network.delayMsMax = 30;
}

/**
 * Figure 8 needs two successive leaders that each fail to replicate their entry at the same index, then the
 * first one back, committing its old entry through a minority-turned-majority, and losing again before its
 * own no-op spreads: frequent partitions of 3 nodes (but slow enough for leaders to get elected), one entry
 * per append, a long fault phase. About 8% of seeds catch the bug.
 */
function figure8(scenario: Scenario): void {
  scenario.founders = 3;
  scenario.faultPhaseMs = 10_000;
  scenario.faultIntervalMsMin = 20;
  scenario.faultIntervalMsMax = 100;
  scenario.faults = { ...NO_FAULTS, partition: 6, isolateLeader: 6, healLinks: 3 };
  scenario.leaderFlapPerMille = 0;
  scenario.raft.maxEntriesPerAppend = 1;
  scenario.raft.maxInflightAppends = 1;
  scenario.network.delayMsMin = 10;
  scenario.network.delayMsMax = 40;
  scenario.readPerMille = 100;
  scenario.clients = 6;
}

/** Many crashes while slow fsyncs are in flight. */
function crashesDuringFsync(scenario: Scenario): void {
  scenario.founders = 3;
  scenario.faultPhaseMs = 6000;
  scenario.faultIntervalMsMin = 20;
  scenario.faultIntervalMsMax = 100;
  scenario.faults = { ...NO_FAULTS, partition: 2, crash: 6, crashLeader: 4, healLinks: 2 };
  scenario.crashDowntimeMsMin = 100;
  scenario.crashDowntimeMsMax = 200;
  scenario.fsyncMsMin = 20;
  scenario.fsyncMsMax = 60;
  scenario.tornWrites = false;
  scenario.clients = 6;
  scenario.readPerMille = 200;
  scenario.leaderFlapPerMille = 0;
}

const NO_FAULTS = {
  partition: 0,
  oneWay: 0,
  isolateLeader: 0,
  crash: 0,
  crashLeader: 0,
  pause: 0,
  healLinks: 0,
  membership: 0,
  transferLeader: 0,
};

/**
 * The planted bugs with their scenario knobs.
 *
 * @example
 * ```ts
 * import { PLANTED_BUGS } from "./planted_bugs.ts";
 * console.log(PLANTED_BUGS.map((bug) => bug.name).length); // 4
 * ```
 */
export const PLANTED_BUGS: readonly PlantedBug[] = [
  {
    name: "votes granted to candidates with stale logs",
    options: { factory: factory((config) => new VotesForAnyLog(config)), adjustScenario: churn },
    seedsMax: 60,
  },
  {
    name: "entries of earlier terms committed by counting replicas",
    options: { factory: factory((config) => new CommitsOldTerms(config)), adjustScenario: figure8 },
    seedsMax: 150,
  },
  {
    name: "ReadIndex served without a quorum round",
    options: {
      factory: factory((config) => new ReadsWithoutQuorum(config)),
      adjustScenario: (scenario) => {
        // Without checkQuorum an isolated leader never steps down by itself, so it keeps answering reads.
        scenario.raft.checkQuorum = false;
        scenario.leaseReadPerMille = 0;
        scenario.readPerMille = 600;
        scenario.keys = 1;
        scenario.faults = { ...NO_FAULTS, partition: 2, isolateLeader: 6, healLinks: 2 };
      },
    },
    seedsMax: 60,
  },
  {
    name: "replies sent before the write is durable",
    options: {
      replyBeforeDurable: true,
      adjustScenario: crashesDuringFsync,
    },
    seedsMax: 100,
  },
];
