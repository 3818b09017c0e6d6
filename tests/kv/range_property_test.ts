import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  compareBytes,
  encodeCommand,
  type KeyValue,
  KvStore,
  type RangeRequest,
  type SortOrder,
  type SortTarget,
  toText,
  utf8,
} from "../../src/kv/mod.ts";

// The reference: every live key-value, filtered, sorted and cut the obvious way.
function reference(all: KeyValue[], request: RangeRequest): { keys: string[]; more: boolean; count: number } {
  const start = request.key;
  const end = request.rangeEnd;
  const inRange = all.filter((kv) => {
    if (end === undefined || end.length === 0) return compareBytes(kv.key, start) === 0;
    if (end.length === 1 && end[0] === 0) return compareBytes(kv.key, start) >= 0;
    return compareBytes(kv.key, start) >= 0 && compareBytes(kv.key, end) < 0;
  });
  const filtered = inRange.filter((kv) =>
    (!request.minModRevision || kv.modRevision >= request.minModRevision) &&
    (!request.maxModRevision || kv.modRevision <= request.maxModRevision) &&
    (!request.minCreateRevision || kv.createRevision >= request.minCreateRevision) &&
    (!request.maxCreateRevision || kv.createRevision <= request.maxCreateRevision)
  );
  const target = request.sortTarget ?? "key";
  const order = request.sortOrder ?? "none";
  const by = (kv: KeyValue): number | Uint8Array =>
    target === "key"
      ? kv.key
      : target === "value"
      ? kv.value
      : target === "version"
      ? kv.version
      : target === "create"
      ? kv.createRevision
      : kv.modRevision;
  const sign = order === "descend" ? -1 : 1;
  const sorted = [...filtered].sort((a, b) => {
    const x = by(a);
    const y = by(b);
    const primary = typeof x === "number" ? x - (y as number) : compareBytes(x, y as Uint8Array);
    return sign * primary || compareBytes(a.key, b.key);
  });
  const limit = request.limit ?? 0;
  const kept = limit > 0 ? sorted.slice(0, limit) : sorted;
  return {
    keys: request.countOnly ? [] : kept.map((kv) => toText(kv.key)),
    more: !request.countOnly && limit > 0 && sorted.length > limit,
    count: inRange.length,
  };
}

const keyArb = fc.constantFrom("a", "a/1", "a/2", "b", "b/1", "c", "c/x", "d");
const writeArb = fc.record({ key: keyArb, value: fc.constantFrom("", "x", "y", "zz"), remove: fc.boolean() });
const requestArb = fc.record({
  key: keyArb,
  end: fc.constantFrom(null, "\0", "a/3", "c", "e"),
  limit: fc.nat(4),
  sortOrder: fc.constantFrom<SortOrder>("none", "ascend", "descend"),
  sortTarget: fc.constantFrom<SortTarget>("key", "version", "create", "mod", "value"),
  keysOnly: fc.boolean(),
  countOnly: fc.boolean(),
  minMod: fc.nat(12),
  maxMod: fc.nat(12),
  minCreate: fc.nat(12),
  maxCreate: fc.nat(12),
});

test("range options (bounds, limit, sort, keys-only, count-only, filters) match a reference implementation", () => {
  fc.assert(
    fc.property(
      fc.array(writeArb, { maxLength: 20 }),
      fc.array(requestArb, { minLength: 1, maxLength: 10 }),
      (writes, requests) => {
        const store = new KvStore();
        writes.forEach((write, i) => {
          const command = write.remove
            ? { type: "deleteRange" as const, request: { key: utf8(write.key) } }
            : { type: "put" as const, request: { key: utf8(write.key), value: utf8(write.value) } };
          store.apply(i + 1, encodeCommand(command));
        });
        const everything = store.range({ key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) }).kvs;
        for (const options of requests) {
          const request: RangeRequest = {
            key: utf8(options.key),
            limit: options.limit,
            sortOrder: options.sortOrder,
            sortTarget: options.sortTarget,
            keysOnly: options.keysOnly,
            countOnly: options.countOnly,
            minModRevision: options.minMod,
            maxModRevision: options.maxMod,
            minCreateRevision: options.minCreate,
            maxCreateRevision: options.maxCreate,
          };
          if (options.end !== null) {
            request.rangeEnd = options.end === "\0" ? new Uint8Array([0]) : utf8(options.end);
          }
          const response = store.range(request);
          const expected = reference(everything, request);
          assert.deepEqual(response.kvs.map((kv) => toText(kv.key)), expected.keys);
          assert.equal(response.more, expected.more);
          assert.equal(response.count, expected.count);
          if (options.keysOnly) assert.ok(response.kvs.every((kv) => kv.value.length === 0));
        }
      },
    ),
    { numRuns: 300 },
  );
});
