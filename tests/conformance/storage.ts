/**
 * The storage conformance suite: every LogStorage/SnapshotStorage adapter, under every runtime it supports,
 * must pass it. Call {@link storageConformance} from a `*_test.ts` file with a factory for the adapter.
 *
 * @module
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { LogStorage, SnapshotStorage } from "../../src/ports/storage.ts";
import { StorageClosedError } from "../../src/ports/storage.ts";
import { emptyConfState } from "../../src/raft/types.ts";
import type { Entry, Snapshot } from "../../src/raft/types.ts";
import { makeEntries, makeEntry } from "./_storage_data.ts";

/** An open log and snapshot store. */
export interface OpenedStorage {
  log: LogStorage;
  snapshots: SnapshotStorage;
}

/** One place (a directory, a simulated disk) that can be opened again and again. */
export interface StorageHarness {
  /** Opens the storage on this place (fresh the first time; what was durable afterwards). */
  open(): Promise<OpenedStorage>;
  /** Removes the place. */
  cleanup(): Promise<void>;
}

/** An adapter under test. */
export interface AdapterUnderTest {
  name: string;
  /** A reason to skip on this runtime, or false. */
  skip: string | false;
  create(): Promise<StorageHarness>;
}

export { makeEntries, makeEntry } from "./_storage_data.ts";

function snapshotAt(index: number, term: number, size = 16): Snapshot {
  const confState = { ...emptyConfState(), voters: [1, 2, 3], learners: [4] };
  return { metadata: { index, term, confState }, data: new Uint8Array(size).fill(index & 0xff) };
}

async function closeAll(opened: OpenedStorage): Promise<void> {
  await opened.log.close();
  await opened.snapshots.close();
}

/** Asserts that `log` holds exactly `expected` (consecutive) after the boundary (compactIndex, compactTerm). */
function assertLog(log: LogStorage, expected: Entry[], compactIndex: number, compactTerm: number): void {
  assert.equal(log.firstIndex(), compactIndex + 1, "firstIndex");
  assert.equal(log.lastIndex(), compactIndex + expected.length, "lastIndex");
  assert.equal(log.term(compactIndex), compactTerm, "term of the compacted boundary");
  const read = log.entries(log.firstIndex(), log.lastIndex() + 1, Infinity);
  assert.deepEqual(read, expected);
}

/**
 * Registers the suite for one adapter.
 *
 * @param adapter The adapter and its factory.
 */
export function storageConformance(adapter: AdapterUnderTest): void {
  const it = (name: string, body: (harness: StorageHarness) => Promise<void>) =>
    test(`${adapter.name}: ${name}`, { skip: adapter.skip }, async () => {
      const harness = await adapter.create();
      try {
        await body(harness);
      } finally {
        await harness.cleanup();
      }
    });

  describe(`storage conformance (${adapter.name})`, () => {
    it("a fresh log is empty with a zero hard state", async (h) => {
      const s = await h.open();
      assert.equal(s.log.firstIndex(), 1);
      assert.equal(s.log.lastIndex(), 0);
      assert.equal(s.log.term(0), 0);
      assert.deepEqual(s.log.hardState(), { term: 0, vote: 0, commit: 0 });
      assert.deepEqual(s.log.recovered(), {
        hardState: { term: 0, vote: 0, commit: 0 },
        firstIndex: 1,
        lastIndex: 0,
        compactedTerm: 0,
      });
      assert.equal(await s.snapshots.loadNewest(), null);
      await closeAll(s);
    });

    it("appended entries read back with their terms, types and data", async (h) => {
      const s = await h.open();
      const entries = [...makeEntries(1, 5, 1), ...makeEntries(6, 5, 3)];
      await s.log.append(entries.slice(0, 5));
      await s.log.append(entries.slice(5));
      assertLog(s.log, entries, 0, 0);
      assert.equal(s.log.term(7), 3);
      assert.deepEqual(s.log.entries(3, 6, Infinity), entries.slice(2, 5));
      await closeAll(s);
    });

    it("entries() stops at the byte limit but always returns at least one entry", async (h) => {
      const s = await h.open();
      await s.log.append(Array.from({ length: 10 }, (_, i) => makeEntry(i + 1, 1, 100)));
      assert.equal(s.log.entries(1, 11, 0).length, 1);
      assert.equal(s.log.entries(1, 11, 99).length, 1);
      assert.equal(s.log.entries(1, 11, 250).length, 2);
      assert.equal(s.log.entries(1, 11, 1000).length, 10);
      assert.equal(s.log.entries(4, 4, 1000).length, 0);
      await closeAll(s);
    });

    it("reads outside the log throw RangeError", async (h) => {
      const s = await h.open();
      await s.log.append(makeEntries(1, 3, 1));
      assert.throws(() => s.log.term(4), RangeError);
      assert.throws(() => s.log.entries(0, 2, Infinity), RangeError);
      assert.throws(() => s.log.entries(2, 5, Infinity), RangeError);
      await s.log.compact(2);
      assert.throws(() => s.log.term(1), RangeError);
      assert.throws(() => s.log.entries(2, 4, Infinity), RangeError);
      await closeAll(s);
    });

    it("an append overlapping the tail replaces the conflicting suffix", async (h) => {
      const s = await h.open();
      await s.log.append(makeEntries(1, 10, 1));
      await s.log.append(makeEntries(6, 2, 2));
      assertLog(s.log, [...makeEntries(1, 5, 1), ...makeEntries(6, 2, 2)], 0, 0);
      await closeAll(s);
      const reopened = await h.open();
      assertLog(reopened.log, [...makeEntries(1, 5, 1), ...makeEntries(6, 2, 2)], 0, 0);
      await closeAll(reopened);
    });

    it("appends that would leave a hole, go into the compacted prefix or lower the term are rejected", async (h) => {
      const s = await h.open();
      await s.log.append(makeEntries(1, 5, 2));
      await assert.rejects(s.log.append(makeEntries(7, 1, 2)), RangeError);
      await assert.rejects(s.log.append([makeEntry(6, 1)]), RangeError);
      await assert.rejects(s.log.append([makeEntry(6, 2), makeEntry(8, 2)]), RangeError);
      await assert.rejects(s.log.append([]), RangeError);
      await s.log.compact(3);
      await assert.rejects(s.log.append(makeEntries(3, 2, 2)), RangeError);
      assertLog(s.log, makeEntries(4, 2, 2), 3, 2);
      await closeAll(s);
    });

    it("truncateSuffix drops the tail and appends continue from there", async (h) => {
      const s = await h.open();
      await s.log.append(makeEntries(1, 8, 1));
      await s.log.truncateSuffix(5);
      assertLog(s.log, makeEntries(1, 4, 1), 0, 0);
      await s.log.truncateSuffix(5);
      await assert.rejects(s.log.truncateSuffix(7), RangeError);
      await s.log.append(makeEntries(5, 2, 4));
      await closeAll(s);
      const reopened = await h.open();
      assertLog(reopened.log, [...makeEntries(1, 4, 1), ...makeEntries(5, 2, 4)], 0, 0);
      await closeAll(reopened);
    });

    it("compact drops the prefix, keeps the boundary's term, and is a no-op when repeated", async (h) => {
      const s = await h.open();
      await s.log.append([...makeEntries(1, 4, 1), ...makeEntries(5, 4, 2)]);
      await s.log.compact(5);
      assertLog(s.log, makeEntries(6, 3, 2), 5, 2);
      await s.log.compact(3);
      assertLog(s.log, makeEntries(6, 3, 2), 5, 2);
      await assert.rejects(s.log.compact(9), RangeError);
      await s.log.compact(8);
      assertLog(s.log, [], 8, 2);
      await s.log.append(makeEntries(9, 1, 3));
      await closeAll(s);
      const reopened = await h.open();
      assertLog(reopened.log, makeEntries(9, 1, 3), 8, 2);
      assert.equal(reopened.log.recovered().compactedTerm, 2);
      await closeAll(reopened);
    });

    it("resetToSnapshot discards the log and restarts it after the snapshot", async (h) => {
      const s = await h.open();
      await s.log.append(makeEntries(1, 6, 1));
      await s.log.compact(2);
      await assert.rejects(s.log.resetToSnapshot(1, 1), RangeError);
      await s.log.resetToSnapshot(100, 7);
      assertLog(s.log, [], 100, 7);
      await s.log.append(makeEntries(101, 2, 8));
      await s.log.resetToSnapshot(150, 9);
      assertLog(s.log, [], 150, 9);
      await s.log.append(makeEntries(151, 3, 9));
      await closeAll(s);
      const reopened = await h.open();
      assertLog(reopened.log, makeEntries(151, 3, 9), 150, 9);
      await closeAll(reopened);
    });

    it("the hard state is durable once saved and survives a reopen", async (h) => {
      const s = await h.open();
      await s.log.saveHardState({ term: 3, vote: 2, commit: 0 });
      assert.deepEqual(s.log.hardState(), { term: 3, vote: 2, commit: 0 });
      await s.log.append(makeEntries(1, 3, 3));
      await s.log.saveHardState({ term: 3, vote: 2, commit: 3 });
      await assert.rejects(s.log.saveHardState({ term: -1, vote: 0, commit: 0 }), RangeError);
      await closeAll(s);
      const reopened = await h.open();
      assert.deepEqual(reopened.log.hardState(), { term: 3, vote: 2, commit: 3 });
      assert.deepEqual(reopened.log.recovered().hardState, { term: 3, vote: 2, commit: 3 });
      await closeAll(reopened);
    });

    it("writes issued without waiting are group-committed, in order, and all durable", async (h) => {
      const s = await h.open();
      const writes: Promise<void>[] = [];
      for (let i = 1; i <= 300; i++) {
        writes.push(s.log.append([makeEntry(i, 1 + Math.floor(i / 100))]));
        if (i % 50 === 0) {
          writes.push(s.log.saveHardState({ term: 1 + Math.floor(i / 100), vote: 1, commit: i - 10 }));
        }
      }
      writes.push(s.log.truncateSuffix(291), s.log.compact(20));
      await Promise.all(writes);
      const expected = Array.from(
        { length: 270 },
        (_, i) => makeEntry(21 + i, 1 + Math.floor((21 + i) / 100)),
      );
      assertLog(s.log, expected, 20, 1);
      await closeAll(s);
      const reopened = await h.open();
      assertLog(reopened.log, expected, 20, 1);
      assert.deepEqual(reopened.log.hardState(), { term: 4, vote: 1, commit: 290 });
      await closeAll(reopened);
    });

    it("a rejected call does not disturb the writes queued around it", async (h) => {
      const s = await h.open();
      const first = s.log.append(makeEntries(1, 2, 1));
      const bad = s.log.append(makeEntries(5, 1, 1));
      const next = s.log.append(makeEntries(3, 2, 1));
      await assert.rejects(bad, RangeError);
      await first;
      await next;
      assertLog(s.log, makeEntries(1, 4, 1), 0, 0);
      await closeAll(s);
    });

    it("entries of 1 MiB round-trip across a reopen", async (h) => {
      const s = await h.open();
      const big = [makeEntry(1, 1, 1024 * 1024), makeEntry(2, 1, 0), makeEntry(3, 1, 1024 * 1024 + 3)];
      await s.log.append(big);
      assertLog(s.log, big, 0, 0);
      await closeAll(s);
      const reopened = await h.open();
      assertLog(reopened.log, big, 0, 0);
      await closeAll(reopened);
    });

    it("a closed log refuses writes", async (h) => {
      const s = await h.open();
      await s.log.append(makeEntries(1, 1, 1));
      await closeAll(s);
      await assert.rejects(s.log.append(makeEntries(2, 1, 1)), StorageClosedError);
      await assert.rejects(s.snapshots.save(snapshotAt(1, 1)), StorageClosedError);
    });

    it("snapshots: the newest is loaded, only the last N are kept, and they survive a reopen", async (h) => {
      const s = await h.open();
      await s.snapshots.save(snapshotAt(10, 1));
      await s.snapshots.save(snapshotAt(20, 2, 100_000));
      await s.snapshots.save(snapshotAt(30, 3));
      assert.deepEqual(await s.snapshots.list(), [20, 30]);
      assert.deepEqual(await s.snapshots.loadNewest(), snapshotAt(30, 3));
      await assert.rejects(s.snapshots.save(snapshotAt(30, 3)), RangeError);
      await assert.rejects(s.snapshots.save(snapshotAt(25, 3)), RangeError);
      await closeAll(s);
      const reopened = await h.open();
      assert.deepEqual(await reopened.snapshots.loadNewest(), snapshotAt(30, 3));
      await reopened.snapshots.save(snapshotAt(40, 4));
      assert.deepEqual(await reopened.snapshots.list(), [30, 40]);
      await closeAll(reopened);
    });

    it("randomized operation sequences match a model, across reopens", async (h) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(operationArbitrary, { minLength: 1, maxLength: 40 }),
          async (operations) => {
            const opened = { current: await h.open() };
            const model = new LogModel();
            model.compactIndex = opened.current.log.lastIndex();
            model.compactTerm = opened.current.log.term(model.compactIndex);
            model.hardState = opened.current.log.hardState();
            try {
              for (const operation of operations) await applyOperation(operation, model, opened, h);
              assertLog(opened.current.log, model.entries, model.compactIndex, model.compactTerm);
              await closeAll(opened.current);
              opened.current = await h.open();
              assertLog(opened.current.log, model.entries, model.compactIndex, model.compactTerm);
              assert.deepEqual(opened.current.log.hardState(), model.hardState);
            } finally {
              await closeAll(opened.current);
              await resetPlace(h);
            }
          },
        ),
        { numRuns: 25 },
      );
    });
  });
}

/** Empties the place between property runs by resetting the log (cheaper than a new directory). */
async function resetPlace(h: StorageHarness): Promise<void> {
  const s = await h.open();
  await s.log.resetToSnapshot(s.log.lastIndex(), s.log.term(s.log.lastIndex()));
  await s.log.truncateSuffix(s.log.lastIndex() + 1);
  await closeAll(s);
}

type Operation =
  | { kind: "append"; back: number; count: number; termBump: number }
  | { kind: "truncate"; back: number }
  | { kind: "compact"; forward: number }
  | { kind: "reset"; ahead: number; termBump: number }
  | { kind: "hardState"; term: number; commit: number }
  | { kind: "burst"; count: number }
  | { kind: "reopen" };

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      back: fc.nat(4),
      count: fc.integer({ min: 1, max: 12 }),
      termBump: fc.nat(2),
    }),
    weight: 6,
  },
  { arbitrary: fc.record({ kind: fc.constant("truncate" as const), back: fc.nat(5) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("compact" as const), forward: fc.nat(8) }), weight: 2 },
  {
    arbitrary: fc.record({ kind: fc.constant("reset" as const), ahead: fc.nat(20), termBump: fc.nat(2) }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ kind: fc.constant("hardState" as const), term: fc.nat(50), commit: fc.nat(200) }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant("burst" as const), count: fc.integer({ min: 2, max: 20 }) }),
    weight: 2,
  },
  { arbitrary: fc.constant({ kind: "reopen" as const }), weight: 1 },
);

/** The reference: a plain array of entries after the compacted boundary. */
class LogModel {
  entries: Entry[] = [];
  compactIndex = 0;
  compactTerm = 0;
  hardState = { term: 0, vote: 0, commit: 0 };
  lastIndex(): number {
    return this.compactIndex + this.entries.length;
  }
  lastTerm(): number {
    return this.entries.at(-1)?.term ?? this.compactTerm;
  }
  termAt(index: number): number {
    return index === this.compactIndex ? this.compactTerm : this.entries[index - this.compactIndex - 1]!.term;
  }
  append(entries: Entry[]): void {
    this.entries.length = entries[0]!.index - this.compactIndex - 1;
    this.entries.push(...entries);
  }
}

async function applyOperation(
  operation: Operation,
  model: LogModel,
  opened: { current: OpenedStorage },
  h: StorageHarness,
): Promise<void> {
  const log = opened.current.log;
  switch (operation.kind) {
    case "append": {
      const first = Math.max(model.compactIndex + 1, model.lastIndex() + 1 - operation.back);
      const term = Math.max(1, model.termAt(first - 1)) + operation.termBump;
      const entries = makeEntries(first, operation.count, term);
      await log.append(entries);
      model.append(entries);
      return;
    }
    case "truncate": {
      const from = Math.max(model.compactIndex + 1, model.lastIndex() + 1 - operation.back);
      await log.truncateSuffix(from);
      model.entries.length = from - model.compactIndex - 1;
      return;
    }
    case "compact": {
      const through = Math.min(model.lastIndex(), model.compactIndex + operation.forward);
      await log.compact(through);
      if (through > model.compactIndex) {
        model.compactTerm = model.termAt(through);
        model.entries.splice(0, through - model.compactIndex);
        model.compactIndex = through;
      }
      return;
    }
    case "reset": {
      const index = model.lastIndex() + operation.ahead;
      const term = model.lastTerm() + operation.termBump;
      await log.resetToSnapshot(index, term);
      model.entries = [];
      model.compactIndex = index;
      model.compactTerm = term;
      return;
    }
    case "hardState": {
      const hardState = { term: operation.term, vote: operation.term % 3, commit: operation.commit };
      await log.saveHardState(hardState);
      model.hardState = hardState;
      return;
    }
    case "burst": {
      const writes: Promise<void>[] = [];
      const term = Math.max(1, model.lastTerm());
      for (let i = 0; i < operation.count; i++) {
        const entry = makeEntry(model.lastIndex() + 1, term);
        writes.push(log.append([entry]));
        model.append([entry]);
      }
      await Promise.all(writes);
      return;
    }
    case "reopen":
      await closeAll(opened.current);
      opened.current = await h.open();
      assertLog(opened.current.log, model.entries, model.compactIndex, model.compactTerm);
      return;
  }
}
