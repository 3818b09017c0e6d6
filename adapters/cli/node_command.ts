/**
 * `main.ts node`: starts one engine node with its client HTTP server, logs what it does, and stops
 * gracefully on SIGINT/SIGTERM.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { Engine, type EngineOptions, type EngineStorageKind } from "../../mod.ts";
import type { NodeCommand } from "./args.ts";
import type { Logger } from "./log.ts";

/** A running client server (the HTTP gateway). */
export interface ClientServer {
  /** The URL clients use. */
  url: string;
  /** Stops accepting connections and closes open ones. */
  close(): Promise<void>;
}

/** Starts the client server of an engine on a host and port. */
export type ServeClient = (engine: Engine, hostname: string, port: number) => Promise<ClientServer>;

/**
 * Maps the CLI's storage names to the engine's: `sqlite` is the running runtime's SQLite adapter.
 *
 * @param storage The `--storage` flag.
 * @param isBun Whether the runtime is Bun.
 * @returns The engine's storage kind.
 * @example
 * ```ts
 * import { engineStorageKind } from "./node_command.ts";
 * console.log(engineStorageKind("sqlite", true)); // "bun_sqlite"
 * ```
 */
export function engineStorageKind(storage: NodeCommand["storage"], isBun: boolean): EngineStorageKind {
  if (storage === "sqlite") return isBun ? "bun_sqlite" : "node_sqlite";
  return storage;
}

/**
 * Builds the engine options of a node command.
 *
 * @param command The parsed command.
 * @param isBun Whether the runtime is Bun.
 * @returns Options for {@link Engine.start}.
 * @example
 * ```ts
 * import { engineOptionsOf } from "./node_command.ts";
 * const options = engineOptionsOf({
 *   command: "node", name: "n1", dataDir: "/tmp/n1", listenClient: "127.0.0.1:2379", listenPeer: undefined,
 *   initialCluster: {}, join: false, storage: "memory", tickIntervalMs: 100, log: "json", peerTlsFiles: undefined,
 * }, false);
 * console.log(options.storage); // "memory"
 * ```
 */
export function engineOptionsOf(command: NodeCommand, isBun: boolean): EngineOptions {
  const options: EngineOptions = {
    name: command.name,
    dataDir: command.dataDir,
    storage: engineStorageKind(command.storage, isBun),
    tickIntervalMs: command.tickIntervalMs,
    join: command.join,
  };
  if (Object.keys(command.initialCluster).length > 0) options.peers = command.initialCluster;
  if (command.listenPeer !== undefined) options.listenPeer = command.listenPeer;
  if (command.peerTlsFiles !== undefined) {
    const read = (flag: string, path: string) => {
      try {
        return readFileSync(path, "utf8");
      } catch (error) {
        throw new Error(
          `Cannot read the file of --${flag} "${path}": ${error instanceof Error ? error.message : error}`,
        );
      }
    };
    options.peerTls = {
      cert: read("peer-cert-file", command.peerTlsFiles.cert),
      key: read("peer-key-file", command.peerTlsFiles.key),
      ca: read("peer-trusted-ca-file", command.peerTlsFiles.ca),
    };
    options.transport = "node_net";
  }
  return options;
}

/**
 * Runs a node until SIGINT or SIGTERM.
 *
 * @param command The parsed command.
 * @param deps The client server and the logger.
 * @returns Resolves once the node has stopped.
 * @throws When the engine or its server cannot start (a bad option, a port in use, corrupt storage).
 * @example
 * ```ts ignore
 * import { runNode } from "./node_command.ts";
 * await runNode(command, { serveClient, logger });
 * ```
 */
export async function runNode(
  command: NodeCommand,
  deps: { serveClient: ServeClient; logger: Logger; isBun: boolean },
): Promise<void> {
  const { logger } = deps;
  const engine = await Engine.start(engineOptionsOf(command, deps.isBun));
  const [hostname, portText] = splitHostPort(command.listenClient);
  let server: ClientServer;
  try {
    server = await deps.serveClient(engine, hostname, Number(portText));
  } catch (error) {
    await engine.stop();
    throw error;
  }
  logger.log("info", "node started", {
    client: server.url,
    peer: command.listenPeer ?? null,
    dataDir: command.dataDir,
    storage: command.storage,
    members: Object.keys(command.initialCluster).length || 1,
  });
  const watching = new AbortController();
  void logLeaderChanges(engine, logger, watching.signal);
  await waitForSignal(logger);
  watching.abort();
  logger.log("info", "stopping: no new requests, finishing in-flight work");
  await server.close();
  await engine.stop();
  logger.log("info", "node stopped");
}

async function logLeaderChanges(engine: Engine, logger: Logger, signal: AbortSignal): Promise<void> {
  try {
    for await (const leader of engine.watchLeader(signal)) {
      logger.log("info", "leader changed", { ...leader });
    }
  } catch (error) {
    if (!signal.aborted) logger.log("warn", "leader watch ended", { error: String(error) });
  }
}

function waitForSignal(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: string) => {
      logger.log("info", "signal received", { signal });
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

function splitHostPort(address: string): [string, string] {
  const colon = address.lastIndexOf(":");
  return [address.slice(0, colon), address.slice(colon + 1)];
}
