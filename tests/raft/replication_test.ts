import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  makeMessage,
  type Message,
  MessageType,
  NotLeaderError,
  ProposalDroppedError,
  type RaftConfig,
  RawNode,
} from "../../src/raft/mod.ts";
import { bytes, Network, text } from "./_network.ts";

class CommitsOldTerms extends RawNode {
  protected override mayCommitEntryOfTerm(_term: number): boolean {
    return true;
  }
}

function appsTo(queue: Message[], to: number): Message[] {
  return queue.filter((m) => m.type === MessageType.App && m.to === to);
}

function logOf(net: Network, id: number): string[] {
  const storage = net.member(id).storage;
  const out: string[] = [];
  for (let i = storage.firstIndex(); i <= storage.lastIndex(); i++) {
    const [entry] = storage.entries(i, i + 1, Infinity);
    out.push(`${entry!.index}@${entry!.term}:${text(entry!.data)}`);
  }
  return out;
}

describe("log replication", () => {
  test("many proposals between two ready() calls go out as one append per follower", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    for (let i = 0; i < 100; i++) net.node(1).propose(bytes(`p${i}`));
    net.processReady(1);
    assert.equal(appsTo(net.queue, 2).length, 1);
    assert.equal(appsTo(net.queue, 2)[0]!.entries.length, 100);
    assert.equal(appsTo(net.queue, 3).length, 1);
    net.drain();
    assert.equal(net.appliedData(3).length, 100);
  });

  test("appends are pipelined up to maxInflightAppends per follower, then wait for replies", () => {
    const net = new Network([1, 2, 3], { maxInflightAppends: 3, maxEntriesPerAppend: 1 });
    net.elect(1);
    for (let i = 0; i < 10; i++) net.node(1).propose(bytes(`p${i}`));
    net.processReady(1);
    assert.equal(appsTo(net.queue, 2).length, 3);
    assert.equal(net.node(1).status().progress.find((p) => p.id === 2)!.inflightAppends, 3);
    net.deliverQueued((m) => m.to === 2);
    net.processReady(2);
    net.deliverQueued((m) => m.to === 1 && m.from === 2);
    net.processReady(1);
    assert.equal(appsTo(net.queue, 2).length, 3, "three more after three replies");
    net.drain();
    assert.equal(net.appliedData(2).length, 10);
  });

  test("a follower in probe state gets one append at a time", () => {
    const net = new Network([1, 2, 3], { maxInflightAppends: 3, maxEntriesPerAppend: 1 });
    net.elect(1);
    net.node(1).reportUnreachable(3);
    assert.equal(net.node(1).status().progress.find((p) => p.id === 3)!.state, "probe");
    for (let i = 0; i < 5; i++) net.node(1).propose(bytes(`p${i}`));
    net.processReady(1);
    assert.equal(appsTo(net.queue, 3).length, 1);
    assert.equal(appsTo(net.queue, 2).length, 3);
    net.drain();
    assert.equal(net.node(1).status().progress.find((p) => p.id === 3)!.state, "replicate");
    assert.equal(net.appliedData(3).length, 5);
  });

  test("a new leader commits a no-op of its term first", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(1);
    net.restart(2);
    net.restart(3);
    net.elect(2);
    const log = logOf(net, 3);
    assert.deepEqual(log, ["1@1:", "2@2:"]);
    assert.equal(net.node(3).status().commit, 2);
  });

  test("the leader counts itself toward commit only after advance() acknowledges its entries", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    const leader = net.node(1);
    leader.propose(bytes("a"));
    const ready = leader.ready();
    assert.equal(ready.entries.length, 1);
    net.queue.push(...ready.messages);
    net.deliverQueued((m) => m.to === 2);
    net.processReady(2);
    net.deliverQueued((m) => m.to === 1);
    assert.equal(leader.status().commit, 1, "only follower 2 holds entry 2 durably");
    net.member(1).storage.append(ready.entries);
    leader.advance();
    assert.equal(leader.status().commit, 2);
  });

  test("an append carries at most maxEntriesPerAppend entries and maxBytesPerAppend bytes, but at least one", () => {
    const net = new Network([1, 2, 3], { maxEntriesPerAppend: 4, maxBytesPerAppend: 100 });
    net.elect(1);
    for (let i = 0; i < 10; i++) net.node(1).propose(new Uint8Array(10));
    net.node(1).propose(new Uint8Array(500));
    net.drain();
    const apps = net.delivered.filter((m) => m.type === MessageType.App && m.entries.length > 0);
    for (const app of apps) {
      assert.ok(app.entries.length <= 4);
      const bytes = app.entries.reduce((sum, e) => sum + e.data.byteLength + 24, 0);
      assert.ok(app.entries.length === 1 || bytes <= 100, `${bytes} bytes in ${app.entries.length} entries`);
    }
    assert.ok(apps.some((m) => m.entries.length === 1 && m.entries[0]!.data.byteLength === 500));
    assert.equal(net.appliedData(3).length, 11);
  });

  test("a single node commits its proposal only in the Ready after the one that persisted it", () => {
    const net = new Network([1]);
    net.elect(1);
    const node = net.node(1);
    node.propose(bytes("solo"));
    const first = node.ready();
    assert.equal(first.entries.length, 1);
    assert.equal(first.committedEntries.length, 0);
    net.member(1).storage.append(first.entries);
    node.advance();
    const second = node.ready();
    assert.deepEqual(second.committedEntries.map((e) => text(e.data)), ["solo"]);
    node.advance();
  });

  test("append messages may be sent before persisting, replies only after", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(1).propose(bytes("a"));
    const leaderReady = net.node(1).ready();
    assert.ok(leaderReady.messages.every((m) => m.type === MessageType.App));
    assert.equal(leaderReady.messagesAfterPersist.length, 0);
    net.member(1).storage.append(leaderReady.entries);
    net.node(1).advance();
    net.node(2).step(leaderReady.messages.find((m) => m.to === 2)!);
    const followerReady = net.node(2).ready();
    assert.equal(followerReady.messages.length, 0);
    assert.deepEqual(followerReady.messagesAfterPersist.map((m) => m.type), [MessageType.AppResp]);
    assert.ok(followerReady.mustSync);
    net.node(2).advance();
  });

  test("a follower refuses proposals with NotLeaderError naming the leader", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    assert.throws(
      () => net.node(2).propose(bytes("x")),
      (e: unknown) => e instanceof NotLeaderError && e.leaderHint === 1,
    );
  });

  test("proposals beyond maxUncommittedEntriesBytes are dropped until entries commit", () => {
    const net = new Network([1, 2, 3], { maxUncommittedEntriesBytes: 10 });
    net.elect(1);
    net.isolate(2);
    net.isolate(3);
    net.node(1).propose(new Uint8Array(8));
    assert.throws(() => net.node(1).propose(new Uint8Array(8)), ProposalDroppedError);
    net.heal();
    net.drain();
    net.node(1).propose(new Uint8Array(8));
  });

  test("a forwarded proposal (Prop) from a follower is appended by the leader", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(2).step({
      type: MessageType.Prop,
      to: 2,
      from: 2,
      term: 0,
      logTerm: 0,
      index: 0,
      entries: [{ term: 0, index: 0, type: 0, data: bytes("fwd") }],
      commit: 0,
      snapshot: null,
      reject: false,
      rejectHint: 0,
      context: new Uint8Array(0),
    });
    net.drain();
    assert.deepEqual(net.appliedData(3), ["fwd"]);
  });
});

describe("conflicts and backtracking", () => {
  test("a divergent follower log is found with few rejections using term hints, then overwritten", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(1);
    for (let i = 0; i < 50; i++) net.node(1).propose(bytes(`lost${i}`));
    net.drain();
    net.restart(2);
    net.restart(3);
    net.elect(2);
    for (let i = 0; i < 50; i++) net.node(2).propose(bytes(`kept${i}`));
    net.drain();
    net.heal();
    net.delivered = [];
    net.node(2).step(makeMessage({ type: MessageType.Beat, to: 2, from: 2 }));
    net.drain();
    const rejections = net.delivered.filter((m) =>
      m.type === MessageType.AppResp && m.from === 1 && m.reject
    );
    assert.ok(rejections.length <= 2, `${rejections.length} rejections`);
    assert.deepEqual(logOf(net, 1), logOf(net, 2));
    assert.ok(!net.appliedData(1).some((d) => d.startsWith("lost")));
  });

  test("a stale, reordered append never truncates the follower's log nor lowers the leader's match", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(1).propose(bytes("a"));
    net.processReady(1);
    const stale = appsTo(net.queue, 2)[0]!;
    net.drain();
    net.node(1).propose(bytes("b"));
    net.node(1).propose(bytes("c"));
    net.drain();
    const before = logOf(net, 2);
    assert.equal(before.length, 4);
    net.node(2).step(stale);
    net.drain();
    assert.deepEqual(logOf(net, 2), before);
    assert.equal(net.node(2).status().lastIndex, 4);
    assert.equal(net.node(1).status().progress.find((p) => p.id === 2)!.match, 4);
  });

  test("a stale append reply never lowers match", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(1).propose(bytes("a"));
    net.drain();
    const old = net.delivered.filter((m) => m.type === MessageType.AppResp && m.from === 2)[0]!;
    net.node(1).propose(bytes("b"));
    net.drain();
    net.node(1).step(old);
    assert.equal(net.node(1).status().progress.find((p) => p.id === 2)!.match, 3);
    net.node(1).step({ ...old, reject: true, index: 1, rejectHint: 0, logTerm: 0 });
    assert.equal(net.node(1).status().progress.find((p) => p.id === 2)!.match, 3);
    assert.equal(net.node(1).status().progress.find((p) => p.id === 2)!.state, "replicate");
  });
});

/** Figure 8 of the Raft paper, in five nodes, with appends of one entry so replication can be cut between. */
function figure8(factory?: (c: RaftConfig) => RawNode): Network {
  const net = new Network(
    [1, 2, 3, 4, 5],
    factory ? { maxEntriesPerAppend: 1, factory } : { maxEntriesPerAppend: 1 },
  );
  net.elect(1);
  // Term 1: node 1 appends "x" at index 2 and only node 2 gets it.
  net.isolate(3);
  net.isolate(4);
  net.isolate(5);
  net.node(1).propose(bytes("x"));
  net.drain();
  // Term 2: node 5 wins with 3 and 4, appends its no-op at index 2, which reaches nobody.
  net.heal();
  net.isolate(1);
  net.isolate(2);
  net.restart(3);
  net.restart(4);
  net.dropIf = (m) => m.type === MessageType.App && m.from === 5;
  net.elect(5);
  assert.equal(net.node(5).status().role, "leader");
  // Term 3: node 1 comes back, wins with 2, 3, 4 and copies "x" (term 1) to a majority; its own term-3
  // no-op at index 3 does not get through.
  net.heal();
  net.isolate(5);
  for (const id of [1, 2, 3, 4]) net.restart(id);
  // Let the first probe through to 3 and 4 (they reject it: no index 2), then drop every term-3 entry.
  net.dropIf = (m) =>
    m.type === MessageType.App && m.entries.some((e) => e.term === 3) &&
    (m.to === 2 || net.node(m.to).status().lastIndex >= 2);
  net.elect(1);
  net.elect(1);
  assert.equal(net.node(1).status().role, "leader");
  assert.equal(net.node(1).status().term, 3);
  return net;
}

describe("Figure 8", () => {
  test("a leader does not commit an entry of an older term held by a majority", () => {
    const net = figure8();
    const matches = net.node(1).status().progress.filter((p) => p.match >= 2).length;
    assert.ok(matches >= 3, `x is on ${matches} nodes`);
    assert.equal(net.node(1).status().commit, 1);
    // Term 4: node 5 wins and overwrites index 2; nothing committed is lost.
    net.dropIf = null;
    net.heal();
    net.isolate(1);
    for (const id of [2, 3, 4, 5]) net.restart(id);
    net.elect(5);
    net.elect(5);
    assert.equal(net.node(5).status().role, "leader");
    net.heal();
    net.tick(1);
    for (const id of [1, 2, 3, 4, 5]) {
      assert.deepEqual(logOf(net, id), logOf(net, 5));
      assert.ok(!net.appliedData(id).includes("x"));
    }
  });

  test("the planted commit-rule bug commits the old-term entry (the hook reaches the commit path)", () => {
    const net = figure8((c) => new CommitsOldTerms(c));
    assert.equal(net.node(1).status().commit, 2);
    assert.deepEqual(net.appliedData(1), ["x"]);
  });
});
