/**
 * The in-process transport: the same core as the socket transports (framing, handshake, queues, reconnects)
 * over byte pipes in memory, so an in-process cluster behaves like a real one. A {@link MemoryNetwork} joins
 * the transports and offers fault hooks for tests: partitions and a frame filter.
 *
 * @module
 */

import type { InboundFrame, PeerAddress } from "../../src/ports/transport.ts";
import type { NodeId } from "../../src/raft/types.ts";
import { StreamTransport, type TransportConfig } from "./stream_transport.ts";
import type { ByteStream, StreamDriver, StreamEvents, StreamListener } from "./stream_driver.ts";

/** The hostname of every memory address. */
export const MEMORY_HOSTNAME = "memory";

/** The first port handed out for listen port 0. */
const MEMORY_EPHEMERAL_PORT_MIN = 40_000;

type Accept = (stream: ByteStream) => StreamEvents;

/** One direction-agnostic pipe end: writes land in the other end's events, a turn later. */
class PipeEnd implements ByteStream {
  peer: PipeEnd | null = null;
  events: StreamEvents | null = null;
  closed = false;
  readonly pipe: Pipe;

  constructor(pipe: Pipe) {
    this.pipe = pipe;
  }

  write(bytes: Uint8Array): boolean {
    const target = this.peer!;
    if (this.closed || target.closed) return true;
    // Copied, like a kernel buffer would: the writer's array is not shared with the reader.
    const copy = bytes.slice();
    queueMicrotask(() => {
      if (!target.closed) target.events?.onData(copy);
    });
    return true;
  }

  close(): void {
    this.pipe.close();
  }
}

/** A connection between a dialer port and a listener port. */
class Pipe {
  readonly dialer = new PipeEnd(this);
  readonly acceptor = new PipeEnd(this);
  readonly ports: [number, number];
  readonly #onGone: (pipe: Pipe) => void;

  constructor(dialerPort: number, listenerPort: number, onGone: (pipe: Pipe) => void) {
    this.dialer.peer = this.acceptor;
    this.acceptor.peer = this.dialer;
    this.ports = [dialerPort, listenerPort];
    this.#onGone = onGone;
  }

  close(): void {
    for (const end of [this.dialer, this.acceptor]) {
      if (end.closed) continue;
      end.closed = true;
      queueMicrotask(() => end.events?.onClose());
    }
    this.#onGone(this);
  }
}

/**
 * The in-memory "network" the memory transports of one process share.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from "./memory.ts";
 * const network = new MemoryNetwork();
 * const transport = network.createTransport();
 * console.log(transport.kind); // "memory"
 * ```
 */
export class MemoryNetwork {
  readonly #listeners = new Map<number, Accept>();
  readonly #pipes = new Set<Pipe>();
  readonly #cut = new Set<string>();
  #nextPort = MEMORY_EPHEMERAL_PORT_MIN;
  #filter: ((from: NodeId, to: NodeId, frame: InboundFrame) => boolean) | null = null;

  /**
   * Creates an unstarted transport on this network.
   *
   * @param config Limits; `frameFilter` is replaced by the network's {@link MemoryNetwork.setFilter}.
   * @returns The transport.
   */
  createTransport(config: TransportConfig = {}): StreamTransport {
    return new StreamTransport("memory", this.driver(), {
      ...config,
      frameFilter: (from, to, frame) => this.#filter === null || this.#filter(from, to, frame),
    });
  }

  /**
   * Drops frames at `send` for which `filter` returns false (null: deliver everything).
   *
   * @param filter Decides per frame, from the sender's id, the receiver's id and the frame.
   */
  setFilter(filter: ((from: NodeId, to: NodeId, frame: InboundFrame) => boolean) | null): void {
    this.#filter = filter;
  }

  /**
   * Cuts the link between two listen ports in both directions: open pipes close, new dials are refused.
   *
   * @param portA One transport's listen port.
   * @param portB The other's.
   */
  partition(portA: number, portB: number): void {
    this.#cut.add(linkKey(portA, portB));
    for (const pipe of [...this.#pipes]) {
      if (linkKey(pipe.ports[0], pipe.ports[1]) === linkKey(portA, portB)) pipe.close();
    }
  }

  /** Restores every cut link. */
  heal(): void {
    this.#cut.clear();
  }

  /**
   * Opens a raw pipe to a listener, as a test's stranger would (no handshake sent).
   *
   * @param address The listener's address.
   * @param events Where the pipe's events go.
   * @returns The dialer's end.
   */
  connectRaw(address: PeerAddress, events: StreamEvents): Promise<ByteStream> {
    return this.#dial(0, address, events);
  }

  /**
   * A fresh driver on this network (one per transport: it remembers its own listen port for partitions).
   * Tests wrap it to observe writes.
   *
   * @returns The driver.
   */
  driver(): StreamDriver {
    let ownPort = 0;
    return {
      listen: (address, accept) => {
        const port = address.port === 0 ? this.#nextPort++ : address.port;
        if (this.#listeners.has(port)) {
          return Promise.reject(new Error(`Cannot listen on memory:${port}: in use`));
        }
        this.#listeners.set(port, accept);
        ownPort = port;
        const listener: StreamListener = {
          address: { hostname: MEMORY_HOSTNAME, port },
          close: () => {
            if (this.#listeners.get(port) === accept) this.#listeners.delete(port);
            return Promise.resolve();
          },
        };
        return Promise.resolve(listener);
      },
      connect: (address, events) => this.#dial(ownPort, address, events),
    };
  }

  #dial(fromPort: number, address: PeerAddress, events: StreamEvents): Promise<ByteStream> {
    const accept = this.#listeners.get(address.port);
    if (
      address.hostname !== MEMORY_HOSTNAME || accept === undefined ||
      this.#cut.has(linkKey(fromPort, address.port))
    ) {
      return Promise.reject(new Error(`Cannot connect to ${address.hostname}:${address.port}: refused`));
    }
    const pipe = new Pipe(fromPort, address.port, (gone) => this.#pipes.delete(gone));
    this.#pipes.add(pipe);
    pipe.acceptor.events = accept(pipe.acceptor);
    pipe.dialer.events = events;
    return Promise.resolve(pipe.dialer);
  }
}

function linkKey(portA: number, portB: number): string {
  return portA < portB ? `${portA}-${portB}` : `${portB}-${portA}`;
}
