/**
 * A child process for the multi-process tests: starts one engine over the runtime's native TCP transport
 * and answers JSON-line commands on stdin (`put`, `get`, `status`) with JSON lines on stdout.
 *
 * Usage: `<runtime> tests/engine/_tcp_node.ts <name> <dataDir> <peers as JSON>`.
 *
 * @module
 */

import { createInterface } from "node:readline";
import process from "node:process";
import { Engine, toText } from "../../mod.ts";

const [name, dataDir, peersJson] = process.argv.slice(2);
const engine = await Engine.start({
  name: name!,
  dataDir: dataDir!,
  peers: JSON.parse(peersJson!) as Record<string, string>,
  tickIntervalMs: 20,
  electionTimeoutTicks: 10,
  heartbeatIntervalTicks: 2,
  walSegmentSizeBytes: 1024 * 1024,
});
const reply = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);
reply({ started: true });

interface Command {
  id: number;
  op: "put" | "get" | "status";
  key?: string;
  value?: string;
  consistency?: "linearizable" | "serializable";
}

async function run(command: Command): Promise<unknown> {
  switch (command.op) {
    case "put":
      return (await engine.client.put(command.key!, command.value!)).header.revision;
    case "get": {
      const kv = await engine.client.get(command.key!, {
        consistency: command.consistency ?? "linearizable",
      });
      return kv === null ? null : toText(kv.value);
    }
    case "status":
      return engine.status();
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === "") continue;
  const command = JSON.parse(line) as Command;
  run(command).then(
    (value) => reply({ id: command.id, ok: true, value }),
    (error: unknown) => reply({ id: command.id, ok: false, error: String(error) }),
  );
}
await engine.stop();
process.exit(0);
