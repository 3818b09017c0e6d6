import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  AssertionError,
  makeMessage,
  MemoryStorage,
  MessageType,
  type RaftConfig,
  RawNode,
  SeededRandom,
} from "../../src/raft/mod.ts";
import { bytes, Network, testConfig } from "./_network.ts";

class AnyLogVotes extends RawNode {
  protected override candidateLogIsUpToDate(_lastLogTerm: number, _lastLogIndex: number): boolean {
    return true;
  }
}

describe("elections", () => {
  test("a campaigning node of three becomes leader and commits its no-op", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    assert.equal(net.leader(), 1);
    for (const id of [1, 2, 3]) {
      const status = net.node(id).status();
      assert.equal(status.term, 1);
      assert.equal(status.leader, 1);
      assert.equal(status.commit, 1);
    }
    const noop = net.member(2).applied[0]!;
    assert.equal(noop.term, 1);
    assert.equal(noop.data.byteLength, 0);
  });

  test("a follower campaigns after a randomized timeout in [min, 2*min) ticks", () => {
    const timeouts = new Set<number>();
    for (let seed = 1; seed <= 20; seed++) {
      const storage = new MemoryStorage({
        voters: [1, 2, 3],
        learners: [],
        votersOutgoing: [],
        learnersNext: [],
        autoLeave: false,
      });
      const node = new RawNode(testConfig(1, storage, { seed }));
      let ticks = 0;
      while (node.status().role === "follower") {
        node.tick();
        ticks++;
        assert.ok(ticks < 20, "no campaign within 2 * electionTimeoutTicks");
      }
      assert.ok(ticks >= 10, `campaigned after ${ticks} ticks`);
      timeouts.add(ticks);
    }
    assert.ok(timeouts.size > 1, "every seed drew the same timeout");
  });

  test("the same seed gives the same election timeout (determinism)", () => {
    const ticksToCampaign = () => {
      const storage = new MemoryStorage({
        voters: [1, 2],
        learners: [],
        votersOutgoing: [],
        learnersNext: [],
        autoLeave: false,
      });
      const node = new RawNode(testConfig(1, storage, { seed: 77 }));
      let ticks = 0;
      while (node.status().role === "follower") {
        node.tick();
        ticks++;
      }
      return ticks;
    };
    assert.equal(ticksToCampaign(), ticksToCampaign());
  });

  test("ticking alone elects exactly one leader", () => {
    const net = new Network([1, 2, 3, 4, 5], { seed: 3 });
    net.tick(40);
    const leader = net.leader();
    assert.notEqual(leader, 0);
    const term = net.node(leader).status().term;
    for (const id of [1, 2, 3, 4, 5]) {
      const status = net.node(id).status();
      if (status.term === term && id !== leader) assert.equal(status.role, "follower");
    }
  });

  test("a candidate with a shorter log of the same last term loses (election restriction)", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    net.node(1).propose(bytes("x"));
    net.drain();
    net.heal();
    net.isolate(1);
    net.restart(2); // forgets the leader, so the lease rule does not hide the vote check
    net.elect(3);
    assert.notEqual(net.node(3).status().role, "leader");
    assert.equal(net.node(2).status().term, 2);
    assert.equal(net.node(2).status().vote, 0, "node 2 must not vote for the stale candidate");
  });

  test("a candidate whose last term is older loses even with a longer log", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(1);
    for (let i = 0; i < 5; i++) net.node(1).propose(bytes(`old${i}`));
    net.drain();
    net.heal();
    net.isolate(1);
    net.restart(3);
    net.elect(2);
    net.node(2).propose(bytes("new"));
    net.drain();
    // Node 1 now has a longer log of term 1, node 2 and 3 have a shorter log ending in term 2.
    net.heal();
    net.cut(1, 2);
    net.restart(1);
    net.restart(3);
    net.elect(1); // term 2: node 3 already voted in term 2
    net.elect(1); // term 3: node 3 compares logs
    assert.notEqual(net.node(1).status().role, "leader");
    assert.equal(net.node(3).status().term, 3);
    assert.equal(net.node(3).status().vote, 0);
  });

  test("a planted vote-check bug lets a stale candidate win (the hook reaches the vote path)", () => {
    const net = new Network([1, 2, 3], { factory: (c: RaftConfig) => new AnyLogVotes(c) });
    net.elect(1);
    net.isolate(3);
    net.node(1).propose(bytes("x"));
    net.drain();
    net.heal();
    net.isolate(1);
    net.restart(2);
    net.elect(3);
    assert.equal(net.node(3).status().role, "leader");
  });

  test("a node votes at most once per term", () => {
    const storage = new MemoryStorage({
      voters: [1, 2, 3],
      learners: [],
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    });
    const node = new RawNode(testConfig(1, storage));
    node.step(makeMessage({ type: MessageType.Vote, to: 1, from: 2, term: 5 }));
    node.step(makeMessage({ type: MessageType.Vote, to: 1, from: 3, term: 5 }));
    const ready = node.ready();
    const replies = ready.messagesAfterPersist.filter((m) => m.type === MessageType.VoteResp);
    assert.deepEqual(replies.map((m) => [m.to, m.reject]), [[2, false], [3, true]]);
    assert.deepEqual(ready.hardState, { term: 5, vote: 2, commit: 0 });
    assert.ok(ready.mustSync);
  });

  test("vote replies wait for persistence: they are in messagesAfterPersist only", () => {
    const storage = new MemoryStorage({
      voters: [1, 2],
      learners: [],
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    });
    const node = new RawNode(testConfig(1, storage));
    node.campaign();
    const ready = node.ready();
    assert.equal(ready.messages.length, 0);
    assert.deepEqual(ready.messagesAfterPersist.map((m) => m.type), [MessageType.Vote]);
  });

  test("a vote request within the election timeout of hearing from the leader is ignored", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const follower = net.node(2);
    follower.step(makeMessage({ type: MessageType.Vote, to: 2, from: 3, term: 7, logTerm: 1, index: 1 }));
    assert.equal(follower.status().term, 1, "term must not rise");
    assert.equal(follower.hasReady(), false, "no reply at all");
  });

  test("a pre-vote request within the election timeout of hearing from the leader is ignored too", () => {
    const net = new Network([1, 2, 3], { preVote: true });
    net.elect(1);
    const follower = net.node(2);
    follower.step(makeMessage({ type: MessageType.PreVote, to: 2, from: 3, term: 2, logTerm: 1, index: 1 }));
    assert.equal(follower.hasReady(), false);
    for (let i = 0; i < 10; i++) follower.tick();
    follower.step(makeMessage({ type: MessageType.PreVote, to: 2, from: 3, term: 2, logTerm: 1, index: 1 }));
    const reply = follower.ready().messagesAfterPersist.find((m) => m.type === MessageType.PreVoteResp);
    assert.equal(reply?.reject, false);
    assert.equal(follower.status().term, 1, "granting a pre-vote does not change the term");
  });

  test("a vote request after the leader went silent for an election timeout is granted", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const follower = net.node(2);
    for (let i = 0; i < 10; i++) follower.tick();
    follower.step(makeMessage({ type: MessageType.Vote, to: 2, from: 3, term: 7, logTerm: 1, index: 1 }));
    assert.equal(follower.status().term, 7);
    assert.equal(follower.status().vote, 3);
  });

  test("a TimeoutNow-forced vote request is granted even inside the lease", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const follower = net.node(2);
    follower.step(makeMessage({
      type: MessageType.Vote,
      to: 2,
      from: 3,
      term: 2,
      logTerm: 1,
      index: 1,
      context: new TextEncoder().encode("CampaignTransfer"),
    }));
    assert.equal(follower.status().vote, 3);
  });

  test("with PreVote a rejoining partitioned node does not raise the term nor depose the leader", () => {
    const net = new Network([1, 2, 3], { preVote: true, checkQuorum: true });
    net.elect(1);
    net.isolate(3);
    net.tick(50, [3]);
    assert.equal(net.node(3).status().term, 1, "pre-votes do not bump the term");
    assert.equal(net.node(3).status().role, "precandidate");
    net.heal();
    net.tick(5);
    assert.equal(net.leader(), 1);
    assert.equal(net.node(1).status().term, 1);
    assert.equal(net.node(3).status().leader, 1);
  });

  test("without PreVote a rejoining node with a higher term makes the stale leader step down via CheckQuorum replies", () => {
    const net = new Network([1, 2, 3], { checkQuorum: true });
    net.elect(1);
    net.isolate(3);
    net.tick(50, [3]);
    const risenTerm = net.node(3).status().term;
    assert.ok(risenTerm > 1);
    net.heal();
    net.tick(30);
    const leader = net.leader();
    assert.notEqual(leader, 0);
    assert.ok(net.node(leader).status().term >= risenTerm);
  });

  test("pre-vote succeeds and elects a leader when the old one is gone", () => {
    const net = new Network([1, 2, 3], { preVote: true, checkQuorum: true });
    net.elect(1);
    net.isolate(1);
    net.tick(40, [2, 3]);
    const leader = net.leader();
    assert.ok(leader === 2 || leader === 3);
    assert.equal(net.node(leader).status().term, 2);
  });

  test("with CheckQuorum an isolated leader steps down after an election timeout", () => {
    const net = new Network([1, 2, 3], { checkQuorum: true });
    net.elect(1);
    net.isolate(1);
    net.tick(9, [1]);
    assert.equal(net.node(1).status().role, "leader");
    net.tick(12, [1]);
    assert.equal(net.node(1).status().role, "follower");
    assert.equal(net.node(1).status().leader, 0);
  });

  test("without CheckQuorum an isolated leader stays leader", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(1);
    net.tick(40, [1]);
    assert.equal(net.node(1).status().role, "leader");
  });

  test("a stale leader learns the new term from a reply and steps down", () => {
    const net = new Network([1, 2, 3], { checkQuorum: true });
    net.elect(1);
    net.isolate(1);
    net.tick(30, [2, 3]);
    const newLeader = net.leader();
    assert.ok(newLeader === 2 || newLeader === 3);
    net.heal();
    net.node(1).step(makeMessage({ type: MessageType.Beat, to: 1, from: 1 }));
    net.drain();
    assert.equal(net.node(1).status().role, "follower");
    assert.ok(net.node(1).status().term > 1);
    net.tick(1);
    assert.equal(net.node(1).status().leader, newLeader);
  });

  test("seeing two leaders in one term trips the invariant assert", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    assert.throws(
      () => net.node(2).step(makeMessage({ type: MessageType.Heartbeat, to: 2, from: 3, term: 1 })),
      AssertionError,
    );
  });

  test("a learner never campaigns", () => {
    const net = new Network([1, 2], { learners: [3] });
    net.tick(60, [3]);
    assert.equal(net.node(3).status().role, "follower");
    assert.equal(net.node(3).status().term, 0);
  });

  test("a single-node cluster elects itself and commits after advance", () => {
    const net = new Network([1]);
    net.elect(1);
    assert.equal(net.node(1).status().role, "leader");
    assert.equal(net.node(1).status().commit, 1);
  });
});

describe("configuration validation", () => {
  const base = (): RaftConfig => testConfig(1, new MemoryStorage());
  const cases: Array<[keyof RaftConfig, unknown]> = [
    ["id", 0],
    ["electionTimeoutTicks", 1],
    ["heartbeatIntervalTicks", 10],
    ["maxEntriesPerAppend", 0],
    ["maxBytesPerAppend", -1],
    ["maxInflightAppends", 0],
    ["maxUncommittedEntriesBytes", 1.5],
    ["leaseClockDriftMarginTicks", 10],
    ["maxPendingReadIndex", 0],
    ["applied", -1],
  ];
  for (const [field, value] of cases) {
    test(`an invalid ${field} is refused with a RangeError naming it`, () => {
      const config = { ...base(), [field]: value } as RaftConfig;
      assert.throws(() => new RawNode(config), (error: unknown) => {
        return error instanceof RangeError && error.message.includes(field);
      });
    });
  }

  test("an applied index past the commit is refused", () => {
    const config = { ...base(), applied: 3, random: new SeededRandom(1) };
    assert.throws(() => new RawNode(config), RangeError);
  });
});
