/**
 * What the engine needs from the runtime, as factories over the ports of `src/ports.ts`: open storage,
 * create a transport, read the monotonic clock, draw randomness. The composition root provides the
 * defaults with {@link provideDefaultEnginePorts}; tests inject their own (a memory network, a fake disk).
 *
 * @module
 */

import type { LogStorage, SnapshotStorage } from "../ports/storage.ts";
import type { Transport } from "../ports/transport.ts";
import type { PeerTlsOptions } from "./options.ts";
import type { MonotonicClock } from "../ports/clock.ts";
import type { RandomSource } from "../util/random.ts";

/** The storage kinds an engine option may name ("default": the runtime's choice). */
export type EngineStorageKind = "default" | "file" | "memory" | "bun_sqlite" | "node_sqlite";
/** The transport kinds an engine option may name. */
export type EngineTransportKind = "native" | "memory" | "node_net" | "deno_tcp" | "bun_tcp";

/** The runtime services the engine is built on. */
export interface EnginePorts {
  /**
   * Opens (or creates) this node's log and snapshot store.
   *
   * @param kind The storage kind from the options.
   * @param dataDir The node's data directory (undefined for memory storage).
   * @param options Adapter tuning from the options.
   */
  openStorage(
    kind: EngineStorageKind,
    dataDir: string | undefined,
    options: { walSegmentSizeBytes?: number },
  ): Promise<{ log: LogStorage; snapshots: SnapshotStorage }>;
  /** @param kind The transport kind from the options. */
  createTransport(kind: EngineTransportKind, options?: { tls?: PeerTlsOptions }): Transport;
  clock: MonotonicClock;
  /** Seeds this node's randomness (election timeouts, client ids). */
  random: RandomSource;
}

let defaults: EnginePorts | null = null;

/**
 * Installs the runtime defaults (done once by the package entry point).
 *
 * @param ports The default ports.
 * @example
 * ```ts ignore
 * provideDefaultEnginePorts(runtimeEnginePorts());
 * ```
 */
export function provideDefaultEnginePorts(ports: EnginePorts): void {
  defaults = ports;
}

/**
 * The ports to start with: the defaults overridden field by field.
 *
 * @param overrides Ports given to `Engine.start`.
 * @returns Complete ports.
 * @throws {Error} When a port is neither given nor provided by default.
 * @example
 * ```ts ignore
 * const ports = resolveEnginePorts({ clock: fakeClock });
 * ```
 */
export function resolveEnginePorts(overrides: Partial<EnginePorts> = {}): EnginePorts {
  const merged = { ...defaults, ...overrides };
  for (const field of ["openStorage", "createTransport", "clock", "random"] as const) {
    if (merged[field] === undefined) {
      throw new Error(
        `Cannot start the engine: no "${field}" port; import Engine from the package entry point, which ` +
          "provides the runtime's defaults, or pass ports explicitly",
      );
    }
  }
  return merged as EnginePorts;
}
