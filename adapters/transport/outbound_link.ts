/**
 * A node's connection to one peer for its own outbound frames: a bounded queue, one write per flush, a
 * handshake, and reconnects with exponential backoff.
 *
 * @module
 */

import type { PeerAddress } from "../../src/ports/transport.ts";
import type { NodeId } from "../../src/raft/types.ts";
import { jitteredDelayMs, nextReconnectDelayMs } from "../../src/transport/backoff.ts";
import {
  ByteWriter,
  decodeFrame,
  encodeFrame,
  FrameDecoder,
  FrameError,
  type FrameType,
  HELLO_FRAME_BYTES_MAX,
  PROTOCOL_VERSION,
  type WireFrame,
} from "../../src/transport/codec.ts";
import { SendQueue } from "../../src/transport/send_queue.ts";
import { assert } from "../../src/util/assert.ts";
import type { LinkContext } from "./link_context.ts";
import type { ByteStream, StreamEvents } from "./stream_driver.ts";

type LinkState = "connecting" | "open" | "waiting" | "closed";

/**
 * The outbound side towards one peer. Invariant: `stream !== null` exactly when `state === "open"`.
 *
 * @example
 * ```ts ignore
 * const link = new OutboundLink(context, 2, { hostname: "127.0.0.1", port: 7002 });
 * link.enqueue({ kind: "request", correlationId: 1, payload: new Uint8Array(1) });
 * link.flush();
 * ```
 */
export class OutboundLink {
  readonly peer: NodeId;
  #address: PeerAddress;
  readonly #context: LinkContext;
  readonly #queue: SendQueue;
  #state: LinkState = "waiting";
  #stream: ByteStream | null = null;
  #writable = false;
  #peerConfirmed = false;
  #delayMs = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped per connection attempt, so events of an abandoned stream are ignored. */
  #generation = 0;

  /**
   * @param context The transport's shared state.
   * @param peer The peer's id.
   * @param address Where it listens.
   */
  constructor(context: LinkContext, peer: NodeId, address: PeerAddress) {
    assert(peer !== context.nodeId, () => `node ${peer} cannot be its own peer`);
    this.#context = context;
    this.peer = peer;
    this.#address = address;
    this.#queue = new SendQueue(context.limits.queue);
    this.#connect();
  }

  /** The address dialled. */
  get address(): PeerAddress {
    return this.#address;
  }

  /**
   * Re-addresses the peer, redialling if the address changed.
   *
   * @param address The new address.
   */
  readdress(address: PeerAddress): void {
    if (address.hostname === this.#address.hostname && address.port === this.#address.port) return;
    this.#address = address;
    if (this.#stream !== null) this.#stream.close();
  }

  /**
   * Queues a frame.
   *
   * @param frame The frame.
   * @returns Whether it was queued (false: the queue is at a bound).
   */
  enqueue(frame: WireFrame): boolean {
    assert(this.#state !== "closed", () => `link to ${this.peer} used after close`);
    return this.#queue.push(frame) > 0;
  }

  /** Writes the queue in one write, when connected and the previous write has drained. */
  flush(): void {
    if (this.#stream === null || !this.#writable || this.#queue.frames === 0) return;
    const batch = this.#queue.take();
    this.#context.stats.framesSent += batch.frames;
    this.#context.stats.bytesSent += batch.bytes.length;
    this.#writable = this.#stream.write(batch.bytes);
  }

  /**
   * Stops for good: closes the stream, cancels the reconnect timer, discards the queue.
   *
   * @returns How many queued frames were discarded.
   */
  close(): number {
    this.#state = "closed";
    this.#generation += 1;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#stream?.close();
    this.#stream = null;
    this.#reportDown();
    return this.#queue.clear();
  }

  #connect(): void {
    this.#state = "connecting";
    const generation = ++this.#generation;
    let resolveClosed = (): void => {};
    const closed = new Promise<void>((resolve) => resolveClosed = resolve);
    const decoder = new FrameDecoder((type, payload) => this.#onFrame(type, payload), HELLO_FRAME_BYTES_MAX);
    const events: StreamEvents = {
      onData: (chunk) => {
        if (generation === this.#generation) this.#onData(decoder, chunk);
      },
      onDrain: () => {
        if (generation !== this.#generation) return;
        this.#writable = true;
        this.flush();
      },
      onClose: () => {
        resolveClosed();
        if (generation === this.#generation) this.#onClose();
      },
    };
    const connecting = this.#context.driver.connect(this.#address, events).then(
      (stream) => {
        this.#context.track(closed);
        if (generation !== this.#generation || this.#context.isClosed()) return stream.close();
        this.#onOpen(stream);
      },
      () => {
        if (generation === this.#generation) this.#retryLater();
      },
    );
    this.#context.track(connecting);
  }

  #onOpen(stream: ByteStream): void {
    this.#state = "open";
    this.#stream = stream;
    const hello = new ByteWriter(64);
    encodeFrame(hello, {
      kind: "hello",
      version: PROTOCOL_VERSION,
      nodeId: this.#context.nodeId,
      to: this.peer,
      clusterId: this.#context.clusterId,
    });
    this.#writable = stream.write(hello.take());
    this.flush();
  }

  #onData(decoder: FrameDecoder, chunk: Uint8Array): void {
    try {
      decoder.push(chunk);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.#context.stats.connectionsRejected += 1;
      this.#stream?.close();
    }
  }

  /** The acceptor speaks only once, to prove who it is. */
  #onFrame(type: FrameType, payload: Uint8Array): void {
    const frame = decodeFrame(type, payload);
    if (frame.kind !== "hello" || this.#peerConfirmed) {
      throw new FrameError(
        `Cannot accept ${frame.kind} frame from the acceptor ${this.peer}: only one hello`,
      );
    }
    const context = this.#context;
    if (frame.version !== PROTOCOL_VERSION || frame.clusterId !== context.clusterId) {
      throw new FrameError(
        `Cannot talk to node ${frame.nodeId}: cluster "${frame.clusterId}" v${frame.version}`,
      );
    }
    if (frame.nodeId !== this.peer || frame.to !== context.nodeId) {
      throw new FrameError(
        `Cannot talk to ${this.#address.hostname}:${this.#address.port}: it is node ${frame.nodeId}`,
      );
    }
    this.#peerConfirmed = true;
    this.#delayMs = 0;
    context.stats.connectionsOpened += 1;
    context.onPeerStatus(this.peer, true);
  }

  #onClose(): void {
    this.#stream = null;
    this.#writable = false;
    this.#reportDown();
    if (this.#state !== "closed" && !this.#context.isClosed()) this.#retryLater();
  }

  #reportDown(): void {
    if (!this.#peerConfirmed) return;
    this.#peerConfirmed = false;
    this.#context.onPeerStatus(this.peer, false);
  }

  #retryLater(): void {
    if (this.#state === "closed" || this.#context.isClosed()) return;
    this.#state = "waiting";
    this.#delayMs = nextReconnectDelayMs(this.#delayMs, this.#context.limits.backoff);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#connect();
    }, jitteredDelayMs(this.#delayMs, Math.random()));
  }
}
