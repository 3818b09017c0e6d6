/**
 * dengine: an embeddable, strongly consistent coordination engine in pure TypeScript. A Raft core, an
 * etcd-style MVCC key-value store with revisions, watches, leases, transactions, locks and elections, running
 * inside your process or as a small cluster.
 *
 * This entry point is the composition root: it provides the running runtime's default storage, transport,
 * clock and randomness to the engine, then exports the engine's public API. The pure Raft core is at
 * `@dengine/core/raft` and the pure state machine at `@dengine/core/kv`.
 *
 * @example
 * ```ts
 * import { Engine } from "./mod.ts";
 * const engine = await Engine.start({ storage: "memory" });
 * await engine.ready();
 * await engine.client.put("config/db", "postgres://db.internal/app");
 * const kv = await engine.client.get("config/db");
 * console.log(new TextDecoder().decode(kv!.value)); // "postgres://db.internal/app"
 * await engine.stop();
 * ```
 *
 * @module
 */

import { runtimeEnginePorts } from "./adapters/default_ports.ts";
import { provideDefaultEnginePorts } from "./src/engine/ports.ts";

provideDefaultEnginePorts(runtimeEnginePorts());

export * from "./src/engine/mod.ts";
