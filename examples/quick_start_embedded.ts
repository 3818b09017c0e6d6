/**
 * Quick start: one embedded node, zero configuration beyond a data directory.
 *
 * Run: `deno run -A examples/quick_start_embedded.ts` or `bun run examples/quick_start_embedded.ts`.
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine, toText } from "../mod.ts";

const dataDir = mkdtempSync(join(tmpdir(), "dengine-quick-start-"));
try {
  await using engine = await Engine.start({ dataDir });
  await engine.ready();
  const { client } = engine;

  // Keys and values: strings or bytes.
  await client.put("config/greeting", "hello");
  await client.put("config/color", "blue");
  const greeting = await client.get("config/greeting");
  console.log("greeting =", toText(greeting!.value));

  // A range over a prefix.
  const config = await client.range("config/", { prefix: true });
  console.log("config keys =", config.kvs.map((kv) => toText(kv.key)).join(", "));

  // A transaction: compare-and-swap.
  const swap = await client.txn()
    .when({ key: "config/color", target: "value", result: "equal", value: "blue" })
    .then({ type: "put", key: "config/color", value: "green" })
    .commit();
  console.log("swapped =", swap.succeeded);

  // A watch, cancelled with an AbortSignal once it has seen one change.
  const controller = new AbortController();
  const watching = (async () => {
    for await (const response of client.watch("config/", { prefix: true, signal: controller.signal })) {
      for (const event of response.events) console.log("watch:", event.type, toText(event.kv.key));
      controller.abort();
    }
  })();
  await client.put("config/size", "large");
  await watching;

  // A lease: the key disappears with it.
  const lease = await client.grantLease(30);
  await client.put("service/web-1", "10.0.0.1:8080", { lease: lease.id });
  await client.revokeLease(lease.id);
  console.log("service after revoke =", await client.get("service/web-1"));

  // A lock with its fencing token, released at the end of the block.
  {
    await using lock = await client.lock("nightly-job");
    console.log("lock held, fencing token", lock.fencingToken);
  }
  console.log("status:", engine.status().role, "at revision", engine.status().revision);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
