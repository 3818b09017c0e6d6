/**
 * The runtime's default ports: the measured default storage, the native transport, `performance.now()` and
 * a generator seeded from `crypto.getRandomValues`. This is a composition-root file (it imports adapters),
 * used by the package entry `mod.ts`, the composition root.
 *
 * @module
 */

import { defaultStorageKind, openStorage } from "./storage/mod.ts";
import { createTransport } from "./transport/factory.ts";
import { SeededRandom } from "../src/util/random.ts";
import type { EnginePorts } from "../src/engine/ports.ts";

/**
 * Builds the default ports for the running runtime.
 *
 * @returns The ports.
 * @example
 * ```ts
 * import { runtimeEnginePorts } from "./default_ports.ts";
 * console.log(runtimeEnginePorts().clock.nowMs() >= 0); // true
 * ```
 */
export function runtimeEnginePorts(): EnginePorts {
  const seed = new Uint32Array(2);
  crypto.getRandomValues(seed);
  return {
    openStorage: (kind, dataDir, options) => {
      const resolved = kind === "default" ? defaultStorageKind() : kind;
      const file = options.walSegmentSizeBytes === undefined
        ? {}
        : { segmentSizeBytes: options.walSegmentSizeBytes };
      return openStorage(resolved, dataDir ?? "", { file });
    },
    createTransport: (kind, options) =>
      createTransport(kind, options?.tls === undefined ? {} : { tls: options.tls }),
    clock: { nowMs: () => performance.now() },
    random: new SeededRandom(seed[0]! * 0x20_0000 + (seed[1]! & 0x1f_ffff)),
  };
}
