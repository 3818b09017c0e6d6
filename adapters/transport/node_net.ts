/**
 * The portable transport: `node:net` (and `node:tls` for mutually authenticated TLS), which Deno, Bun and
 * Node all provide.
 *
 * @module
 */

import * as net from "node:net";
import * as tls from "node:tls";
import type { PeerAddress } from "../../src/ports/transport.ts";
import { HANDSHAKE_TIMEOUT_MS } from "./link_context.ts";
import { StreamTransport, type TransportConfig } from "./stream_transport.ts";
import type { ByteStream, StreamDriver, StreamEvents, StreamListener } from "./stream_driver.ts";

/** How long a dial may take (TCP plus TLS handshake) before it counts as failed and backs off. */
export const CONNECT_TIMEOUT_MS = 5000;

/**
 * Mutual TLS: each node presents `cert` and accepts only peers whose certificate `ca` signed. The peer's
 * certificate must name the address it is dialled at (an IP SAN for an IP address).
 */
export interface MutualTlsOptions {
  /** PEM private key of this node. */
  key: string;
  /** PEM certificate of this node (its SANs cover the address peers dial). */
  cert: string;
  /** PEM certificate(s) of the authority that signs every member. */
  ca: string;
}

/** Options of the node:net transport. */
export interface NodeNetTransportConfig extends TransportConfig {
  /** Turns on TLS with mutual authentication. */
  tls?: MutualTlsOptions;
}

function streamOf(socket: net.Socket): ByteStream {
  return {
    write: (bytes) => socket.write(bytes),
    close: () => void socket.destroy(),
  };
}

function attach(socket: net.Socket, events: StreamEvents): void {
  socket.setNoDelay(true);
  socket.on("data", (chunk: Uint8Array) => events.onData(chunk));
  socket.on("drain", () => events.onDrain());
  socket.on("error", () => {}); // "close" follows every error; the core reconnects from there.
  socket.on("close", () => events.onClose());
}

/**
 * Sockets from `node:net` / `node:tls`.
 *
 * @example
 * ```ts ignore
 * const driver = new NodeNetDriver(undefined);
 * ```
 */
export class NodeNetDriver implements StreamDriver {
  readonly #tls: MutualTlsOptions | undefined;
  readonly #handshakeTimeoutMs: number;

  /**
   * @param tlsOptions Mutual TLS, or undefined for plain TCP.
   * @param handshakeTimeoutMs How long an accepted connection may take over its TLS handshake.
   */
  constructor(tlsOptions: MutualTlsOptions | undefined, handshakeTimeoutMs: number = HANDSHAKE_TIMEOUT_MS) {
    this.#tls = tlsOptions;
    this.#handshakeTimeoutMs = handshakeTimeoutMs;
  }

  /** @inheritdoc */
  listen(address: PeerAddress, accept: (stream: ByteStream) => StreamEvents): Promise<StreamListener> {
    const secured = new Set<string>();
    const onSocket = (socket: net.Socket): void => {
      secured.add(`${socket.remoteAddress}:${socket.remotePort}`);
      attach(socket, accept(streamOf(socket)));
    };
    const options = { noDelay: true };
    const server = this.#tls === undefined ? net.createServer(options, onSocket) : tls.createServer({
      ...options,
      key: this.#tls.key,
      cert: this.#tls.cert,
      ca: this.#tls.ca,
      requestCert: true,
      rejectUnauthorized: true,
    }, onSocket);
    server.on("tlsClientError", () => {}); // a stranger without a valid certificate: its socket is closed
    const sockets = this.#trackSockets(server, secured);
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(address.port, address.hostname, () => {
        server.off("error", reject);
        const bound = server.address() as net.AddressInfo;
        resolve({
          address: { hostname: address.hostname, port: bound.port },
          close: () => {
            const closed = new Promise<void>((done) => server.close(() => done()));
            // server.close() waits for open sockets; those still in their TLS handshake are ours to end.
            for (const socket of sockets) socket.destroy();
            return closed;
          },
        });
      });
    });
  }

  /**
   * Tracks every raw socket the server accepts, so closing the listener can end them, and ends those whose
   * TLS handshake does not finish in time (the core's hello timer only starts after it).
   */
  #trackSockets(server: net.Server, secured: Set<string>): Set<net.Socket> {
    const sockets = new Set<net.Socket>();
    server.on("connection", (raw: net.Socket) => {
      sockets.add(raw);
      const key = `${raw.remoteAddress}:${raw.remotePort}`;
      const timer = this.#tls === undefined ? null : setTimeout(() => {
        if (!secured.has(key)) raw.destroy();
      }, this.#handshakeTimeoutMs);
      raw.on("close", () => {
        if (timer !== null) clearTimeout(timer);
        secured.delete(key);
        sockets.delete(raw);
      });
    });
    return sockets;
  }

  /** @inheritdoc */
  connect(address: PeerAddress, events: StreamEvents): Promise<ByteStream> {
    return new Promise((resolve, reject) => {
      const socket = this.#tls === undefined
        ? net.connect({ host: address.hostname, port: address.port, noDelay: true })
        : tls.connect({ host: address.hostname, port: address.port, ...this.#tls });
      const timer = setTimeout(() => socket.destroy(new Error("connect timed out")), CONNECT_TIMEOUT_MS);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.once("error", fail);
      socket.once(this.#tls === undefined ? "connect" : "secureConnect", () => {
        clearTimeout(timer);
        socket.off("error", fail);
        attach(socket, events);
        resolve(streamOf(socket));
      });
    });
  }
}

/**
 * Creates an unstarted node:net transport.
 *
 * @param config Limits, and `tls` for mutual TLS.
 * @returns The transport.
 * @example
 * ```ts
 * import { createNodeNetTransport } from "./node_net.ts";
 * const transport = createNodeNetTransport({});
 * console.log(transport.kind); // "node_net"
 * ```
 */
export function createNodeNetTransport(config: NodeNetTransportConfig = {}): StreamTransport {
  return new StreamTransport("node_net", new NodeNetDriver(config.tls, config.handshakeTimeoutMs), config);
}
