/**
 * The small contract each runtime's sockets implement, so one {@link StreamTransport} core (framing,
 * handshake, queues, backoff) serves node:net, Deno, Bun and the in-memory network alike.
 *
 * @module
 */

import type { PeerAddress } from "../../src/ports/transport.ts";

/** What a byte stream reports. Called from the runtime's event loop, never re-entrantly from `write`. */
export interface StreamEvents {
  /** Bytes arrived. The chunk is only valid during the call (a driver may reuse its read buffer). */
  onData(chunk: Uint8Array): void;
  /** Everything written so far has been handed to the OS: the writer may write again. */
  onDrain(): void;
  /** The stream is closed (by either side, or an error); called once, and nothing follows it. */
  onClose(): void;
}

/** One connection, as the core uses it. */
export interface ByteStream {
  /**
   * Writes bytes after those written before. The driver keeps the array until it is written, so the caller
   * must not change it afterwards.
   *
   * @returns `true` when more may be written now; `false` when the caller should wait for `onDrain`.
   */
  write(bytes: Uint8Array): boolean;
  /** Closes at once (unwritten bytes are dropped); idempotent. `onClose` follows, asynchronously. */
  close(): void;
}

/** A bound listener. */
export interface StreamListener {
  readonly address: PeerAddress;
  /** Stops accepting; connections already accepted are the core's to close. */
  close(): Promise<void>;
}

/** The runtime's sockets. */
export interface StreamDriver {
  /**
   * Listens for connections.
   *
   * @param address Where to bind (port 0: ephemeral).
   * @param accept Called for each connection with its stream; returns the events to deliver to.
   * @returns The bound listener.
   */
  listen(address: PeerAddress, accept: (stream: ByteStream) => StreamEvents): Promise<StreamListener>;

  /**
   * Opens a connection. `events` start only after the promise resolves; a rejected connect never calls them.
   *
   * @param address The peer's address.
   * @param events Where to deliver the stream's events.
   * @returns The stream, once connected (after the TLS handshake when TLS is on).
   */
  connect(address: PeerAddress, events: StreamEvents): Promise<ByteStream>;
}
