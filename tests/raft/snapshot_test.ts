import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  CompactedError,
  EntryType,
  makeMessage,
  MemoryStorage,
  MessageType,
  RawNode,
  SnapshotOutOfDateError,
  UnavailableError,
} from "../../src/raft/mod.ts";
import { bytes, Network, testConfig, text } from "./_network.ts";

const conf = { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };

function entry(index: number, term: number, data = "") {
  return { index, term, type: EntryType.Normal, data: bytes(data) };
}

describe("MemoryStorage", () => {
  test("entries honours the byte budget but always returns at least one entry", () => {
    const storage = new MemoryStorage(conf);
    storage.append([entry(1, 1, "aaaa"), entry(2, 1, "bbbb"), entry(3, 1, "cccc")]);
    assert.equal(storage.entries(1, 4, Infinity).length, 3);
    assert.equal(storage.entries(1, 4, 1).length, 1);
    assert.equal(storage.entries(1, 4, 2 * (24 + 4)).length, 2);
  });

  test("reads below the snapshot throw CompactedError and past the end UnavailableError", () => {
    const storage = new MemoryStorage(conf);
    storage.append([entry(1, 1), entry(2, 1), entry(3, 2)]);
    storage.createSnapshot(2, conf, bytes("s"));
    storage.compact(2);
    assert.equal(storage.firstIndex(), 3);
    assert.equal(storage.term(2), 1);
    assert.throws(() => storage.entries(2, 3, Infinity), CompactedError);
    assert.throws(() => storage.term(1), CompactedError);
    assert.throws(() => storage.term(4), UnavailableError);
    assert.throws(() => storage.entries(3, 5, Infinity), UnavailableError);
  });

  test("append overwrites a conflicting suffix", () => {
    const storage = new MemoryStorage(conf);
    storage.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
    storage.append([entry(2, 2, "new")]);
    assert.equal(storage.lastIndex(), 2);
    assert.equal(storage.term(2), 2);
  });

  test("an older snapshot is refused with SnapshotOutOfDateError", () => {
    const storage = new MemoryStorage(conf);
    storage.applySnapshot({ metadata: { index: 5, term: 2, confState: conf }, data: bytes("") });
    assert.equal(storage.firstIndex(), 6);
    assert.throws(
      () => storage.applySnapshot({ metadata: { index: 4, term: 2, confState: conf }, data: bytes("") }),
      SnapshotOutOfDateError,
    );
  });
});

describe("snapshots", () => {
  test("a follower behind the compacted log receives a snapshot, installs it and catches up", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    for (let i = 0; i < 20; i++) net.node(1).propose(bytes(`e${i}`));
    net.drain();
    const snapshot = net.snapshotAndCompact(1);
    assert.equal(snapshot.metadata.index, 21);
    net.node(1).propose(bytes("after"));
    net.drain();
    net.heal();
    net.tick(3);
    const member = net.member(3);
    assert.equal(member.snapshots.length, 1);
    assert.equal(member.snapshots[0]!.metadata.index, 21);
    assert.deepEqual(member.snapshots[0]!.metadata.confState.voters, [1, 2, 3]);
    assert.equal(text(member.snapshots[0]!.data), "state@21");
    assert.deepEqual(net.appliedData(3), ["after"]);
    assert.equal(net.node(3).status().commit, 22);
    assert.equal(net.node(3).status().applied, 22);
    assert.equal(net.node(1).status().progress.find((p) => p.id === 3)!.state, "replicate");
  });

  test("a snapshot reported failed returns the follower to probing and the snapshot is retried", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    for (let i = 0; i < 5; i++) net.node(1).propose(bytes(`e${i}`));
    net.drain();
    net.snapshotAndCompact(1);
    net.heal();
    let attempts = 0;
    net.dropIf = (m) => m.type === MessageType.Snap && ++attempts > 0;
    net.tick(2);
    assert.ok(attempts >= 1);
    assert.equal(net.member(3).snapshots.length, 0);
    // The network reported each dropped send with reportSnapshot(3, false).
    assert.equal(net.node(1).status().progress.find((p) => p.id === 3)!.state, "probe");
    net.dropIf = null;
    net.tick(3);
    assert.equal(net.member(3).snapshots.length, 1);
    assert.equal(net.node(3).status().commit, 6);
  });

  test("a stale snapshot (at or below the commit index) is ignored", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    for (let i = 0; i < 5; i++) net.node(1).propose(bytes(`e${i}`));
    net.drain();
    const before = net.node(2).status();
    net.node(2).step(makeMessage({
      type: MessageType.Snap,
      to: 2,
      from: 1,
      term: 1,
      snapshot: { metadata: { index: 3, term: 1, confState: { ...conf, voters: [9] } }, data: bytes("old") },
    }));
    const ready = net.node(2).ready();
    assert.equal(ready.snapshot, null);
    assert.equal(ready.messagesAfterPersist[0]!.index, before.commit);
    net.node(2).advance();
    assert.equal(net.node(2).status().lastIndex, before.lastIndex);
    assert.deepEqual(net.node(2).status().confState.voters, [1, 2, 3]);
  });

  test("a snapshot whose index and term the follower holds only moves commit, and the reply claims no more", () => {
    const storage = new MemoryStorage(conf);
    storage.append([
      entry(1, 1, "a"),
      entry(2, 1, "b"),
      entry(3, 1, "c"),
      entry(4, 1, "stale"),
      entry(5, 1, "stale"),
    ]);
    storage.setHardState({ term: 1, vote: 0, commit: 1 });
    const node = new RawNode(testConfig(3, storage));
    node.step(makeMessage({
      type: MessageType.Snap,
      to: 3,
      from: 2,
      term: 2,
      snapshot: { metadata: { index: 3, term: 1, confState: conf }, data: bytes("s") },
    }));
    const ready = node.ready();
    assert.equal(ready.snapshot, null, "no need to install: the log already holds index 3 of term 1");
    const reply = ready.messagesAfterPersist.find((m) => m.type === MessageType.AppResp)!;
    assert.equal(reply.index, 3, "entries 4 and 5 are not known to match the leader");
    node.advance();
    assert.equal(node.status().commit, 3);
    assert.equal(node.status().lastIndex, 5);
  });

  test("a restarted node restores term, vote, commit and configuration from storage", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(1).propose(bytes("a"));
    net.drain();
    net.snapshotAndCompact(2);
    net.node(1).propose(bytes("b"));
    net.drain();
    const before = net.node(2).status();
    net.restart(2);
    const after = net.node(2).status();
    assert.equal(after.term, before.term);
    assert.equal(after.vote, before.vote);
    assert.equal(after.commit, before.commit);
    assert.equal(after.lastIndex, before.lastIndex);
    assert.deepEqual(after.confState, before.confState);
    net.drain();
    assert.deepEqual(net.appliedData(2), ["b"], "replays entries after the snapshot");
  });
});
