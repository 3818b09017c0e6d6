import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { SortedIndex } from "../../src/kv/sorted_index.ts";
import { compareBytes } from "../../src/kv/mod.ts";

interface Item {
  key: Uint8Array;
}

function id(key: Uint8Array): string {
  return [...key].join(",");
}

test("the chunked index agrees with a sorted array under random inserts, deletes and ranges", () => {
  const keyArb = fc.uint8Array({ minLength: 1, maxLength: 3, max: 8 });
  const opArb = fc.oneof(
    fc.record({ insert: keyArb }),
    fc.record({ remove: keyArb }),
    fc.record({ start: keyArb, end: fc.option(keyArb, { nil: null }) }),
  );
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 3000 }), (ops) => {
      const index = new SortedIndex<Item>();
      const reference = new Map<string, Uint8Array>();
      for (const op of ops) {
        if ("insert" in op) {
          if (!reference.has(id(op.insert))) {
            index.insert({ key: op.insert });
            reference.set(id(op.insert), op.insert);
          }
        } else if ("remove" in op) {
          assert.equal(index.delete(op.remove), reference.delete(id(op.remove)));
        } else {
          const expected = [...reference.values()].sort(compareBytes).filter((key) =>
            compareBytes(key, op.start) >= 0 && (op.end === null || compareBytes(key, op.end) < 0)
          );
          assert.deepEqual([...index.range(op.start, op.end)].map((item) => item.key), expected);
        }
      }
      assert.equal(index.size, reference.size);
      for (const key of reference.values()) assert.ok(index.get(key) !== undefined);
    }),
    { numRuns: 60 },
  );
});

test("the index splits into chunks and stays ordered with many keys", () => {
  const index = new SortedIndex<Item>();
  const count = 20_000;
  for (let i = 0; i < count; i++) {
    const value = (i * 7919) % count;
    index.insert({ key: new Uint8Array([value >> 16, (value >> 8) & 0xff, value & 0xff]) });
  }
  const keys = [...index.all()].map((item) => item.key);
  assert.equal(keys.length, count);
  for (let i = 1; i < keys.length; i++) assert.ok(compareBytes(keys[i - 1]!, keys[i]!) < 0);
  const slice = [...index.range(new Uint8Array([0, 0x10, 0]), new Uint8Array([0, 0x11, 0]))];
  assert.equal(slice.length, 256);
});
