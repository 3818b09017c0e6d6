/**
 * A connection a node accepted: it waits for the dialer's hello, answers it, then delivers the dialer's
 * frames to the engine. Anything malformed closes it.
 *
 * @module
 */

import type { InboundFrame } from "../../src/ports/transport.ts";
import type { NodeId } from "../../src/raft/types.ts";
import {
  ByteWriter,
  decodeFrame,
  encodeFrame,
  FrameDecoder,
  FrameError,
  type FrameType,
  HELLO_FRAME_BYTES_MAX,
  type HelloFrame,
  PROTOCOL_VERSION,
} from "../../src/transport/codec.ts";
import { NONE } from "../../src/raft/types.ts";
import type { LinkContext } from "./link_context.ts";
import type { ByteStream, StreamEvents } from "./stream_driver.ts";

/**
 * One accepted connection.
 *
 * @example
 * ```ts ignore
 * const connection = new InboundConnection(context, stream, (peer, c) => registry.set(peer, c));
 * const events = connection.events;
 * ```
 */
export class InboundConnection {
  readonly events: StreamEvents;
  /** Resolves once the stream has closed. */
  readonly closed: Promise<void>;
  readonly #context: LinkContext;
  readonly #stream: ByteStream;
  readonly #decoder: FrameDecoder;
  readonly #onIdentified: (peer: NodeId, connection: InboundConnection) => void;
  #peer: NodeId = NONE;
  #timer: ReturnType<typeof setTimeout> | null;

  /**
   * @param context The transport's shared state.
   * @param stream The accepted stream.
   * @param onIdentified Called once the dialer proved its node id (the transport keeps one connection per peer).
   * @param onClosed Called when the stream closed.
   */
  constructor(
    context: LinkContext,
    stream: ByteStream,
    onIdentified: (peer: NodeId, connection: InboundConnection) => void,
    onClosed: (connection: InboundConnection) => void,
  ) {
    this.#context = context;
    this.#stream = stream;
    this.#onIdentified = onIdentified;
    this.#decoder = new FrameDecoder((type, payload) => this.#onFrame(type, payload), HELLO_FRAME_BYTES_MAX);
    this.#timer = setTimeout(() => this.#reject(), context.limits.handshakeTimeoutMs);
    let resolveClosed = (): void => {};
    this.closed = new Promise<void>((resolve) => resolveClosed = resolve);
    this.events = {
      onData: (chunk) => this.#onData(chunk),
      onDrain: () => {},
      onClose: () => {
        this.#clearTimer();
        resolveClosed();
        onClosed(this);
      },
    };
  }

  /** The dialer's node id, or NONE before its hello. */
  get peer(): NodeId {
    return this.#peer;
  }

  /** Closes the connection (idempotent). */
  close(): void {
    this.#clearTimer();
    this.#stream.close();
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #reject(): void {
    this.#context.stats.connectionsRejected += 1;
    this.close();
  }

  #onData(chunk: Uint8Array): void {
    if (this.#context.isClosed()) return;
    this.#context.stats.bytesReceived += chunk.length;
    try {
      this.#decoder.push(chunk);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.#reject();
    }
  }

  #onFrame(type: FrameType, payload: Uint8Array): void {
    if (this.#context.isClosed()) return;
    const frame = decodeFrame(type, payload);
    if (frame.kind === "hello") return this.#onHello(frame);
    if (this.#peer === NONE) throw new FrameError(`Cannot accept a ${frame.kind} frame before the hello`);
    if (frame.kind === "raft") {
      const message = frame.message;
      if (message.from !== this.#peer || message.to !== this.#context.nodeId) {
        throw new FrameError(
          `Cannot accept message ${message.from}->${message.to} on the connection from node ${this.#peer}`,
        );
      }
    }
    this.#context.stats.framesReceived += 1;
    this.#context.onFrame(this.#peer, frame as InboundFrame);
  }

  #onHello(hello: HelloFrame): void {
    const context = this.#context;
    if (this.#peer !== NONE) throw new FrameError(`Cannot accept a second hello from node ${this.#peer}`);
    if (hello.version !== PROTOCOL_VERSION) {
      throw new FrameError(
        `Cannot accept node ${hello.nodeId}: protocol v${hello.version}, mine is v${PROTOCOL_VERSION}`,
      );
    }
    if (hello.clusterId !== context.clusterId) {
      throw new FrameError(
        `Cannot accept node ${hello.nodeId}: cluster "${hello.clusterId}" is not "${context.clusterId}"`,
      );
    }
    if (hello.to !== context.nodeId || hello.nodeId === NONE || hello.nodeId === context.nodeId) {
      throw new FrameError(
        `Cannot accept node ${hello.nodeId}: it dialled node ${hello.to}, I am ${context.nodeId}`,
      );
    }
    this.#clearTimer();
    this.#peer = hello.nodeId;
    this.#decoder.frameBytesMax = context.limits.queue.frameBytesMax;
    const reply = new ByteWriter(64);
    encodeFrame(reply, {
      kind: "hello",
      version: PROTOCOL_VERSION,
      nodeId: context.nodeId,
      to: hello.nodeId,
      clusterId: context.clusterId,
    });
    this.#stream.write(reply.take());
    context.stats.connectionsOpened += 1;
    this.#onIdentified(this.#peer, this);
  }
}
