import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Command,
  CompactedError,
  encodeCommand,
  FutureRevisionError,
  type KeyValue,
  KvStore,
  type RangeRequest,
  type SortTarget,
  toText,
  utf8,
  type WatchEvent,
} from "../../src/kv/mod.ts";

// A deliberately naive reference model: a full copy of the key map at every revision.
interface ModelKv {
  value: string;
  create: number;
  mod: number;
  version: number;
}
type State = Map<string, ModelKv>;
interface ModelChange {
  type: "put" | "delete";
  key: string;
  revision: number;
}

class Model {
  revision = 1;
  compactRevision = 0;
  readonly states: State[] = [new Map(), new Map()];
  readonly changes: ModelChange[] = [];

  get current(): State {
    return this.states[this.revision]!;
  }

  write(edit: (next: State, revision: number) => void): void {
    const next = new Map(this.current);
    const before = this.changes.length;
    edit(next, this.revision + 1);
    if (this.changes.length === before) return;
    this.revision++;
    this.states[this.revision] = next;
  }

  put(next: State, revision: number, key: string, value: string): void {
    const prev = next.get(key);
    next.set(key, {
      value,
      create: prev?.create ?? revision,
      mod: revision,
      version: (prev?.version ?? 0) + 1,
    });
    this.changes.push({ type: "put", key, revision });
  }

  remove(next: State, revision: number, start: string, end: string | null): void {
    for (const key of [...next.keys()].sort()) {
      if (inRange(key, start, end)) {
        next.delete(key);
        this.changes.push({ type: "delete", key, revision });
      }
    }
  }
}

function inRange(key: string, start: string, end: string | null): boolean {
  return end === null ? key === start : key >= start && key < end;
}

const KEYS = ["a", "ab", "b", "b/1", "b/2", "c"];
const keyArb = fc.constantFrom(...KEYS);
const valueArb = fc.string({ maxLength: 3 });
const endArb = fc.option(fc.constantFrom("ab", "b/", "b0", "c", "d"), { nil: null });

type Op =
  | { op: "put"; key: string; value: string }
  | { op: "delete"; key: string; end: string | null }
  | { op: "txn"; key: string; version: number; value: string }
  | { op: "compact"; back: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant("put" as const), key: keyArb, value: valueArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("delete" as const), key: keyArb, end: endArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("txn" as const),
      key: keyArb,
      version: fc.nat(3),
      value: valueArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("compact" as const), back: fc.nat(4) }) },
);

function toCommand(op: Op, store: KvStore): Command | null {
  switch (op.op) {
    case "put":
      return { type: "put", request: { key: utf8(op.key), value: utf8(op.value) } };
    case "delete":
      return op.end === null
        ? { type: "deleteRange", request: { key: utf8(op.key) } }
        : { type: "deleteRange", request: { key: utf8(op.key), rangeEnd: utf8(op.end) } };
    case "txn":
      return {
        type: "txn",
        request: {
          compare: [{ key: utf8(op.key), target: "version", result: "equal", number: op.version }],
          success: [{ type: "put", request: { key: utf8(op.key), value: utf8(op.value) } }],
          failure: [{ type: "deleteRange", request: { key: utf8(op.key) } }],
        },
      };
    case "compact": {
      const revision = store.revision - op.back;
      return revision > store.compactRevision ? { type: "compact", revision } : null;
    }
  }
}

function applyToModel(model: Model, op: Op): void {
  switch (op.op) {
    case "put":
      return model.write((next, revision) => model.put(next, revision, op.key, op.value));
    case "delete":
      return model.write((next, revision) => model.remove(next, revision, op.key, op.end));
    case "txn":
      return model.write((next, revision) => {
        if ((next.get(op.key)?.version ?? 0) === op.version) model.put(next, revision, op.key, op.value);
        else model.remove(next, revision, op.key, null);
      });
    case "compact":
      model.compactRevision = model.revision - op.back;
  }
}

function expectedRange(
  model: Model,
  start: string,
  end: string | null,
  revision: number,
): [string, ModelKv][] {
  return [...model.states[revision]!.entries()].filter(([key]) => inRange(key, start, end)).sort(([a], [b]) =>
    a < b ? -1 : 1
  );
}

function simple(kv: KeyValue): [string, ModelKv] {
  return [toText(kv.key), {
    value: toText(kv.value),
    create: kv.createRevision,
    mod: kv.modRevision,
    version: kv.version,
  }];
}

function checkReads(store: KvStore, model: Model): void {
  for (let revision = 1; revision <= model.revision + 1; revision++) {
    for (const start of KEYS) {
      for (const end of [null, "b0", "d"]) {
        const request: RangeRequest = end === null
          ? { key: utf8(start), revision }
          : { key: utf8(start), rangeEnd: utf8(end), revision };
        if (revision > model.revision) {
          assert.throws(() => store.range(request), FutureRevisionError);
        } else if (revision < model.compactRevision) {
          assert.throws(() => store.range(request), CompactedError);
        } else {
          const response = store.range(request);
          assert.deepEqual(response.kvs.map(simple), expectedRange(model, start, end, revision));
          assert.equal(response.count, response.kvs.length);
        }
      }
    }
  }
}

function sortedBy(store: KvStore, target: SortTarget, limit: number): RangeRequest {
  void store;
  return {
    key: new Uint8Array([0]),
    rangeEnd: new Uint8Array([0]),
    sortTarget: target,
    sortOrder: "descend",
    limit,
  };
}

test("random operation sequences give the same answers as a reference model, at every revision", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
      const store = new KvStore();
      const model = new Model();
      const watcher = store.watch({
        key: new Uint8Array([0]),
        rangeEnd: new Uint8Array([0]),
        startRevision: 1,
      });
      const events: WatchEvent[] = [];
      let index = 0;
      for (const op of ops) {
        const command = toCommand(op, store);
        if (command === null) continue;
        const result = store.apply(++index, encodeCommand(command));
        assert.ok(result.ok, result.ok ? "" : result.error.message);
        applyToModel(model, op);
        assert.equal(store.revision, model.revision);
        for (let response = watcher.poll(); response !== null; response = watcher.poll()) {
          events.push(...response.events);
        }
      }
      checkReads(store, model);
      assert.deepEqual(
        events.map((event) => ({
          type: event.type,
          key: toText(event.kv.key),
          revision: event.kv.modRevision,
        })),
        model.changes,
      );
      const limited = store.range(sortedBy(store, "mod", 2));
      assert.equal(limited.count, model.current.size);
      assert.equal(limited.more, model.current.size > 2);
    }),
    { numRuns: 150 },
  );
});

test("snapshot then restore gives the same answers to every query, and two stores fed one log are identical", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 40 }), fc.nat(5), (ops, leases) => {
      const first = new KvStore();
      const second = new KvStore();
      const log: Uint8Array[] = [];
      for (let i = 1; i <= leases; i++) {
        log.push(
          encodeCommand({ type: "leaseGrant", id: i, ttlSeconds: 10 * i, clock: { term: 1, nowMs: 0 } }),
        );
        assert.ok(first.apply(log.length, log[log.length - 1]!).ok);
      }
      for (const op of ops) {
        const command = toCommand(op, first);
        if (command === null) continue;
        if (command.type === "put" && leases > 0) {
          command.request.lease = 1 + (command.request.key.length % leases);
        }
        const bytes = encodeCommand(command, { clientId: 1 + (log.length % 3), sequence: log.length + 1 });
        log.push(bytes);
        first.apply(log.length, bytes);
        if (leases > 0 && log.length === leases + 1) {
          // Interleave a revoke in the middle so the log exercises it too.
          log.push(encodeCommand({ type: "leaseRevoke", id: leases }));
          first.apply(log.length, log[log.length - 1]!);
        }
      }
      log.forEach((bytes, i) => second.apply(i + 1, bytes));
      const snapshot = first.snapshot();
      assert.deepEqual(second.snapshot(), snapshot);
      const restored = new KvStore();
      restored.restoreSnapshot(snapshot);
      assert.deepEqual(restored.snapshot(), snapshot);
      assert.deepEqual(restored.status(), first.status());
      const all = { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };
      for (let revision = Math.max(1, first.compactRevision); revision <= first.revision; revision++) {
        assert.deepEqual(restored.range({ ...all, revision }), first.range({ ...all, revision }));
      }
      const live = first.range(all).kvs;
      for (const id of first.leaseIds()) {
        const attached = first.leaseTimeToLive(id, { keys: true });
        assert.deepEqual(attached.keys, live.filter((kv) => kv.lease === id).map((kv) => kv.key));
        assert.deepEqual(restored.leaseTimeToLive(id, { keys: true }), attached);
      }
      assert.ok(live.every((kv) => kv.lease === 0 || first.leaseIds().includes(kv.lease)));
      assert.deepEqual(restored.leaseIds(), first.leaseIds());
      const replayFirst = first.watch({
        ...all,
        startRevision: Math.max(1, first.compactRevision),
        prevKv: true,
      });
      const replayRestored = restored.watch({
        ...all,
        startRevision: Math.max(1, first.compactRevision),
        prevKv: true,
      });
      for (let i = 0; i < 3; i++) {
        const expected = replayFirst.poll();
        const actual = replayRestored.poll();
        assert.deepEqual(actual && { ...actual, watchId: 0 }, expected && { ...expected, watchId: 0 });
      }
    }),
    { numRuns: 150 },
  );
});
