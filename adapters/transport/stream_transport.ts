/**
 * The transport core shared by every adapter: peers, queues, coalesced flushes, handshake and reconnects over
 * any {@link StreamDriver}. Each adapter only supplies its runtime's sockets.
 *
 * @module
 */

import {
  type AppFrame,
  emptyTransportStats,
  type InboundFrame,
  type PeerAddress,
  type Transport,
  type TransportStartOptions,
  type TransportStats,
} from "../../src/ports/transport.ts";
import type { Message, NodeId } from "../../src/raft/types.ts";
import { BACKOFF_LIMITS_DEFAULT, type BackoffLimits } from "../../src/transport/backoff.ts";
import { encodeClusterId } from "../../src/transport/codec.ts";
import { SEND_QUEUE_LIMITS_DEFAULT, type SendQueueLimits } from "../../src/transport/send_queue.ts";
import { assert } from "../../src/util/assert.ts";
import { InboundConnection } from "./inbound_connection.ts";
import {
  HANDSHAKE_TIMEOUT_MS,
  INBOUND_CONNECTIONS_MAX,
  type LinkContext,
  type StreamTransportLimits,
} from "./link_context.ts";
import { OutboundLink } from "./outbound_link.ts";
import type { StreamDriver, StreamListener } from "./stream_driver.ts";

/** Options every transport factory accepts; each field defaults to the named constant it overrides. */
export interface TransportConfig {
  queue?: Partial<SendQueueLimits>;
  backoff?: Partial<BackoffLimits>;
  handshakeTimeoutMs?: number;
  inboundConnectionsMax?: number;
  /** Test fault injection: return false to drop a frame at `send` (counted as `dropped.filtered`). */
  frameFilter?: (from: NodeId, to: NodeId, frame: InboundFrame) => boolean;
}

/**
 * A {@link Transport} over a {@link StreamDriver}.
 *
 * @example
 * ```ts ignore
 * const transport = new StreamTransport("node_net", new NodeNetDriver(), {});
 * await transport.start({ nodeId: 1, clusterId: "c", listen: { hostname: "127.0.0.1", port: 0 }, onFrame });
 * ```
 */
export class StreamTransport implements Transport {
  readonly kind: string;
  readonly #driver: StreamDriver;
  readonly #limits: StreamTransportLimits;
  readonly #frameFilter: TransportConfig["frameFilter"];
  readonly #stats: TransportStats = emptyTransportStats();
  readonly #links = new Map<NodeId, OutboundLink>();
  readonly #inbound = new Set<InboundConnection>();
  readonly #inboundByPeer = new Map<NodeId, InboundConnection>();
  readonly #tracked = new Set<Promise<unknown>>();
  #context: LinkContext | null = null;
  #listener: StreamListener | null = null;
  #closed = false;
  #flushScheduled = false;

  /**
   * @param kind The adapter's name.
   * @param driver The runtime's sockets.
   * @param config Limits and test hooks.
   */
  constructor(kind: string, driver: StreamDriver, config: TransportConfig) {
    this.kind = kind;
    this.#driver = driver;
    this.#frameFilter = config.frameFilter;
    const queue = { ...SEND_QUEUE_LIMITS_DEFAULT, ...config.queue };
    this.#limits = {
      queue,
      backoff: { ...BACKOFF_LIMITS_DEFAULT, ...config.backoff },
      handshakeTimeoutMs: config.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
      inboundConnectionsMax: config.inboundConnectionsMax ?? INBOUND_CONNECTIONS_MAX,
    };
    assert(
      queue.frameBytesMax <= queue.bytesMax,
      () => `frame bound ${queue.frameBytesMax} > queue ${queue.bytesMax}`,
    );
  }

  /** @inheritdoc */
  async start(options: TransportStartOptions): Promise<PeerAddress> {
    if (this.#context !== null || this.#closed) {
      throw new Error(`Cannot start ${this.kind} transport: already started`);
    }
    if (!(Number.isSafeInteger(options.nodeId) && options.nodeId > 0)) {
      throw new RangeError(
        `Cannot start transport as node ${options.nodeId}: ids are positive safe integers`,
      );
    }
    encodeClusterId(options.clusterId);
    const onPeerStatus = options.onPeerStatus ?? (() => {});
    this.#context = {
      nodeId: options.nodeId,
      clusterId: options.clusterId,
      driver: this.#driver,
      limits: this.#limits,
      stats: this.#stats,
      onFrame: options.onFrame,
      onPeerStatus: (peer, connected) => {
        if (!this.#closed) onPeerStatus(peer, connected);
      },
      isClosed: () => this.#closed,
      track: (settled) => this.#track(settled),
    };
    this.#listener = await this.#driver.listen(options.listen, (stream) => this.#accept(stream));
    return this.#listener.address;
  }

  /** @inheritdoc */
  addPeer(id: NodeId, address: PeerAddress): void {
    const context = this.#requireStarted("add a peer");
    if (!(Number.isSafeInteger(id) && id > 0) || id === context.nodeId) {
      throw new RangeError(
        `Cannot add peer ${id}: not a positive id other than this node's (${context.nodeId})`,
      );
    }
    const link = this.#links.get(id);
    if (link !== undefined) return link.readdress(address);
    this.#links.set(id, new OutboundLink(context, id, address));
  }

  /** @inheritdoc */
  removePeer(id: NodeId): void {
    const link = this.#links.get(id);
    if (link === undefined) return;
    this.#links.delete(id);
    this.#stats.dropped.discarded += link.close();
  }

  /** @inheritdoc */
  send(to: NodeId, message: Message): boolean {
    assert(message.to === to, () => `send to ${to} of a message addressed to ${message.to}`);
    return this.#enqueue(to, { kind: "raft", message });
  }

  /** @inheritdoc */
  sendApp(to: NodeId, frame: AppFrame): boolean {
    return this.#enqueue(to, frame);
  }

  /** @inheritdoc */
  flush(): void {
    this.#flushScheduled = false;
    for (const link of this.#links.values()) link.flush();
  }

  /** @inheritdoc */
  stats(): TransportStats {
    return { ...this.#stats, dropped: { ...this.#stats.dropped } };
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const id of [...this.#links.keys()]) this.removePeer(id);
    for (const connection of this.#inbound) connection.close();
    await this.#listener?.close();
    // Connections opened or closing meanwhile settle here; loop because settling can track more.
    while (this.#tracked.size > 0) await Promise.all([...this.#tracked]);
  }

  #enqueue(to: NodeId, frame: InboundFrame): boolean {
    const dropped = this.#stats.dropped;
    if (this.#closed) return (dropped.closed += 1, false);
    const link = this.#links.get(to);
    if (link === undefined) return (dropped.unknownPeer += 1, false);
    if (this.#frameFilter !== undefined && !this.#frameFilter(this.#context!.nodeId, to, frame)) {
      return (dropped.filtered += 1, false);
    }
    if (!link.enqueue(frame)) return (dropped.queueFull += 1, false);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => {
        if (this.#flushScheduled && !this.#closed) this.flush();
      });
    }
    return true;
  }

  #accept(stream: Parameters<Parameters<StreamDriver["listen"]>[1]>[0]): InboundConnection["events"] {
    const context = this.#context!;
    const connection = new InboundConnection(
      context,
      stream,
      (peer, identified) => {
        const previous = this.#inboundByPeer.get(peer);
        this.#inboundByPeer.set(peer, identified);
        // The dialer uses only its newest connection: an older one is half-open or about to close.
        if (previous !== undefined && previous !== identified) previous.close();
      },
      (closed) => {
        this.#inbound.delete(closed);
        if (this.#inboundByPeer.get(closed.peer) === closed) this.#inboundByPeer.delete(closed.peer);
      },
    );
    this.#inbound.add(connection);
    this.#track(connection.closed);
    if (this.#closed || this.#inbound.size > this.#limits.inboundConnectionsMax) {
      this.#stats.connectionsRejected += 1;
      connection.close();
    }
    return connection.events;
  }

  #track(settled: Promise<unknown>): void {
    const done = settled.then(() => {}, () => {}).finally(() => this.#tracked.delete(done));
    this.#tracked.add(done);
  }

  #requireStarted(action: string): LinkContext {
    if (this.#context === null) {
      throw new Error(`Cannot ${action}: the ${this.kind} transport is not started`);
    }
    if (this.#closed) throw new Error(`Cannot ${action}: the ${this.kind} transport is closed`);
    return this.#context;
  }
}
