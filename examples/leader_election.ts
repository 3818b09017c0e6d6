/**
 * Leader election among workers: each campaigns; one leads, the others wait; an observer follows the
 * leader's announcements; when the leader resigns, the next campaigner takes over.
 *
 * Run: `deno run -A examples/leader_election.ts` or `bun run examples/leader_election.ts`.
 *
 * @module
 */

import { Engine, toText } from "../mod.ts";

await using engine = await Engine.start({ storage: "memory", tickIntervalMs: 20 });
await engine.ready();
const election = engine.client.election("scheduler");

const controller = new AbortController();
const announcements: string[] = [];
const observer = (async () => {
  for await (const leader of election.observe(controller.signal)) {
    announcements.push(toText(leader.value));
    console.log("observer: leader is", toText(leader.value));
    if (announcements.length === 3) controller.abort();
  }
})();

const alice = await election.campaign("alice");
console.log("alice leads");
const bobCampaign = election.campaign("bob").then((leadership) => {
  console.log("bob leads");
  return leadership;
});
await alice.proclaim("alice (epoch 2)");
await new Promise((resolve) => setTimeout(resolve, 50));
await alice.resign();
const bob = await bobCampaign;
await observer;
await bob.resign();
console.log("current leader after everyone resigned:", await election.leader());
