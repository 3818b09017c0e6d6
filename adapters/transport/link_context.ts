/**
 * What a transport's connections share: identity, limits, counters and the callbacks to the engine.
 *
 * @module
 */

import type { TransportStartOptions, TransportStats } from "../../src/ports/transport.ts";
import type { NodeId } from "../../src/raft/types.ts";
import type { BackoffLimits } from "../../src/transport/backoff.ts";
import type { SendQueueLimits } from "../../src/transport/send_queue.ts";
import type { StreamDriver } from "./stream_driver.ts";

/** How long an accepted connection may take to send its hello before it is closed. */
export const HANDSHAKE_TIMEOUT_MS = 5000;

/** Accepted connections held at once; more are closed on arrival (a cluster needs one per peer). */
export const INBOUND_CONNECTIONS_MAX = 1024;

/** The tunable limits of a stream transport. */
export interface StreamTransportLimits {
  queue: SendQueueLimits;
  backoff: BackoffLimits;
  handshakeTimeoutMs: number;
  inboundConnectionsMax: number;
}

/** State shared by the transport and its connections. */
export interface LinkContext {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  readonly driver: StreamDriver;
  readonly limits: StreamTransportLimits;
  readonly stats: TransportStats;
  readonly onFrame: TransportStartOptions["onFrame"];
  readonly onPeerStatus: (peer: NodeId, connected: boolean) => void;
  /** Whether the transport is closing: late events are ignored. */
  isClosed(): boolean;
  /** Registers work that `close()` must wait for (a connect in flight, a stream until its onClose). */
  track(settled: Promise<unknown>): void;
}
