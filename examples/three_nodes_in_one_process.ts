/**
 * Three nodes of one cluster in one process, over the in-memory transport: writes through any member,
 * a linearizable read on a follower, and a failover when the leader stops.
 *
 * Run: `deno run -A examples/three_nodes_in_one_process.ts` or `bun run examples/three_nodes_in_one_process.ts`.
 *
 * @module
 */

import { Engine, toText } from "../mod.ts";

const peers = { n1: "memory:2380", n2: "memory:2480", n3: "memory:2580" };
const engines = new Map<string, Engine>();
for (const name of Object.keys(peers)) {
  engines.set(
    name,
    await Engine.start({ name, peers, transport: "memory", storage: "memory", tickIntervalMs: 20 }),
  );
}
try {
  await Promise.all([...engines.values()].map((engine) => engine.ready()));
  const leaderName = [...engines.values()][0]!.status().leaderName;
  console.log("leader:", leaderName);

  const follower = [...engines.entries()].find(([name]) => name !== leaderName)![1];
  await follower.client.put("greeting", "written through a follower");
  const read = await follower.client.get("greeting"); // linearizable by default
  console.log("read on", follower.status().name, "=", toText(read!.value));

  const leadership = follower.watchLeader();
  await leadership.next(); // the current leader
  await engines.get(leaderName)!.stop();
  engines.delete(leaderName);
  for await (const leader of leadership) {
    // A follower first sees "no leader" (0) while the survivors elect a new one.
    if (leader.leaderId === 0 || leader.leaderName === leaderName) continue;
    console.log("old leader stopped; new leader:", leader.leaderName, "in term", leader.term);
    break;
  }

  await follower.client.put("after-failover", "still writable");
  console.log("after failover =", toText((await follower.client.get("after-failover"))!.value));
  console.log("members:", follower.status().members.map((member) => member.name).join(", "));
} finally {
  await Promise.all([...engines.values()].map((engine) => engine.stop()));
}
