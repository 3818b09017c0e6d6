/**
 * Service discovery with leases and a watch: instances register under `services/web/` with a lease kept
 * alive in the background; a watcher sees them come and go; an instance that stops renewing disappears by
 * itself once its lease expires.
 *
 * Run: `deno run -A examples/service_discovery.ts` or `bun run examples/service_discovery.ts`.
 *
 * @module
 */

import { Engine, toText } from "../mod.ts";

await using engine = await Engine.start({ storage: "memory", tickIntervalMs: 20 });
await engine.ready();
const { client } = engine;

const controller = new AbortController();
const seen: string[] = [];
const watcher = (async () => {
  for await (const response of client.watch("services/web/", { prefix: true, signal: controller.signal })) {
    for (const event of response.events) {
      const line = `${event.type === "put" ? "up  " : "down"} ${toText(event.kv.key)}`;
      seen.push(line);
      console.log(line);
      if (seen.length === 3) controller.abort();
    }
  }
})();

async function register(instance: string, address: string) {
  const lease = await client.grantLease(1); // raised to the minimum TTL the cluster allows
  await client.put(`services/web/${instance}`, address, { lease: lease.id });
  return client.keepAlive(lease.id);
}

const first = await register("web-1", "10.0.0.1:8080");
const second = await register("web-2", "10.0.0.2:8080");
const instances = await client.range("services/web/", { prefix: true });
console.log("registered:", instances.kvs.map((kv) => toText(kv.value)).join(", "));

// web-2 crashes: it stops renewing, and the leader expires its lease.
await second.stop();
await watcher;
await first.stop();
console.log(
  "still registered:",
  (await client.range("services/web/", { prefix: true })).kvs.map((kv) => toText(kv.key)).join(", "),
);
