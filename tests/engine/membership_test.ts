import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ConfChangeRejectedError, type Engine, TimeoutError, toText } from "../../mod.ts";
import { TestCluster, waitFor } from "./_helpers.ts";

describe("membership changes", () => {
  test("a learner joins, catches up, is promoted, and the old leader can then be removed", async () => {
    const cluster = new TestCluster(4, { snapshotEntries: 10, snapshotKeepEntries: 0 }, 3);
    try {
      await cluster.startAll();
      const first = await cluster.leader();
      await first.engine.client.put("before-join", "1");
      const [follower, otherFollower] = cluster.followers(first.name) as [Engine, Engine];
      // Asked of a follower: forwarded to the leader, and applied on the follower before it returns.
      const afterAdd = await follower.addMember({ name: "n4", peerAddress: cluster.peerAddress("n4") });
      assert.deepEqual(afterAdd.find((member) => member.name === "n4")?.role, "learner");
      assert.equal(first.engine.status().members.find((member) => member.name === "n4")?.role, "learner");
      const joined = await cluster.start("n4");
      await waitFor(
        "the learner to catch up",
        () => joined.status().appliedIndex >= first.engine.status().commitIndex,
      );
      assert.equal(toText((await joined.client.get("before-join"))!.value), "1");
      // The learner learned the founders' names from the log.
      assert.deepEqual(joined.status().members.map((member) => member.name).sort(), ["n1", "n2", "n3", "n4"]);

      const afterPromote = await otherFollower.promoteMember("n4");
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

      const survivor = cluster.engines.get(
        cluster.names.find((name) => name !== first.name && name !== founder)!,
      )!;
      const afterRemove = await survivor.removeMember(first.name);
      assert.ok(!afterRemove.some((member) => member.name === first.name));
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

  test("a second change asked while the first is pending is rejected by the leader, through a follower", async () => {
    const cluster = new TestCluster(5, {}, 3);
    try {
      await cluster.startAll();
      const first = await cluster.leader();
      // A new leader refuses changes until it has committed an entry of its term: let it commit one first, so
      // the only possible refusal is the pending-change rule under test.
      await first.engine.client.put("warm-up", "1");
      const follower = cluster.followers(first.name)[0]!;
      const outcomes = await Promise.allSettled([
        follower.addMember({ name: "n4", peerAddress: cluster.peerAddress("n4") }),
        follower.addMember({ name: "n5", peerAddress: cluster.peerAddress("n5") }),
      ]);
      const fulfilled = outcomes.filter((outcome) => outcome.status === "fulfilled");
      const rejected = outcomes.filter((outcome) => outcome.status === "rejected");
      assert.equal(fulfilled.length, 1, "one change goes through");
      assert.equal(rejected.length, 1, "the other is refused while the first is pending");
      const reason = (rejected[0] as PromiseRejectedResult).reason;
      assert.ok(reason instanceof ConfChangeRejectedError, String(reason));
      assert.match(reason.message, /is not committed yet/);
      await waitFor("the follower to apply the change", () => follower.status().members.length === 4);
    } finally {
      await cluster.destroy();
    }
  });

  test("a change asked of a single member with no leader yet times out", async () => {
    const cluster = new TestCluster(3, { requestTimeoutMs: 300 });
    try {
      const lonely = await cluster.start("n1");
      await assert.rejects(lonely.removeMember("n3"), TimeoutError);
      assert.equal(lonely.status().members.length, 3);
    } finally {
      await cluster.destroy();
    }
  });

  test("leadership moves to the member it is transferred to, even when a follower asks", async () => {
    const cluster = new TestCluster(3);
    try {
      await cluster.startAll();
      const first = await cluster.leader();
      const target = cluster.names.find((name) => name !== first.name)!;
      const asker = cluster.names.find((name) => name !== first.name && name !== target)!;
      const watcher = cluster.engines.get(target)!.watchLeader();
      cluster.engines.get(asker)!.transferLeadership(target);
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
