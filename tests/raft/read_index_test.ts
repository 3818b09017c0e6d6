import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  makeMessage,
  MessageType,
  ProposalDroppedError,
  type RaftConfig,
  RawNode,
} from "../../src/raft/mod.ts";
import { bytes, Network, text } from "./_network.ts";

class ReadsWithoutQuorum extends RawNode {
  protected override readIndexNeedsQuorum(): boolean {
    return false;
  }
}

function heartbeats(net: Network, from: number): number {
  return net.queue.filter((m) => m.type === MessageType.Heartbeat && m.from === from).length;
}

describe("ReadIndex", () => {
  test("a leader answers a read only after a quorum acknowledged a heartbeat round sent after it", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(1).propose(bytes("a"));
    net.drain();
    net.node(1).readIndex(bytes("r1"));
    net.processReady(1);
    assert.equal(net.member(1).readStates.length, 0);
    assert.equal(heartbeats(net, 1), 2);
    net.drain();
    const states = net.member(1).readStates;
    assert.deepEqual(states.map((s) => [s.index, text(s.requestContext)]), [[2, "r1"]]);
  });

  test("all reads queued before a round are confirmed by that one round", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    for (let i = 0; i < 5; i++) net.node(1).readIndex(bytes(`r${i}`));
    net.processReady(1);
    assert.equal(heartbeats(net, 1), 2, "one heartbeat per follower for five reads");
    net.drain();
    assert.equal(net.member(1).readStates.length, 5);
  });

  test("a read arriving after a round was sent waits for the next round", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(1).readIndex(bytes("early"));
    net.processReady(1);
    const firstRound = net.queue.splice(0);
    net.node(1).readIndex(bytes("late"));
    net.processReady(1);
    const secondRound = net.queue.splice(0);
    net.queue = firstRound;
    net.deliverQueued();
    net.persistAll();
    net.deliverQueued((m) => m.type === MessageType.HeartbeatResp);
    net.processReady(1);
    assert.deepEqual(net.member(1).readStates.map((s) => text(s.requestContext)), ["early"]);
    net.queue.push(...secondRound);
    net.drain();
    assert.deepEqual(net.member(1).readStates.map((s) => text(s.requestContext)), ["early", "late"]);
  });

  test("a new leader answers reads only once it committed an entry of its term", () => {
    const net = new Network([1, 2, 3]);
    net.node(1).campaign();
    net.persistAll();
    net.deliverQueued();
    net.persistAll();
    net.deliverQueued();
    assert.equal(net.node(1).status().role, "leader");
    net.node(1).readIndex(bytes("r"));
    assert.equal(net.node(1).status().commit, 0);
    net.drain();
    const states = net.member(1).readStates;
    assert.equal(states.length, 1);
    assert.equal(states[0]!.index, 1, "the read index is at least the no-op of the term");
  });

  test("a follower's read is forwarded to the leader and answered with ReadIndexResp", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(1).propose(bytes("a"));
    net.drain();
    net.node(2).readIndex(bytes("via follower"));
    net.drain();
    assert.ok(net.delivered.some((m) => m.type === MessageType.ReadIndex && m.from === 2 && m.to === 1));
    assert.ok(net.delivered.some((m) => m.type === MessageType.ReadIndexResp && m.to === 2));
    assert.deepEqual(net.member(2).readStates.map((s) => [s.index, text(s.requestContext)]), [[
      2,
      "via follower",
    ]]);
  });

  test("an isolated (deposed) leader never answers a safe read", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(1);
    net.tick(30, [2, 3]);
    assert.notEqual(net.leader(), 0);
    net.node(1).readIndex(bytes("stale?"));
    net.tick(30, [1]);
    assert.equal(net.member(1).readStates.length, 0);
  });

  test("the planted no-quorum bug answers a read on an isolated leader (the hook reaches the read path)", () => {
    const net = new Network([1, 2, 3], { factory: (c: RaftConfig) => new ReadsWithoutQuorum(c) });
    net.elect(1);
    net.isolate(1);
    net.node(1).readIndex(bytes("stale"));
    net.drain();
    assert.equal(net.member(1).readStates.length, 1);
  });

  test("reads beyond maxPendingReadIndex are refused", () => {
    const net = new Network([1, 2, 3], { maxPendingReadIndex: 2 });
    net.elect(1);
    net.isolate(1);
    net.node(1).readIndex(bytes("1"));
    net.node(1).readIndex(bytes("2"));
    assert.throws(() => net.node(1).readIndex(bytes("3")), ProposalDroppedError);
  });

  test("a single-node leader answers reads without peers", () => {
    const net = new Network([1]);
    net.elect(1);
    net.node(1).readIndex(bytes("solo"));
    net.drain();
    assert.equal(net.member(1).readStates.length, 1);
  });
});

describe("lease reads", () => {
  test("a lease read is served without a round within electionTimeout - margin ticks of the acked heartbeat's send", () => {
    // electionTimeoutTicks 10, margin 2: the lease lasts 8 ticks after the acknowledged heartbeat was sent.
    const net = new Network([1, 2, 3], { checkQuorum: true });
    net.elect(1);
    net.tick(1); // leader tick 1: heartbeat sent at tick 1, acknowledged by both followers
    net.isolate(1);
    for (let i = 0; i < 6; i++) net.node(1).tick(); // tick 7
    net.persistAll();
    net.queue = [];
    net.node(1).readIndex(bytes("in lease"), "lease");
    net.persistAll();
    assert.deepEqual(net.member(1).readStates.map((s) => text(s.requestContext)), ["in lease"]);
    net.node(1).tick(); // tick 8: 8 - 1 = 7 < 8, still in lease
    net.node(1).readIndex(bytes("last tick"), "lease");
    net.persistAll();
    assert.equal(net.member(1).readStates.length, 2);
    net.node(1).tick(); // tick 9: 9 - 1 = 8, the lease is over
    net.node(1).readIndex(bytes("expired"), "lease");
    net.persistAll();
    assert.equal(net.member(1).readStates.length, 2, "falls back to a quorum round that cannot complete");
  });

  test("a lease read during a leadership transfer falls back to a round", () => {
    const net = new Network([1, 2, 3], { checkQuorum: true });
    net.elect(1);
    net.tick(1);
    net.isolate(2);
    net.node(1).transferLeader(2);
    net.node(1).readIndex(bytes("x"), "lease");
    net.persistAll();
    assert.equal(net.member(1).readStates.length, 0);
  });

  test("without CheckQuorum a lease read falls back to a quorum round", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.tick(1);
    net.isolate(1);
    net.node(1).readIndex(bytes("no lease"), "lease");
    net.persistAll();
    assert.equal(net.member(1).readStates.length, 0);
  });

  test("with CheckQuorum a restarted follower keeps ignoring vote requests for one election timeout", () => {
    const net = new Network([1, 2, 3], { checkQuorum: true });
    net.elect(1);
    net.restart(2);
    const vote = { type: MessageType.Vote, to: 2, from: 3, term: 5, logTerm: 1, index: 1 } as const;
    net.node(2).step({ ...emptyMessage(), ...vote });
    assert.equal(net.node(2).status().term, 1, "ignored right after the restart");
    for (let i = 0; i < 10; i++) net.node(2).tick();
    net.node(2).step({ ...emptyMessage(), ...vote });
    assert.equal(net.node(2).status().term, 5);
  });
});

function emptyMessage() {
  return makeMessage({ type: MessageType.Beat, to: 0, from: 0 });
}
