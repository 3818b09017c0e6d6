/**
 * The Transport port: how a node exchanges Raft messages and opaque application frames with its peers.
 *
 * Contract every adapter keeps (the conformance suite in `tests/conformance/transport_test.ts` checks it):
 * - Frames to one peer arrive in the order they were sent, or not at all (loss is allowed; Raft tolerates
 *   it). Nothing arrives twice, nothing arrives corrupted.
 * - `send`/`sendApp` never block and never wait for the network: they encode the frame into the peer's bounded
 *   queue and return `false` (counted in {@link TransportStats.dropped}) when it cannot be queued.
 * - Everything queued in one turn goes out in one write per peer, at `flush()` or at the end of the turn.
 * - Each node dials each peer it knows for its own outbound traffic (one persistent connection per peer and
 *   direction); connections it accepts only carry frames towards it. So a node answers a request only to a
 *   peer it has added with `addPeer`.
 * - A connection starts with a handshake naming the sender's node id and the cluster id; any mismatch,
 *   malformed frame or oversized length closes that connection and leaves the process running.
 *
 * @module
 */

import type { Message, NodeId } from "../raft/types.ts";

/** Where a transport listens or a peer can be reached. Port 0 in a listen address asks for an ephemeral port. */
export interface PeerAddress {
  hostname: string;
  port: number;
}

/** A Raft message to or from a peer. */
export interface RaftFrame {
  kind: "raft";
  message: Message;
}

/**
 * An opaque application request (the engine forwards client requests to the leader and asks for snapshot
 * chunks with these). The receiver answers with a {@link AppResponseFrame} carrying the same correlation id.
 */
export interface AppRequestFrame {
  kind: "request";
  /** Chosen by the requester (a non-negative safe integer) to match the response. */
  correlationId: number;
  payload: Uint8Array;
}

/** The answer to an {@link AppRequestFrame}; `correlationId` repeats the request's. */
export interface AppResponseFrame {
  kind: "response";
  correlationId: number;
  payload: Uint8Array;
}

/** An application frame: opaque bytes, matched by correlation id. */
export type AppFrame = AppRequestFrame | AppResponseFrame;

/**
 * What a transport delivers. Byte fields of a delivered frame (entry data, payloads) may share one buffer
 * with the rest of the frame: treat them as read-only.
 */
export type InboundFrame = RaftFrame | AppFrame;

/** Why a frame was not queued (or a queued one was discarded), as counted in {@link TransportStats}. */
export interface TransportDropCounts {
  /** The peer's send queue was at its frame or byte bound. */
  queueFull: number;
  /** `send` named a node that was never added (or was removed). */
  unknownPeer: number;
  /** `send` was called after `close()`. */
  closed: number;
  /** A test fault filter discarded the frame (memory transport only). */
  filtered: number;
  /** Frames still queued for a peer when it was removed or the transport closed. */
  discarded: number;
}

/** Counters a transport keeps since it started. */
export interface TransportStats {
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  bytesReceived: number;
  /** Successful handshakes, inbound and outbound. */
  connectionsOpened: number;
  /** Connections closed for a protocol violation: bad handshake, garbage bytes, oversized or unknown frame. */
  connectionsRejected: number;
  dropped: TransportDropCounts;
}

/** What a transport needs to start. */
export interface TransportStartOptions {
  /** This node's id (a positive safe integer). */
  nodeId: NodeId;
  /** Peers with another cluster id are refused (1 to 255 bytes of UTF-8). */
  clusterId: string;
  /** Where to accept peer connections; port 0 picks an ephemeral port (see the resolved address). */
  listen: PeerAddress;
  /**
   * Called for every frame that arrives, in order per peer. `from` is the id the peer proved in its
   * handshake; a Raft frame's `message.from` equals it and `message.to` equals this node's id.
   */
  onFrame(from: NodeId, frame: InboundFrame): void;
  /** Called when the outbound connection to a peer is established (handshake done) or lost. */
  onPeerStatus?: (peer: NodeId, connected: boolean) => void;
}

/**
 * A node's link to its peers. Created unstarted by an adapter factory, then `start`ed once.
 *
 * @example
 * ```ts
 * import type { Transport } from "./transport.ts";
 * import { makeMessage, MessageType } from "../raft/types.ts";
 * async function heartbeat(transport: Transport): Promise<void> {
 *   const address = await transport.start({
 *     nodeId: 1,
 *     clusterId: "demo",
 *     listen: { hostname: "127.0.0.1", port: 0 },
 *     onFrame: (from, frame) => console.log(from, frame.kind),
 *   });
 *   console.log(address.port > 0);
 *   transport.addPeer(2, { hostname: "127.0.0.1", port: 7002 });
 *   transport.send(2, makeMessage({ type: MessageType.Heartbeat, to: 2, from: 1, term: 1 }));
 *   transport.flush();
 *   await transport.close();
 * }
 * ```
 */
export interface Transport {
  /** The adapter's name ("memory", "node_net", "deno_tcp", "bun_tcp"). */
  readonly kind: string;

  /**
   * Starts listening.
   *
   * @param options Identity, listen address and the frame handler.
   * @returns The address actually bound (the ephemeral port filled in).
   * @throws {Error} When the address cannot be bound or the transport was already started.
   */
  start(options: TransportStartOptions): Promise<PeerAddress>;

  /**
   * Adds (or re-addresses) a peer and starts connecting to it.
   *
   * @param id The peer's node id (not this node's).
   * @param address Where the peer listens.
   */
  addPeer(id: NodeId, address: PeerAddress): void;

  /**
   * Forgets a peer: closes its connection and discards its queue.
   *
   * @param id The peer's node id; unknown ids are ignored.
   */
  removePeer(id: NodeId): void;

  /**
   * Queues a Raft message for `to` (never blocks).
   *
   * @param to The peer (must equal `message.to`).
   * @param message The message; its bytes are encoded now, so the caller may reuse it afterwards.
   * @returns `true` when queued, `false` when dropped (the reason is counted in {@link TransportStats}).
   * @throws {RangeError} When the message encodes to more than the frame size limit, or is a local-only type.
   */
  send(to: NodeId, message: Message): boolean;

  /**
   * Queues an application request or response for `to` (never blocks).
   *
   * @param to The peer.
   * @param frame The frame; the payload is copied now.
   * @returns `true` when queued, `false` when dropped (the reason is counted).
   * @throws {RangeError} When the frame exceeds the frame size limit.
   */
  sendApp(to: NodeId, frame: AppFrame): boolean;

  /** Writes everything queued so far, one write per connected peer. Also happens by itself at the end of a turn. */
  flush(): void;

  /** @returns A snapshot of the counters. */
  stats(): TransportStats;

  /** Stops listening, closes every connection and timer; idempotent. Queued frames are discarded. */
  close(): Promise<void>;
}

/**
 * A fresh set of zeroed counters.
 *
 * @returns Stats with every count at 0.
 * @example
 * ```ts
 * import { emptyTransportStats } from "./transport.ts";
 * console.log(emptyTransportStats().dropped.queueFull); // 0
 * ```
 */
export function emptyTransportStats(): TransportStats {
  return {
    framesSent: 0,
    bytesSent: 0,
    framesReceived: 0,
    bytesReceived: 0,
    connectionsOpened: 0,
    connectionsRejected: 0,
    dropped: { queueFull: 0, unknownPeer: 0, closed: 0, filtered: 0, discarded: 0 },
  };
}
