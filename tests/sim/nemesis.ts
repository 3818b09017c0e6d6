/**
 * The nemesis: injects one fault at a time during the fault phase -- partitions (symmetric, one-way, the
 * leader isolated), crashes (any node or the leader) with restarts, pauses, membership changes and
 * leadership transfers -- and heals everything at the end.
 *
 * @module
 */

import type { ConfChange, ConfChangeSingle } from "../../src/raft/types.ts";
import { EMPTY_BYTES } from "../../src/raft/types.ts";
import { ConfChangeRejectedError, NotLeaderError, ProposalDroppedError } from "../../src/raft/errors.ts";
import type { FaultWeights } from "./scenario.ts";
import type { NodeDriver } from "./node_driver.ts";
import type { World } from "./world.ts";

/** The kinds of fault, in a fixed order (weights are read in this order). */
const FAULT_KINDS: readonly (keyof FaultWeights)[] = [
  "partition",
  "oneWay",
  "isolateLeader",
  "crash",
  "crashLeader",
  "pause",
  "healLinks",
  "membership",
  "transferLeader",
];

/**
 * Injects one random fault, chosen by the scenario's weights.
 *
 * @param world The world.
 * @returns The fault's kind (for the trace), or null when none applied.
 * @example
 * ```ts
 * // Called by the world on its fault timer: injectFault(world)
 * ```
 */
export function injectFault(world: World): string | null {
  const context = world.context;
  const weights = world.scenario.faults;
  const total = FAULT_KINDS.reduce((sum, kind) => sum + weights[kind], 0);
  let roll = context.between(0, total - 1);
  let kind: keyof FaultWeights = "healLinks";
  for (const candidate of FAULT_KINDS) {
    if (roll < weights[candidate]) {
      kind = candidate;
      break;
    }
    roll -= weights[candidate];
  }
  const done = runFault(world, kind);
  if (done !== null && context.tracing) context.log(`nemesis ${done}`);
  return done;
}

function runFault(world: World, kind: keyof FaultWeights): string | null {
  const context = world.context;
  const ids = world.nodeIds();
  const leader = world.currentLeader();
  switch (kind) {
    case "partition": {
      const side = ids.filter(() => context.chance(500));
      if (side.length === 0 || side.length === ids.length) return null;
      world.network.partition([side, ids.filter((id) => !side.includes(id))]);
      return `partition [${side}] from the rest`;
    }
    case "oneWay": {
      const from = context.pick(ids), to = context.pick(ids);
      if (from === to) return null;
      world.network.setLink(from, to, true);
      return `one-way cut ${from}->${to}`;
    }
    case "isolateLeader": {
      if (leader === null) return null;
      world.network.partition([[leader.id], ids.filter((id) => id !== leader.id)]);
      return `isolate leader ${leader.id}`;
    }
    case "crash":
    case "crashLeader": {
      const victim = kind === "crash" ? world.node(context.pick(ids)) : leader;
      if (victim === null || victim.state === "down") return null;
      crashAndRestart(world, victim);
      return `crash ${victim.id}`;
    }
    case "pause": {
      const victim = context.chance(500) && leader !== null ? leader : world.node(context.pick(ids));
      if (victim === null) return null;
      victim.pause(context.between(world.scenario.pauseMsMin, world.scenario.pauseMsMax));
      return `pause ${victim.id}`;
    }
    case "healLinks":
      world.network.healLinks();
      return "heal links";
    case "membership":
      return leader === null ? null : changeMembership(world, leader);
    case "transferLeader": {
      if (leader === null) return null;
      const voters = leader.raw!.status().confState.voters.filter((id) => id !== leader.id);
      if (voters.length === 0) return null;
      const target = context.pick(voters);
      leader.admin((raw) => {
        try {
          raw.transferLeader(target);
        } catch (error) {
          if (!(error instanceof NotLeaderError)) throw error;
        }
      });
      return `transfer leadership ${leader.id}->${target}`;
    }
  }
}

/**
 * Reacts to an election: with the scenario's probability, crashes or isolates the new leader soon after,
 * while it may have replicated only part of its log (the set-up of Figure 8).
 *
 * @param world The world.
 * @param leader The new leader.
 * @param term Its term.
 * @example
 * ```ts
 * // Called by the world when a node reports leadership: maybeFlapLeader(world, node, term)
 * ```
 */
export function maybeFlapLeader(world: World, leader: NodeDriver, term: number): void {
  const { context, scenario } = world;
  if (world.healed || !context.chance(scenario.leaderFlapPerMille)) return;
  context.after(context.between(1, scenario.leaderFlapMsMax), () => {
    if (world.healed || leader.state === "down" || leader.role !== "leader" || leader.term !== term) return;
    world.faults++;
    if (context.chance(500)) {
      if (context.tracing) context.log(`nemesis flap: crash leader ${leader.id}`);
      crashAndRestart(world, leader);
    } else {
      if (context.tracing) context.log(`nemesis flap: isolate leader ${leader.id}`);
      world.network.partition([[leader.id], world.nodeIds().filter((id) => id !== leader.id)]);
    }
  });
}

function crashAndRestart(world: World, victim: NodeDriver): void {
  const context = world.context;
  victim.crash();
  world.reportCrash(victim.id);
  const downtime = context.between(world.scenario.crashDowntimeMsMin, world.scenario.crashDowntimeMsMax);
  context.after(downtime, () => {
    if (victim.state === "down" && !world.healed) victim.start();
  });
}

function changeMembership(world: World, leader: NodeDriver): string | null {
  const context = world.context;
  const conf = leader.raw!.status().confState;
  if (conf.votersOutgoing.length > 0) return null;
  const options: ConfChangeSingle[][] = [];
  if (conf.learners.length > 0) {
    options.push([{ type: "addVoter", nodeId: context.pick(conf.learners) }]);
    if (conf.learners.length >= 2 && conf.voters.length === 3) {
      options.push(conf.learners.slice(0, 2).map((nodeId) => ({ type: "addVoter", nodeId })));
    }
  }
  const joiner = world.nextJoinerId();
  if (joiner !== null && conf.voters.length + conf.learners.length < 5) {
    options.push([{ type: "addLearner", nodeId: joiner }]);
  }
  if (conf.voters.length > 3) options.push([{ type: "remove", nodeId: context.pick(conf.voters) }]);
  if (conf.voters.length === 5) {
    const first = context.pick(conf.voters);
    const second = context.pick(conf.voters.filter((id) => id !== first));
    options.push([{ type: "remove", nodeId: first }, { type: "remove", nodeId: second }]);
  }
  if (options.length === 0) return null;
  const changes = context.pick(options);
  const change: ConfChange = { transition: "auto", changes, context: EMPTY_BYTES };
  leader.admin((raw) => {
    try {
      raw.proposeConfChange(change);
    } catch (error) {
      if (
        error instanceof ConfChangeRejectedError || error instanceof NotLeaderError ||
        error instanceof ProposalDroppedError
      ) return;
      throw error;
    }
    for (const single of changes) {
      if (single.type === "addLearner") world.addJoiner(single.nodeId);
    }
  });
  return `conf change ${
    changes.map((single) => `${single.type} ${single.nodeId}`).join(", ")
  } via ${leader.id}`;
}
