/**
 * A distributed lock with a fencing token: workers take turns on a shared resource; each write to the
 * resource is guarded by the holder's token, so a holder that lost the lock cannot overwrite a newer one.
 *
 * Run: `deno run -A examples/distributed_lock.ts` or `bun run examples/distributed_lock.ts`.
 *
 * @module
 */

import { Engine, toText } from "../mod.ts";

await using engine = await Engine.start({ storage: "memory", tickIntervalMs: 20 });
await engine.ready();
const { client } = engine;

async function work(worker: string): Promise<void> {
  await using lock = await client.lock("report");
  // The write succeeds only while `lock` still holds: the holder key keeps the token as create revision.
  const result = await client.txn()
    .when({ key: lock.key, target: "create", result: "equal", number: lock.fencingToken })
    .then({ type: "put", key: "report/last-writer", value: `${worker} (token ${lock.fencingToken})` })
    .commit();
  console.log(
    `${worker} holds the lock with token ${lock.fencingToken}; fenced write ok: ${result.succeeded}`,
  );
}

await Promise.all(["worker-a", "worker-b", "worker-c"].map(work));
const last = await client.get("report/last-writer");
console.log("last writer:", toText(last!.value));
