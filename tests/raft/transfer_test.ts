import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MessageType, ProposalDroppedError } from "../../src/raft/mod.ts";
import { bytes, Network } from "./_network.ts";

describe("leadership transfer", () => {
  test("transfer to an up-to-date follower makes it leader in the next term", () => {
    const net = new Network([1, 2, 3], { preVote: true, checkQuorum: true });
    net.elect(1);
    net.node(1).transferLeader(2);
    net.drain();
    assert.equal(net.leader(), 2);
    assert.equal(net.node(2).status().term, 2);
    assert.equal(net.node(1).status().role, "follower");
    assert.ok(net.delivered.some((m) => m.type === MessageType.TimeoutNow && m.to === 2));
  });

  test("transfer to a lagging follower first catches it up, and proposals are refused meanwhile", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    for (let i = 0; i < 5; i++) net.node(1).propose(bytes(`e${i}`));
    net.drain();
    net.heal();
    net.node(1).transferLeader(3);
    assert.throws(() => net.node(1).propose(bytes("during")), ProposalDroppedError);
    net.drain();
    assert.equal(net.node(1).status().role, "leader", "no TimeoutNow before the transferee caught up");
    net.tick(1);
    assert.equal(net.leader(), 3);
    assert.equal(net.node(3).status().lastIndex, 7, "it caught up, then appended its no-op");
  });

  test("a transfer that does not finish within an election timeout is abandoned", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    net.node(1).propose(bytes("a"));
    net.drain();
    net.node(1).transferLeader(3);
    assert.equal(net.node(1).status().leadTransferee, 3);
    net.tick(10, [1]);
    assert.equal(net.node(1).status().leadTransferee, 0);
    assert.equal(net.node(1).status().role, "leader");
    net.node(1).propose(bytes("accepted again"));
  });

  test("a follower forwards a transfer request to the leader", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(2).transferLeader(3);
    net.drain();
    assert.equal(net.leader(), 3);
  });

  test("a transfer to a learner or to the leader itself is ignored", () => {
    const net = new Network([1, 2, 3], { learners: [4] });
    net.elect(1);
    net.node(1).transferLeader(4);
    net.node(1).transferLeader(1);
    assert.equal(net.node(1).status().leadTransferee, 0);
    net.drain();
    assert.equal(net.leader(), 1);
  });
});
