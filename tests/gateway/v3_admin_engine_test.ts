import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Engine } from "../../mod.ts";
import { createGateway, EngineBackend } from "../../src/gateway/mod.ts";
import { crc32c } from "../../src/gateway/maintenance.ts";
import { TestCluster, waitFor } from "../engine/_helpers.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

/** A gateway over one engine, driven with `app.fetch` (no sockets). */
function gatewayOf(engine: Engine) {
  const app = createGateway(new EngineBackend(engine));
  return async (path: string, body: unknown): Promise<{ status: number; json: Loose }> => {
    const request = new Request(`http://gateway${path}`, { method: "POST", body: JSON.stringify(body) });
    const response = await app.fetch(request);
    return { status: response.status, json: await response.json() };
  };
}

const memberNamed = (answer: { json: Loose }, name: string) =>
  (answer.json.members as Loose[]).find((member) => member.name === name);

describe("the cluster and maintenance routes over a 3-node engine cluster", () => {
  test("member add, update, promote and remove and transfer-leadership work through HTTP on a follower", async () => {
    const cluster = new TestCluster(4, {}, 3);
    try {
      await cluster.startAll();
      const first = await cluster.leader();
      await Promise.all([...cluster.engines.values()].map((engine) => engine.ready()));
      const follower = cluster.followers(first.name)[0]!;
      const post = gatewayOf(follower);
      const n4Url = `http://${cluster.peerAddress("n4")}`;

      const added = await post("/v3/cluster/member/add", { peerURLs: [n4Url], isLearner: true, name: "n4" });
      assert.equal(added.status, 200, JSON.stringify(added.json));
      assert.deepEqual(added.json.member, {
        ID: added.json.member.ID,
        name: "n4",
        peerURLs: [n4Url],
        isLearner: true,
      });
      assert.equal(added.json.members.length, 4);
      assert.equal(added.json.header.revision, undefined);
      const n4Id: string = added.json.member.ID;

      const again = await post("/v3/cluster/member/add", { peerURLs: [n4Url], name: "n4" });
      assert.equal(again.status, 412);
      assert.equal(again.json.error, "etcdserver: member ID already exist");
      const overlapping = await post("/v3/cluster/member/add", { peerURLs: [n4Url, "http://memory:41998"] });
      assert.equal(overlapping.json.error, "etcdserver: Peer URLs already exists");

      // Moved away and back while it is a learner, before it starts: nobody's quorum depends on it.
      const moved = await post("/v3/cluster/member/update", { ID: n4Id, peerURLs: ["http://memory:41999"] });
      assert.equal(moved.status, 200, JSON.stringify(moved.json));
      assert.deepEqual(memberNamed(moved, "n4").peerURLs, ["http://memory:41999"]);
      assert.equal(memberNamed(moved, "n4").isLearner, true);
      const back = await post("/v3/cluster/member/update", { ID: n4Id, peerURLs: [n4Url] });
      assert.deepEqual(memberNamed(back, "n4").peerURLs, [n4Url]);

      const joined = await cluster.start("n4");
      await waitFor(
        "n4 to catch up",
        () => joined.status().appliedIndex >= first.engine.status().commitIndex,
      );
      const promoted = await post("/v3/cluster/member/promote", { ID: n4Id });
      assert.equal(promoted.status, 200, JSON.stringify(promoted.json));
      assert.equal(memberNamed(promoted, "n4").isLearner, undefined);
      assert.equal((await post("/v3/cluster/member/promote", { ID: n4Id })).status, 412);

      const moveLeader = await post("/v3/maintenance/transfer-leadership", { targetID: n4Id });
      assert.deepEqual(moveLeader, { status: 200, json: {} });
      await waitFor("n4 to lead", async () => (await cluster.leader()).name === "n4");
      // A write in n4's term: the new leader takes membership changes once it has committed one.
      await joined.client.put("after-transfer", "1");
      const status = await post("/v3/maintenance/status", {});
      assert.equal(status.json.leader, n4Id);

      const oldLeaderId = String(first.engine.status().id);
      const removed = await post("/v3/cluster/member/remove", { ID: oldLeaderId });
      assert.equal(removed.status, 200, JSON.stringify(removed.json));
      assert.deepEqual(
        (removed.json.members as Loose[]).map((member) => member.name).sort(),
        cluster.names.filter((name) => name !== first.name).sort(),
      );
      await cluster.stop(first.name);
      const list = await post("/v3/cluster/member/list", {});
      assert.equal(list.json.members.length, 3);
      assert.equal((await post("/v3/cluster/member/remove", { ID: oldLeaderId })).status, 404);
    } finally {
      await cluster.destroy();
    }
  });

  test("hash is equal on members that applied the same index, and snapshot streams the store", async () => {
    const cluster = new TestCluster(3);
    try {
      await cluster.startAll();
      const leader = await cluster.leader();
      await leader.engine.client.put("a", "1");
      const engines = [...cluster.engines.values()];
      const commit = leader.engine.status().commitIndex;
      await waitFor(
        "every member to apply",
        () => engines.every((engine) => engine.status().appliedIndex >= commit),
      );
      const hashes = await Promise.all(engines.map(async (engine) => {
        const answer = await gatewayOf(engine)("/v3/maintenance/hash", {});
        assert.equal(answer.json.hash, crc32c(engine.storeSnapshot()));
        return answer.json.hash;
      }));
      assert.equal(new Set(hashes).size, 1, `hashes ${hashes.join(", ")}`);

      const app = createGateway(new EngineBackend(leader.engine));
      const response = await app.fetch(
        new Request("http://gateway/v3/maintenance/snapshot", { method: "POST" }),
      );
      const lines = (await response.text()).trimEnd().split("\n").map((line) => JSON.parse(line).result);
      const blob = lines.slice(0, -1).map((result) => atob(result.blob)).join("");
      const expected = leader.engine.storeSnapshot();
      assert.equal(blob.length, expected.length);
      assert.deepEqual(Uint8Array.from(blob, (char) => char.charCodeAt(0)), expected);
    } finally {
      await cluster.destroy();
    }
  });
});
