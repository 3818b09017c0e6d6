/**
 * Picks a transport for the running runtime: the native sockets where they beat node:net (measured in
 * `bench/reports/transport.md`), node:net elsewhere and whenever TLS is asked for.
 *
 * @module
 */

import type { Transport } from "../../src/ports/transport.ts";
import { createBunTcpTransport } from "./bun_tcp.ts";
import { createDenoTcpTransport } from "./deno_tcp.ts";
import { MemoryNetwork } from "./memory.ts";
import { createNodeNetTransport, type NodeNetTransportConfig } from "./node_net.ts";

/** The transports there are; "native" means the fastest for the running runtime. */
export type TransportKind = "native" | "memory" | "node_net" | "deno_tcp" | "bun_tcp";

/** Options of {@link createTransport}. */
export interface CreateTransportConfig extends NodeNetTransportConfig {
  /** For "memory": the network to join (default: one shared by the whole process). */
  network?: MemoryNetwork;
}

let processNetwork: MemoryNetwork | null = null;

/**
 * The runtime this code runs on.
 *
 * @returns "deno", "bun" or "node".
 * @example
 * ```ts
 * import { currentRuntime } from "./factory.ts";
 * console.log(["deno", "bun", "node"].includes(currentRuntime())); // true
 * ```
 */
export function currentRuntime(): "deno" | "bun" | "node" {
  if ("Bun" in globalThis) return "bun";
  if ("Deno" in globalThis) return "deno";
  return "node";
}

/**
 * Creates an unstarted transport.
 *
 * @param kind Which one; "native" picks deno_tcp on Deno, bun_tcp on Bun, node_net on Node or with TLS.
 * @param config Limits, TLS (node_net only) and the memory network.
 * @returns The transport.
 * @throws {Error} When the kind cannot run here (deno_tcp off Deno, bun_tcp off Bun, TLS on a native kind).
 * @example
 * ```ts
 * import { createTransport } from "./factory.ts";
 * const transport = createTransport("native");
 * console.log(transport.kind);
 * ```
 */
export function createTransport(kind: TransportKind, config: CreateTransportConfig = {}): Transport {
  const runtime = currentRuntime();
  const resolved = kind !== "native"
    ? kind
    : config.tls !== undefined
    ? "node_net"
    : runtime === "deno"
    ? "deno_tcp"
    : runtime === "bun"
    ? "bun_tcp"
    : "node_net";
  if (config.tls !== undefined && resolved !== "node_net") {
    throw new Error(`Cannot create a ${resolved} transport with TLS: only node_net supports TLS`);
  }
  const { network, ...transportConfig } = config;
  switch (resolved) {
    case "memory":
      return (network ?? (processNetwork ??= new MemoryNetwork())).createTransport(transportConfig);
    case "node_net":
      return createNodeNetTransport(transportConfig);
    case "deno_tcp":
      if (runtime !== "deno") throw new Error(`Cannot create a deno_tcp transport on ${runtime}`);
      return createDenoTcpTransport(transportConfig);
    case "bun_tcp":
      if (runtime !== "bun") throw new Error(`Cannot create a bun_tcp transport on ${runtime}`);
      return createBunTcpTransport(transportConfig);
  }
}
