/**
 * A peer process of `bench/engine.ts`: one engine over the native TCP transport with fsync on, stopped
 * when its stdin closes.
 *
 * Usage: `<runtime> bench/_engine_peer.ts <name> <dataDir> <peers as JSON>`.
 *
 * @module
 */

import process from "node:process";
import { Engine } from "../mod.ts";

const [name, dataDir, peersJson] = process.argv.slice(2);
const engine = await Engine.start({
  name: name!,
  dataDir: dataDir!,
  peers: JSON.parse(peersJson!) as Record<string, string>,
  tickIntervalMs: 50,
});
process.stdout.write("started\n");
process.stdin.on("data", () => {});
process.stdin.on("end", async () => {
  await engine.stop();
  process.exit(0);
});
