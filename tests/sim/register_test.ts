import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { decodeCommand, encodeCommand, Register } from "./register.ts";
import { SimDisk } from "./disk.ts";
import { EventQueue } from "./event_queue.ts";
import { EntryType } from "../../src/raft/types.ts";

describe("simulated register", () => {
  test("applies a retried write once", () => {
    const register = new Register();
    assert.equal(register.apply({ clientId: 1, seq: 1, kind: "append", key: "k", value: "a" }), true);
    assert.equal(register.apply({ clientId: 1, seq: 1, kind: "append", key: "k", value: "a" }), false);
    assert.equal(register.get("k"), "a");
  });

  test("ignores an abandoned older sequence that arrives after a newer one", () => {
    const register = new Register();
    register.apply({ clientId: 1, seq: 2, kind: "put", key: "k", value: "new" });
    assert.equal(register.apply({ clientId: 1, seq: 1, kind: "put", key: "k", value: "old" }), false);
    assert.equal(register.get("k"), "new");
  });

  test("round-trips commands and snapshots", () => {
    const command = { clientId: 3, seq: 9, kind: "put" as const, key: "b", value: 'v"x' };
    assert.deepEqual(decodeCommand(encodeCommand(command)), command);
    const register = new Register();
    register.apply(command);
    const copy = Register.restore(register.snapshot());
    assert.equal(copy.get("b"), 'v"x');
    assert.equal(copy.apply(command), false);
  });
});

describe("simulated disk", () => {
  const conf = { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  const entry = (index: number, term: number) => ({
    index,
    term,
    type: EntryType.Normal,
    data: new Uint8Array(0),
  });

  test("loses a write that was not yet durable when the node crashes", () => {
    const disk = new SimDisk(conf);
    disk.beginWrite({ snapshot: null, entries: [entry(1, 1)], hardState: { term: 1, vote: 1, commit: 0 } });
    disk.completeWrite();
    disk.beginWrite({ snapshot: null, entries: [entry(2, 1)], hardState: { term: 2, vote: 1, commit: 1 } });
    disk.crash(0);
    const storage = disk.loadStorage();
    assert.equal(storage.lastIndex(), 1);
    assert.equal(storage.initialState().hardState.term, 1);
  });

  test("keeps a torn prefix of entries but never the hard state of the lost write", () => {
    const disk = new SimDisk(conf);
    disk.beginWrite({
      snapshot: null,
      entries: [entry(1, 1), entry(2, 1), entry(3, 1)],
      hardState: { term: 1, vote: 1, commit: 3 },
    });
    disk.crash(2);
    const storage = disk.loadStorage();
    assert.equal(storage.lastIndex(), 2);
    assert.equal(storage.initialState().hardState.commit, 0);
  });

  test("overwrites a conflicting suffix", () => {
    const disk = new SimDisk(conf);
    disk.beginWrite({ snapshot: null, entries: [entry(1, 1), entry(2, 1), entry(3, 1)], hardState: null });
    disk.completeWrite();
    disk.beginWrite({ snapshot: null, entries: [entry(2, 2)], hardState: null });
    disk.completeWrite();
    const storage = disk.loadStorage();
    assert.equal(storage.lastIndex(), 2);
    assert.equal(storage.term(2), 2);
  });
});

describe("event queue", () => {
  test("runs events by time, and in scheduling order at the same time", () => {
    const queue = new EventQueue();
    const seen: string[] = [];
    queue.schedule(5, () => seen.push("c"));
    queue.schedule(1, () => seen.push("a"));
    queue.schedule(5, () => seen.push("d"));
    queue.schedule(2, () => seen.push("b"));
    for (let event = queue.pop(); event !== null; event = queue.pop()) event.run();
    assert.deepEqual(seen, ["a", "b", "c", "d"]);
  });
});
