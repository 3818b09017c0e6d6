import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { NotLeaderError, toText } from "../../mod.ts";
import { TestCluster, waitFor } from "./_helpers.ts";

describe("membership changes", () => {
  test("a learner joins, catches up, is promoted, and the old leader can then be removed", async () => {
    const cluster = new TestCluster(4, { snapshotEntries: 10, snapshotKeepEntries: 0 }, 3);
    try {
      await cluster.startAll();
      const first = await cluster.leader();
      await first.engine.client.put("before-join", "1");
      const follower = cluster.followers(first.name)[0]!;
      await assert.rejects(
        follower.addMember({ name: "n4", peerAddress: cluster.peerAddress("n4") }),
        NotLeaderError,
      );

      const afterAdd = await first.engine.addMember({ name: "n4", peerAddress: cluster.peerAddress("n4") });
      assert.deepEqual(afterAdd.find((member) => member.name === "n4")?.role, "learner");
      const joined = await cluster.start("n4");
      await waitFor(
        "the learner to catch up",
        () => joined.status().appliedIndex >= first.engine.status().commitIndex,
      );
      assert.equal(toText((await joined.client.get("before-join"))!.value), "1");
      // The learner learned the founders' names from the log.
      assert.deepEqual(joined.status().members.map((member) => member.name).sort(), ["n1", "n2", "n3", "n4"]);

      const afterPromote = await first.engine.promoteMember("n4");
      assert.equal(afterPromote.filter((member) => member.role === "voter").length, 4);

      // Enough writes that every log is compacted past the entry that added n4: a restarted founder
      // still knows where n4 is, from its snapshot.
      await Promise.all(Array.from({ length: 40 }, (_, i) => first.engine.client.put(`fill/${i}`, "x")));
      const founder = cluster.names.find((name) => name !== first.name && name !== "n4")!;
      await waitFor(
        "the founder to apply the writes",
        () => cluster.engines.get(founder)!.status().appliedIndex >= first.engine.status().commitIndex,
      );
      await cluster.stop(founder);
      const restarted = await cluster.start(founder);
      const n4 = restarted.status().members.find((member) => member.name === "n4");
      assert.equal(n4?.peerAddress, cluster.peerAddress("n4"));
      assert.equal(n4?.role, "voter");

      await first.engine.removeMember(first.name);
      await cluster.stop(first.name);
      const second = await cluster.leader();
      assert.notEqual(second.name, first.name);
      await joined.client.put("after-remove", "2");
      await waitFor(
        "every member to apply the removal",
        () => [...cluster.engines.values()].every((engine) => engine.status().members.length === 3),
      );
      for (const engine of cluster.engines.values()) {
        assert.equal(toText((await engine.client.get("after-remove"))!.value), "2");
      }
    } finally {
      await cluster.destroy();
    }
  });

  test("leadership moves to the member it is transferred to", async () => {
    const cluster = new TestCluster(3);
    try {
      await cluster.startAll();
      const first = await cluster.leader();
      const target = cluster.names.find((name) => name !== first.name)!;
      const watcher = cluster.engines.get(target)!.watchLeader();
      first.engine.transferLeadership(target);
      for await (const leader of watcher) {
        if (leader.leaderName === target) break;
      }
      assert.equal(cluster.engines.get(target)!.status().role, "leader");
      await cluster.engines.get(target)!.client.put("moved", "yes");
    } finally {
      await cluster.destroy();
    }
  });
});
