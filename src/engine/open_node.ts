/**
 * Building a running node: open storage, recover, construct the Raft core with the engine's limits,
 * start the transport and join the founding peers.
 *
 * @module
 */

import { minimumLeaseTtlSeconds } from "../kv/leases.ts";
import type { KvConfig } from "../kv/store.ts";
import type { PeerAddress, Transport } from "../ports/transport.ts";
import { RawNode } from "../raft/raw_node.ts";
import { bootNode } from "./boot.ts";
import { NodeDriver } from "./driver.ts";
import { MemberRegistry } from "./members.ts";
import type { ResolvedEngineOptions } from "./options.ts";
import type { EnginePorts } from "./ports.ts";

/** Most entries in one append message to a follower. */
export const ENGINE_ENTRIES_PER_APPEND_MAX = 4_096;
/** Most entry bytes in one append message to a follower. */
export const ENGINE_BYTES_PER_APPEND_MAX = 4 * 1024 * 1024;
/** Most unacknowledged appends per follower (the replication pipeline's depth). */
export const ENGINE_INFLIGHT_APPENDS_MAX = 256;
/** Uncommitted proposal bytes on the leader beyond which proposals wait. */
export const ENGINE_UNCOMMITTED_BYTES_MAX = 256 * 1024 * 1024;
/** Ticks subtracted from the election timeout to bound clock drift for lease reads. */
export const ENGINE_LEASE_DRIFT_MARGIN_TICKS = 2;

/** A started node and where it listens. */
export interface OpenedNode {
  driver: NodeDriver;
  /** The bound peer address, or null without peers. */
  peerAddress: PeerAddress | null;
}

/**
 * Opens storage, recovers and starts a node.
 *
 * @param options Resolved options.
 * @param ports The runtime's ports.
 * @returns The running node.
 * @throws {CorruptionError} When the stored state is damaged.
 * @example
 * ```ts ignore
 * const { driver } = await openNode(resolveEngineOptions({ storage: "memory" }), ports);
 * ```
 */
export async function openNode(options: ResolvedEngineOptions, ports: EnginePorts): Promise<OpenedNode> {
  const { log, snapshots } = await ports.openStorage(options.storage, options.dataDir, {
    ...(options.walSegmentSizeBytes === undefined
      ? {}
      : { walSegmentSizeBytes: options.walSegmentSizeBytes }),
  });
  let transport: Transport | null = null;
  try {
    const electionTimeoutMs = options.electionTimeoutTicks * options.tickIntervalMs;
    const kvConfig: Partial<KvConfig> = { leaseTtlSecondsMin: minimumLeaseTtlSeconds(electionTimeoutMs) };
    if (options.quotaBytes !== undefined) kvConfig.quotaBytes = options.quotaBytes;
    // A joining member starts with no configuration: it learns the cluster's from the leader.
    const boot = await bootNode(log, snapshots, options.join ? [] : options.members, kvConfig);
    const raw = new RawNode({
      id: options.id,
      storage: boot.storage,
      random: ports.random,
      electionTimeoutTicks: options.electionTimeoutTicks,
      heartbeatIntervalTicks: options.heartbeatIntervalTicks,
      applied: boot.applied,
      preVote: true,
      checkQuorum: true,
      maxEntriesPerAppend: ENGINE_ENTRIES_PER_APPEND_MAX,
      maxBytesPerAppend: ENGINE_BYTES_PER_APPEND_MAX,
      maxInflightAppends: ENGINE_INFLIGHT_APPENDS_MAX,
      maxUncommittedEntriesBytes: ENGINE_UNCOMMITTED_BYTES_MAX,
      leaseClockDriftMarginTicks: Math.min(ENGINE_LEASE_DRIFT_MARGIN_TICKS, options.electionTimeoutTicks - 1),
      maxPendingReadIndex: options.maxPendingReads,
    });
    // The options' addresses win over a snapshot's: they are what the operator says now.
    const members = new MemberRegistry(boot.members);
    members.restore(options.members);
    if (options.listen !== null) {
      transport = options.peerTls === undefined
        ? ports.createTransport(options.transport)
        : ports.createTransport(options.transport, { tls: options.peerTls });
    }
    const driver = new NodeDriver({
      options,
      raw,
      storage: boot.storage,
      store: boot.store,
      log,
      snapshots,
      transport,
      nowMs: () => ports.clock.nowMs(),
      random: ports.random,
      applied: boot.applied,
      confState: boot.confState,
      snapshotIndex: boot.snapshotIndex,
      members,
    });
    let peerAddress: PeerAddress | null = null;
    if (transport !== null) {
      peerAddress = await transport.start({
        nodeId: options.id,
        clusterId: options.clusterId,
        listen: options.listen!,
        onFrame: driver.onFrame,
        onPeerStatus: driver.onPeerStatus,
      });
      const conf = raw.status().confState;
      const current = new Set([
        ...conf.voters,
        ...conf.learners,
        ...conf.votersOutgoing,
        ...conf.learnersNext,
      ]);
      for (const member of options.members) current.add(member.id);
      for (const member of members.all()) {
        if (member.id === options.id || member.address === null || !current.has(member.id)) continue;
        transport.addPeer(member.id, member.address);
      }
    }
    // A lone voter needs no election timeout to pass before it leads.
    const voters = raw.status().confState.voters;
    if (voters.length === 1 && voters[0] === options.id) raw.campaign();
    driver.start();
    return { driver, peerAddress };
  } catch (error) {
    await transport?.close().catch(() => {});
    await log.close().catch(() => {});
    await snapshots.close().catch(() => {});
    throw error;
  }
}
