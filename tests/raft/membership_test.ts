import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  applyConfChange,
  type ConfChange,
  ConfChangeRejectedError,
  type ConfState,
  decodeConfChange,
  emptyConfState,
  encodeConfChange,
  EntryType,
} from "../../src/raft/mod.ts";
import { bytes, Network } from "./_network.ts";

const NO_CONTEXT = new Uint8Array(0);

function change(transition: ConfChange["transition"], ...changes: ConfChange["changes"]): ConfChange {
  return { transition, changes, context: NO_CONTEXT };
}

function confEntries(net: Network, id: number): number {
  const storage = net.member(id).storage;
  let count = 0;
  for (const entry of storage.entries(storage.firstIndex(), storage.lastIndex() + 1, Infinity)) {
    if (entry.type === EntryType.ConfChange) count++;
  }
  return count;
}

describe("membership changes", () => {
  test("an added voter takes effect on the leader when appended and catches up from scratch", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.addMember(4, emptyConfState());
    net.node(1).proposeConfChange(change("auto", { type: "addVoter", nodeId: 4 }));
    assert.deepEqual(net.node(1).status().confState.voters, [1, 2, 3, 4], "in effect before commit");
    net.drain();
    assert.deepEqual(net.node(4).status().confState.voters, [1, 2, 3, 4]);
    net.node(1).propose(bytes("four"));
    net.drain();
    assert.deepEqual(net.appliedData(4), ["four"]);
    net.isolate(3);
    net.isolate(4);
    net.node(1).propose(bytes("needs three of four"));
    net.drain();
    assert.equal(net.node(1).status().commit, 3, "two of four voters cannot commit");
  });

  test("a member started with empty storage persists the founding configuration, so a restart keeps it", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.addMember(4, emptyConfState());
    net.node(1).proposeConfChange(change("auto", { type: "addVoter", nodeId: 4 }));
    net.drain();
    assert.equal(net.member(4).snapshots[0]?.metadata.index, 0, "the founding snapshot was handed out");
    net.restart(4);
    assert.deepEqual(net.node(4).status().confState.voters, [1, 2, 3, 4]);
    net.isolate(4);
    net.tick(40, [4]);
    assert.notEqual(net.node(4).status().role, "leader", "it must not think it is alone");
  });

  test("only one configuration change may be pending", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(1).proposeConfChange(change("auto", { type: "addLearner", nodeId: 4 }));
    assert.throws(
      () => net.node(1).proposeConfChange(change("auto", { type: "addLearner", nodeId: 5 })),
      ConfChangeRejectedError,
    );
    net.drain();
    net.node(1).proposeConfChange(change("auto", { type: "addLearner", nodeId: 5 }));
  });

  test("a new leader refuses configuration changes until it commits an entry of its term", () => {
    const net = new Network([1, 2, 3]);
    net.node(1).campaign();
    net.persistAll();
    net.deliverQueued();
    net.persistAll();
    net.deliverQueued();
    assert.equal(net.node(1).status().role, "leader");
    assert.throws(
      () => net.node(1).proposeConfChange(change("auto", { type: "addLearner", nodeId: 4 })),
      (e: unknown) => e instanceof ConfChangeRejectedError && e.message.includes("term"),
    );
    net.drain();
    net.node(1).proposeConfChange(change("auto", { type: "addLearner", nodeId: 4 }));
  });

  test("replacing two voters goes through a joint configuration that needs both majorities, then leaves it", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.addMember(4, emptyConfState());
    net.addMember(5, emptyConfState());
    net.isolate(4);
    net.isolate(5);
    net.node(1).proposeConfChange(change(
      "auto",
      { type: "addVoter", nodeId: 4 },
      { type: "addVoter", nodeId: 5 },
      { type: "remove", nodeId: 2 },
      { type: "remove", nodeId: 3 },
    ));
    const joint = net.node(1).status().confState;
    assert.deepEqual(joint.voters, [1, 4, 5]);
    assert.deepEqual(joint.votersOutgoing, [1, 2, 3]);
    net.drain();
    assert.equal(net.node(1).status().commit, 1, "the old majority alone cannot commit the joint entry");
    net.heal();
    net.tick(3);
    const final = net.node(1).status().confState;
    assert.deepEqual(final.voters, [1, 4, 5]);
    assert.deepEqual(final.votersOutgoing, []);
    assert.equal(confEntries(net, 1), 2, "the leader appended the leave entry by itself");
    net.node(1).propose(bytes("new config"));
    net.drain();
    assert.deepEqual(net.appliedData(5), ["new config"]);
  });

  test("an explicit joint configuration stays until an empty change leaves it", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(1).proposeConfChange(change("joint-explicit", { type: "addLearner", nodeId: 3 }));
    net.drain();
    let conf = net.node(1).status().confState;
    assert.deepEqual(conf.votersOutgoing, [1, 2, 3]);
    assert.deepEqual(conf.learnersNext, [3]);
    net.node(1).proposeConfChange(change("auto"));
    net.drain();
    conf = net.node(1).status().confState;
    assert.deepEqual(conf.voters, [1, 2]);
    assert.deepEqual(conf.votersOutgoing, []);
    assert.deepEqual(conf.learners, [3]);
  });

  test("a learner receives entries but does not count toward commit, and can be promoted", () => {
    const net = new Network([1, 2, 3], { learners: [4] });
    net.elect(1);
    net.node(1).propose(bytes("x"));
    net.drain();
    assert.deepEqual(net.appliedData(4), ["x"]);
    net.isolate(2);
    net.isolate(3);
    net.node(1).propose(bytes("y"));
    net.drain();
    assert.equal(net.node(1).status().commit, 2, "leader plus learner is no quorum");
    net.heal();
    net.tick(2);
    net.node(1).proposeConfChange(change("auto", { type: "addVoter", nodeId: 4 }));
    net.drain();
    assert.deepEqual(net.node(4).status().confState.voters, [1, 2, 3, 4]);
    assert.deepEqual(net.node(4).status().confState.learners, []);
  });

  test("a removed leader keeps leading until the removal commits, then steps down and others elect", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(1).proposeConfChange(change("auto", { type: "remove", nodeId: 1 }));
    assert.equal(net.node(1).status().role, "leader");
    net.drain();
    assert.equal(net.node(1).status().role, "follower");
    assert.deepEqual(net.node(2).status().confState.voters, [2, 3]);
    net.tick(40);
    const leader = net.leader();
    assert.ok(leader === 2 || leader === 3, `leader ${leader}`);
    assert.equal(net.node(1).status().role, "follower", "a removed node never campaigns");
    net.node(leader).propose(bytes("without 1"));
    net.drain();
    assert.deepEqual(net.appliedData(2), ["without 1"]);
  });

  test("a configuration appended but truncated by a new leader is rolled back", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(1);
    net.node(1).proposeConfChange(change("auto", { type: "addLearner", nodeId: 9 }));
    assert.deepEqual(net.node(1).status().confState.learners, [9]);
    net.drain();
    net.restart(2);
    net.restart(3);
    net.elect(2);
    net.node(2).propose(bytes("a"));
    net.node(2).propose(bytes("b"));
    net.drain();
    net.heal();
    net.tick(2);
    assert.equal(net.node(1).status().leader, 2);
    assert.deepEqual(net.node(1).status().confState.learners, [], "rolled back with the truncated entry");
    assert.deepEqual(net.appliedData(1), ["a", "b"]);
  });

  test("a voter demoted to learner through a joint configuration keeps voting until it is left", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(1).proposeConfChange(change("joint-implicit", { type: "addLearner", nodeId: 2 }));
    const joint = net.node(1).status().confState;
    assert.deepEqual(joint.voters, [1, 3]);
    assert.deepEqual(joint.votersOutgoing, [1, 2, 3]);
    assert.deepEqual(joint.learnersNext, [2]);
    net.drain();
    const final = net.node(3).status().confState;
    assert.deepEqual(final.voters, [1, 3]);
    assert.deepEqual(final.learners, [2]);
  });
});

describe("applyConfChange", () => {
  const three: ConfState = {
    voters: [1, 2, 3],
    learners: [],
    votersOutgoing: [],
    learnersNext: [],
    autoLeave: false,
  };

  test("removing every voter is refused", () => {
    const single: ConfState = { ...three, voters: [1] };
    assert.throws(
      () => applyConfChange(single, change("auto", { type: "remove", nodeId: 1 })),
      ConfChangeRejectedError,
    );
  });

  test("changing a joint configuration before leaving it is refused", () => {
    const joint = applyConfChange(three, change("joint-explicit", { type: "addVoter", nodeId: 4 }));
    assert.throws(
      () => applyConfChange(joint, change("auto", { type: "addVoter", nodeId: 5 })),
      ConfChangeRejectedError,
    );
  });

  test("leaving a configuration that is not joint is refused", () => {
    assert.throws(() => applyConfChange(three, change("auto")), ConfChangeRejectedError);
  });

  test("an auto change of several members enters a joint configuration that leaves by itself", () => {
    const next = applyConfChange(
      three,
      change("auto", { type: "addVoter", nodeId: 4 }, { type: "addLearner", nodeId: 5 }),
    );
    assert.deepEqual(next.votersOutgoing, [1, 2, 3]);
    assert.equal(next.autoLeave, true);
  });

  test("node id 0 is refused", () => {
    assert.throws(
      () => applyConfChange(three, change("auto", { type: "addVoter", nodeId: 0 })),
      ConfChangeRejectedError,
    );
  });
});

describe("ConfChange codec", () => {
  test("encode then decode gives the same change", () => {
    const original: ConfChange = {
      transition: "joint-implicit",
      changes: [{ type: "addVoter", nodeId: 2 ** 40 + 7 }, { type: "remove", nodeId: 3 }, {
        type: "addLearner",
        nodeId: 1,
      }],
      context: bytes("127.0.0.1:2380"),
    };
    assert.deepEqual(decodeConfChange(encodeConfChange(original)), original);
  });

  test("truncated or corrupted bytes are refused with a RangeError", () => {
    const encoded = encodeConfChange(change("auto", { type: "addVoter", nodeId: 2 }));
    assert.throws(() => decodeConfChange(encoded.subarray(0, encoded.length - 1)), RangeError);
    const badVersion = encoded.slice();
    badVersion[0] = 9;
    assert.throws(() => decodeConfChange(badVersion), RangeError);
    const badType = encoded.slice();
    badType[6] = 7;
    assert.throws(() => decodeConfChange(badType), RangeError);
    assert.throws(() => decodeConfChange(new Uint8Array(3)), RangeError);
  });

  test("too many changes are refused when encoding", () => {
    const many = Array.from({ length: 257 }, (_, i) => ({ type: "addLearner" as const, nodeId: i + 1 }));
    assert.throws(
      () => encodeConfChange({ transition: "auto", changes: many, context: NO_CONTEXT }),
      RangeError,
    );
  });
});
