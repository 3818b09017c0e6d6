/**
 * The dengine command line: `node` starts one node with its HTTP gateway, `cluster` a local 3-node cluster.
 * Runs the same under `deno run -A main.ts ...` and `bun run main.ts ...`; see `main.ts help`.
 *
 * @module
 */

import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseCommandLine, USAGE, UsageError } from "./adapters/cli/args.ts";
import { runCluster } from "./adapters/cli/cluster_command.ts";
import { createLogger } from "./adapters/cli/log.ts";
import { type ClientServer, runNode } from "./adapters/cli/node_command.ts";
import { serveHttp } from "./adapters/runtime/serve.ts";
import type { Engine } from "./mod.ts";
import { createGateway, EngineBackend } from "./src/gateway/mod.ts";

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

async function serveClient(engine: Engine, hostname: string, port: number): Promise<ClientServer> {
  const name = engine.status().name;
  const clientUrls = { [name]: [`http://${hostname}:${port}`] };
  const app = createGateway(new EngineBackend(engine, { clientUrls }));
  return await serveHttp({ fetch: app.fetch, hostname, port });
}

async function main(argv: string[]): Promise<number> {
  const command = parseCommandLine(argv);
  if (command.command === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command.command === "cluster") {
    const mainScript = fileURLToPath(import.meta.url);
    return await runCluster(command, { execPath: process.execPath, isBun, mainScript });
  }
  const format = command.log === "auto" ? (process.stderr.isTTY ? "pretty" : "json") : command.log;
  const logger = createLogger({
    format,
    name: command.name,
    write: (line) => process.stderr.write(`${line}\n`),
  });
  try {
    await runNode(command, { serveClient, logger, isBun });
    return 0;
  } catch (error) {
    logger.log("error", "node failed", { error: error instanceof Error ? error.message : String(error) });
    return 1;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`error: ${error.message}\n\n${USAGE}`);
  process.exitCode = 2;
}
