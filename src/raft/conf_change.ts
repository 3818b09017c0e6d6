/**
 * Applying a {@link ConfChange} to a {@link ConfState}: simple changes (one voter at a time), entering a
 * joint configuration, and leaving it. Pure functions; invalid changes throw ConfChangeRejectedError.
 *
 * @module
 */

import { ConfChangeRejectedError } from "./errors.ts";
import { isJoint } from "./tracker.ts";
import {
  cloneConfState,
  type ConfChange,
  type ConfChangeSingle,
  type ConfState,
  type NodeId,
} from "./types.ts";

/**
 * Computes the configuration that results from a change.
 *
 * @param current The configuration in effect.
 * @param change The change; no changes means "leave the joint configuration".
 * @returns The new configuration.
 * @throws {ConfChangeRejectedError} When the change is not valid from `current`.
 * @example
 * ```ts
 * import { applyConfChange } from "./conf_change.ts";
 * const next = applyConfChange(
 *   { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
 *   { transition: "auto", changes: [{ type: "addVoter", nodeId: 2 }], context: new Uint8Array() },
 * );
 * console.log(next.voters); // [1, 2]
 * ```
 */
export function applyConfChange(current: ConfState, change: ConfChange): ConfState {
  if (change.changes.length === 0) return leaveJoint(current);
  if (isJoint(current)) {
    throw new ConfChangeRejectedError(
      "the configuration is joint; leave it (an empty change) before changing it",
    );
  }
  for (const single of change.changes) {
    if (!Number.isSafeInteger(single.nodeId) || single.nodeId <= 0) {
      throw new ConfChangeRejectedError(`node id ${single.nodeId} is not a positive safe integer`);
    }
  }
  if (change.transition === "auto" && change.changes.length === 1) return simple(current, change.changes);
  return enterJoint(current, change.changes, change.transition !== "joint-explicit");
}

function simple(current: ConfState, changes: readonly ConfChangeSingle[]): ConfState {
  const next = cloneConfState(current);
  applyAll(next, changes);
  const before = new Set(current.voters);
  const after = new Set(next.voters);
  let differences = 0;
  for (const id of before) if (!after.has(id)) differences++;
  for (const id of after) if (!before.has(id)) differences++;
  if (differences > 1) {
    throw new ConfChangeRejectedError(`a simple change may alter one voter, this one alters ${differences}`);
  }
  return checked(next);
}

function enterJoint(current: ConfState, changes: readonly ConfChangeSingle[], autoLeave: boolean): ConfState {
  if (current.voters.length === 0) {
    throw new ConfChangeRejectedError("cannot enter a joint configuration without voters");
  }
  const next = cloneConfState(current);
  next.votersOutgoing = current.voters.slice();
  applyAll(next, changes);
  next.autoLeave = autoLeave;
  return checked(next);
}

function leaveJoint(current: ConfState): ConfState {
  if (!isJoint(current)) {
    throw new ConfChangeRejectedError("the configuration is not joint, there is nothing to leave");
  }
  const next = cloneConfState(current);
  for (const id of next.learnersNext) add(next.learners, id);
  next.learnersNext = [];
  next.votersOutgoing = [];
  next.autoLeave = false;
  return checked(next);
}

function applyAll(next: ConfState, changes: readonly ConfChangeSingle[]): void {
  for (const single of changes) {
    const id = single.nodeId;
    switch (single.type) {
      case "addVoter":
        add(next.voters, id);
        remove(next.learners, id);
        remove(next.learnersNext, id);
        break;
      case "addLearner":
        remove(next.voters, id);
        remove(next.learners, id);
        // A voter of the outgoing half stays a voter until the joint configuration is left.
        if (next.votersOutgoing.includes(id)) add(next.learnersNext, id);
        else add(next.learners, id);
        break;
      case "remove":
        remove(next.voters, id);
        remove(next.learners, id);
        remove(next.learnersNext, id);
        break;
      default:
        throw new ConfChangeRejectedError(`unknown change type ${String((single as ConfChangeSingle).type)}`);
    }
  }
}

function checked(next: ConfState): ConfState {
  if (next.voters.length === 0) throw new ConfChangeRejectedError("the change would remove every voter");
  for (const id of next.learners) {
    if (next.voters.includes(id) || next.votersOutgoing.includes(id)) {
      throw new ConfChangeRejectedError(`node ${id} would be both a voter and a learner`);
    }
  }
  next.voters.sort(byId);
  next.learners.sort(byId);
  next.votersOutgoing.sort(byId);
  next.learnersNext.sort(byId);
  return next;
}

function add(list: NodeId[], id: NodeId): void {
  if (!list.includes(id)) list.push(id);
}

function remove(list: NodeId[], id: NodeId): void {
  const at = list.indexOf(id);
  if (at >= 0) list.splice(at, 1);
}

function byId(a: NodeId, b: NodeId): number {
  return a - b;
}
