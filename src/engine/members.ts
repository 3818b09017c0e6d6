/**
 * Cluster membership as the engine sees it: names and peer addresses of member ids, kept current by the
 * configuration entries the node applies (their context carries the member's name and address), and the
 * transport's peer list kept in step.
 *
 * @module
 */

import type { Transport } from "../ports/transport.ts";
import { applyConfChange } from "../raft/conf_change.ts";
import { decodeConfChange } from "../raft/conf_change_codec.ts";
import type { ConfState, NodeId } from "../raft/types.ts";
import { formatAddress, type MemberConfig, parseAddress } from "./options.ts";

/** A member as reported by `engine.status()` and `watchMembership()`. */
export interface MemberStatus {
  id: NodeId;
  name: string;
  /** `host:port`, or "" when unknown or the node has no peers. */
  peerAddress: string;
  role: "voter" | "learner";
}

/** What a configuration entry's context carries. */
export interface MemberContext {
  name: string;
  address: string;
}

/**
 * Encodes a configuration entry's context.
 *
 * @param member The member's name and address.
 * @returns The context bytes.
 * @example
 * ```ts
 * import { encodeMemberContext } from "./members.ts";
 * console.log(encodeMemberContext({ name: "n4", address: "127.0.0.1:2780" }).length > 0); // true
 * ```
 */
export function encodeMemberContext(member: MemberContext): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(member));
}

function decodeMemberContext(bytes: Uint8Array): MemberContext | null {
  if (bytes.length === 0) return null;
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<MemberContext>;
    if (typeof value.name !== "string" || typeof value.address !== "string") return null;
    return { name: value.name, address: value.address };
  } catch {
    return null;
  }
}

/**
 * Names and addresses by member id.
 *
 * @example
 * ```ts
 * import { MemberRegistry } from "./members.ts";
 * const registry = new MemberRegistry([{ id: 1, name: "n1", address: null }]);
 * console.log(registry.nameOf(1)); // "n1"
 * ```
 */
export class MemberRegistry {
  readonly #members = new Map<NodeId, MemberConfig>();

  /** @param founders The founding members from the options. */
  constructor(founders: readonly MemberConfig[]) {
    for (const member of founders) this.#members.set(member.id, member);
  }

  /**
   * @param id A member id.
   * @returns Its name, or "" when unknown (0 included).
   */
  nameOf(id: NodeId): string {
    return this.#members.get(id)?.name ?? (id === 0 ? "" : `#${id}`);
  }

  /**
   * @param id A member id.
   * @returns Its configuration, if known.
   */
  get(id: NodeId): MemberConfig | undefined {
    return this.#members.get(id);
  }

  /**
   * Applies a committed configuration entry: records the member named by its context and updates the
   * transport's peers.
   *
   * @param current The configuration before the entry.
   * @param data The entry's data.
   * @param selfId This node's id (never a peer of itself).
   * @param transport The transport to update, if any.
   * @returns The configuration after the entry, or null when the entry does not change it.
   */
  applyEntry(
    current: ConfState,
    data: Uint8Array,
    selfId: NodeId,
    transport: Transport | null,
  ): ConfState | null {
    const change = decodeConfChange(data);
    let next: ConfState;
    try {
      next = applyConfChange(current, change);
    } catch {
      return null;
    }
    const context = decodeMemberContext(change.context);
    for (const single of change.changes) {
      const id = single.nodeId;
      if (single.type === "remove") {
        if (id !== selfId) transport?.removePeer(id);
        continue;
      }
      if (context === null) continue;
      const address = context.address === "" ? null : parseAddress(context.address);
      const known = this.#members.get(id)?.address ?? null;
      this.#members.set(id, { id, name: context.name, address: address ?? known });
      const moved = address !== null && (known === null || formatAddress(known) !== context.address);
      if (id !== selfId && moved) transport?.addPeer(id, address);
    }
    return next;
  }

  /** @returns Every member known, for a snapshot. */
  all(): MemberConfig[] {
    return [...this.#members.values()].sort((a, b) => a.id - b.id);
  }

  /** @param members Members restored from a snapshot (they replace what was known about their ids). */
  restore(members: readonly MemberConfig[]): void {
    for (const member of members) this.#members.set(member.id, member);
  }

  /** @param confState A configuration installed from a snapshot (unknown members keep placeholder names). */
  applyConfState(confState: ConfState): void {
    for (const id of [...confState.voters, ...confState.learners]) {
      if (!this.#members.has(id)) this.#members.set(id, { id, name: `#${id}`, address: null });
    }
  }
}

/**
 * The member list of a configuration.
 *
 * @param confState The configuration.
 * @param registry Names and addresses.
 * @returns Voters then learners, each sorted by id.
 * @example
 * ```ts
 * import { MemberRegistry, membersOf } from "./members.ts";
 * const registry = new MemberRegistry([{ id: 1, name: "n1", address: null }]);
 * const conf = { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
 * console.log(membersOf(conf, registry)[0]?.name); // "n1"
 * ```
 */
export function membersOf(confState: ConfState, registry: MemberRegistry): MemberStatus[] {
  const describe = (id: NodeId, role: "voter" | "learner"): MemberStatus => {
    const address = registry.get(id)?.address ?? null;
    return {
      id,
      name: registry.nameOf(id),
      peerAddress: address === null ? "" : formatAddress(address),
      role,
    };
  };
  const voters = new Set([...confState.voters, ...confState.votersOutgoing]);
  return [
    ...[...voters].sort((a, b) => a - b).map((id) => describe(id, "voter")),
    ...[...confState.learners, ...confState.learnersNext].sort((a, b) => a - b).map((id) =>
      describe(id, "learner")
    ),
  ];
}
