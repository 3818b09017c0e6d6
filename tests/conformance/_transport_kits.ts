// The transports the conformance suite runs against, each with what the suite needs to drive it: a factory,
// a listen address, and a way for a stranger to open a raw byte stream to a listener.
import * as net from "node:net";
import type { PeerAddress, Transport } from "../../src/ports/transport.ts";
import { createBunTcpTransport } from "../../adapters/transport/bun_tcp.ts";
import { createDenoTcpTransport } from "../../adapters/transport/deno_tcp.ts";
import { currentRuntime } from "../../adapters/transport/factory.ts";
import { MemoryNetwork } from "../../adapters/transport/memory.ts";
import { createNodeNetTransport, type MutualTlsOptions } from "../../adapters/transport/node_net.ts";
import type { TransportConfig } from "../../adapters/transport/stream_transport.ts";
import { clusterCertificates } from "./_transport_certs.ts";

/** A stranger's raw connection: write bytes, close, and learn when the other side closed it. */
export interface RawClient {
  write(bytes: Uint8Array): void;
  destroy(): void;
  /** Resolves when the connection closed (by either side). */
  closed: Promise<void>;
}

/** One transport under test. */
export interface TransportKit {
  name: string;
  /** Whether TLS wraps the stream (garbage then never reaches the frame decoder: TLS refuses it first). */
  tls: boolean;
  /** Why the kit cannot run here, or false. */
  skip: string | false;
  /** Prepares what the kit needs (certificates); called by every test first. */
  ready(): Promise<void>;
  create(config?: TransportConfig): Transport;
  listen: PeerAddress;
  rawConnect(address: PeerAddress): Promise<RawClient>;
}

const LOOPBACK: PeerAddress = { hostname: "127.0.0.1", port: 0 };

function tcpRawConnect(address: PeerAddress): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address.hostname, port: address.port });
    const closed = new Promise<void>((done) => socket.on("close", () => done()));
    socket.on("error", () => {});
    socket.on("data", () => {}); // a paused socket would never read the other side's close
    socket.once(
      "connect",
      () =>
        resolve({ write: (bytes) => void socket.write(bytes), destroy: () => void socket.destroy(), closed }),
    );
    socket.once("error", reject);
  });
}

function memoryKit(): TransportKit {
  const network = new MemoryNetwork();
  return {
    name: "memory",
    tls: false,
    skip: false,
    ready: () => Promise.resolve(),
    create: (config = {}) => network.createTransport(config),
    listen: { hostname: "memory", port: 0 },
    rawConnect: async (address) => {
      let markClosed = (): void => {};
      const closed = new Promise<void>((done) => markClosed = done);
      const stream = await network.connectRaw(address, {
        onData: () => {},
        onDrain: () => {},
        onClose: () => markClosed(),
      });
      return { write: (bytes) => void stream.write(bytes), destroy: () => stream.close(), closed };
    },
  };
}

function tlsKit(): TransportKit {
  let tls: MutualTlsOptions | null = null;
  const certificates = clusterCertificates;
  return {
    name: "node_net with mutual TLS",
    tls: true,
    skip: certificates.skip,
    ready: async () => {
      tls ??= await certificates.load();
    },
    create: (config = {}) => createNodeNetTransport({ ...config, tls: tls! }),
    listen: LOOPBACK,
    rawConnect: tcpRawConnect,
  };
}

/**
 * Every kit, with the runtime-specific ones skipped where they cannot run.
 *
 * @returns The kits.
 */
export function transportKits(): TransportKit[] {
  const runtime = currentRuntime();
  const socketKit = (name: string, skip: string | false, create: TransportKit["create"]): TransportKit => ({
    name,
    tls: false,
    skip,
    ready: () => Promise.resolve(),
    create,
    listen: LOOPBACK,
    rawConnect: tcpRawConnect,
  });
  return [
    memoryKit(),
    socketKit("node_net", false, (config = {}) => createNodeNetTransport(config)),
    socketKit(
      "deno_tcp",
      runtime === "deno" ? false : "Deno.listen exists only on Deno",
      (config = {}) => createDenoTcpTransport(config),
    ),
    socketKit(
      "bun_tcp",
      runtime === "bun" ? false : "Bun.listen exists only on Bun",
      (config = {}) => createBunTcpTransport(config),
    ),
    tlsKit(),
  ];
}
