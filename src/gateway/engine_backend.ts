/**
 * The gateway's backend over a running {@link Engine}: writes replicated through Raft (forwarded to the leader
 * from a follower), reads at the requested consistency, watchers on this node's store, and the node's status
 * and members for response headers, `/v3/maintenance/status` and `/v3/cluster/member/list`.
 *
 * @module
 */

import type { Engine } from "../engine/engine.ts";
import type { EngineMetricsSnapshot } from "../engine/metrics.ts";
import { nodeIdOf } from "../engine/options.ts";
import type { Command, CommandResponse } from "../kv/commands.ts";
import { LocalWatchStream } from "../kv/local_client.ts";
import type { LeaseTimeToLiveResponse, RangeRequest, RangeResponse } from "../kv/types.ts";
import type { WatchOptions } from "../kv/watch.ts";
import type {
  GatewayAlarm,
  GatewayBackend,
  GatewayConsistency,
  GatewayMember,
  GatewayMemberToAdd,
  GatewayNodeInfo,
  WriteIdentityHeader,
} from "./backend.ts";
import { GatewayError, Grpc } from "./etcd_errors.ts";
import { NoSpaceAlarm } from "./maintenance.ts";

/** The etcd version string the gateway reports, since it answers as etcd 3.4's JSON gateway does. */
export const GATEWAY_ETCD_VERSION = "3.4.23";

/** Options of {@link EngineBackend}. */
export interface EngineBackendOptions {
  /** The cluster's name; its hash is the `cluster_id` of response headers (default "dengine"). */
  clusterName?: string;
  /** Client URLs per member name, reported by the member list (default: none known). */
  clientUrls?: Record<string, string[]>;
}

/**
 * A {@link GatewayBackend} over an engine node.
 *
 * @example
 * ```ts ignore
 * import { createGateway, EngineBackend } from "./mod.ts";
 * const app = createGateway(new EngineBackend(engine, { clientUrls: { n1: ["http://127.0.0.1:2379"] } }));
 * ```
 */
export class EngineBackend implements GatewayBackend {
  readonly #engine: Engine;
  readonly #clusterId: bigint;
  readonly #clientUrls: Record<string, string[]>;
  readonly #noSpace: NoSpaceAlarm;

  /**
   * @param engine The running engine.
   * @param options The cluster name and the members' client URLs.
   */
  constructor(engine: Engine, options: EngineBackendOptions = {}) {
    this.#engine = engine;
    this.#clusterId = BigInt(nodeIdOf(options.clusterName ?? "dengine"));
    this.#clientUrls = options.clientUrls ?? {};
    this.#noSpace = new NoSpaceAlarm(BigInt(engine.status().id));
  }

  /** @inheritdoc */
  write(command: Command, identity?: WriteIdentityHeader): Promise<CommandResponse> {
    return this.#engine.backend().write(command, identity).catch((error) => {
      throw this.#noSpace.note(error);
    });
  }

  /** @inheritdoc */
  range(request: RangeRequest, consistency: GatewayConsistency): Promise<RangeResponse> {
    return this.#engine.backend().range(request, consistency);
  }

  /** @inheritdoc */
  watch(options: WatchOptions): LocalWatchStream {
    return new LocalWatchStream(this.#engine.backend().watch(options));
  }

  /** @inheritdoc */
  leaseTimeToLive(id: number, keys: boolean): Promise<LeaseTimeToLiveResponse> {
    return this.#engine.backend().leaseTimeToLive(id, keys);
  }

  /** @inheritdoc */
  leaseIds(): Promise<number[]> {
    return this.#engine.backend().leaseIds();
  }

  /** @inheritdoc */
  info(): GatewayNodeInfo {
    const status = this.#engine.status();
    const store = this.#engine.storeStatus();
    const self = status.members.find((member) => member.id === status.id);
    return {
      clusterId: this.#clusterId,
      memberId: BigInt(status.id),
      raftTerm: status.term,
      leaderId: BigInt(status.leaderId),
      raftIndex: status.commitIndex,
      raftAppliedIndex: status.appliedIndex,
      revision: status.revision,
      dbSizeBytes: store.sizeBytes,
      dbSizeInUseBytes: store.sizeBytes,
      isLearner: self?.role === "learner",
      version: GATEWAY_ETCD_VERSION,
    };
  }

  /** @inheritdoc */
  engineMetrics(): EngineMetricsSnapshot {
    return this.#engine.metrics();
  }

  /** @inheritdoc */
  members(): GatewayMember[] {
    return this.#engine.status().members.map((member) => ({
      id: BigInt(member.id),
      name: member.name,
      peerUrls: member.peerAddress === "" ? [] : [`http://${member.peerAddress}`],
      clientUrls: this.#clientUrls[member.name] ?? [],
      isLearner: member.role === "learner",
    }));
  }

  /** @inheritdoc */
  snapshotBytes(): Uint8Array {
    return this.#engine.storeSnapshot();
  }

  /** @inheritdoc */
  alarms(): GatewayAlarm[] {
    return this.#noSpace.list();
  }

  /** @inheritdoc */
  disarm(alarm: GatewayAlarm): Promise<GatewayAlarm | null> {
    return Promise.resolve(this.#noSpace.disarm(alarm));
  }

  /** @inheritdoc */
  async addMember(member: GatewayMemberToAdd): Promise<GatewayMember> {
    if (this.#engine.status().members.some((known) => known.name === member.name)) {
      throw new GatewayError(Grpc.FailedPrecondition, "etcdserver: member ID already exist");
    }
    const url = new URL(member.peerUrls[0] ?? "");
    await this.#engine.addMember({ name: member.name, peerAddress: url.host, learner: member.isLearner });
    const added = this.members().find((known) => known.name === member.name);
    if (added === undefined) {
      throw new GatewayError(
        Grpc.Internal,
        `member "${member.name}" was added but is not in the member list`,
      );
    }
    return added;
  }

  /** @inheritdoc */
  async removeMember(id: bigint): Promise<void> {
    await this.#engine.removeMember(this.#nameOf(id));
  }

  /** @inheritdoc */
  async promoteMember(id: bigint): Promise<void> {
    await this.#engine.promoteMember(this.#nameOf(id));
  }

  /** @inheritdoc */
  async updateMember(id: bigint, peerUrls: string[]): Promise<void> {
    await this.#engine.updateMember(this.#nameOf(id), new URL(peerUrls[0] ?? "").host);
  }

  /** @inheritdoc */
  transferLeadership(targetId: bigint): Promise<void> {
    try {
      this.#engine.transferLeadership(this.#nameOf(targetId));
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #nameOf(id: bigint): string {
    const member = this.#engine.status().members.find((known) => BigInt(known.id) === id);
    if (member === undefined) throw new GatewayError(Grpc.NotFound, "etcdserver: member not found");
    return member.name;
  }
}
