import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MemoryDisk, MemoryLogStorage, openStorage } from "../../adapters/storage/mod.ts";
import { StorageClosedError } from "../../src/ports/storage.ts";
import { makeEntries, storageConformance } from "./storage.ts";

storageConformance({
  name: "memory",
  skip: false,
  create: () => {
    const disk = new MemoryDisk();
    return Promise.resolve({
      open: () => openStorage("memory", "", { disk }),
      cleanup: () => Promise.resolve(),
    });
  },
});

const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("memory storage crash simulation", () => {
  test("a crash loses writes that were not synced and kills the open log", async () => {
    const disk = new MemoryDisk({ autoSync: false });
    const log = MemoryLogStorage.open(disk);
    const first = log.append(makeEntries(1, 3, 1));
    await nextTurn();
    disk.sync();
    await first;
    const lost = log.append(makeEntries(4, 2, 1));
    const lostState = log.saveHardState({ term: 1, vote: 1, commit: 3 });
    await nextTurn();
    assert.equal(disk.unsyncedBatches(), 1);
    disk.crash();
    await assert.rejects(lost, StorageClosedError);
    await assert.rejects(lostState, StorageClosedError);
    await assert.rejects(log.append(makeEntries(4, 1, 1)), StorageClosedError);
    const reopened = MemoryLogStorage.open(disk);
    assert.equal(reopened.lastIndex(), 3);
    assert.deepEqual(reopened.hardState(), { term: 0, vote: 0, commit: 0 });
  });

  test("a crash may keep a prefix of the unsynced batches, as a real disk might", async () => {
    const disk = new MemoryDisk({ autoSync: false });
    const log = MemoryLogStorage.open(disk);
    const writes = [log.append(makeEntries(1, 2, 1))];
    await nextTurn();
    writes.push(log.append(makeEntries(3, 2, 1)));
    await nextTurn();
    assert.equal(disk.unsyncedBatches(), 1, "the second batch waits for the first one's sync");
    disk.crash({ keepUnsyncedBatches: 1 });
    await Promise.allSettled(writes);
    assert.equal(MemoryLogStorage.open(disk).lastIndex(), 2);
  });

  test("a custom scheduler decides when queued writes are flushed, as a deterministic simulator needs", async () => {
    const scheduled: (() => void)[] = [];
    const log = MemoryLogStorage.open(new MemoryDisk(), { schedule: (run) => scheduled.push(run) });
    let durable = false;
    const writes = Promise.all([
      log.append(makeEntries(1, 2, 1)),
      log.saveHardState({ term: 1, vote: 1, commit: 0 }),
    ]).then(() => (durable = true));
    await Promise.resolve();
    assert.equal(scheduled.length, 1, "one flush for both writes");
    assert.equal(durable, false);
    assert.equal(log.lastIndex(), 0);
    scheduled.shift()!();
    await writes;
    assert.equal(log.lastIndex(), 2);
    assert.deepEqual(log.hardState(), { term: 1, vote: 1, commit: 0 });
    assert.equal(scheduled.length, 0);
  });
});
