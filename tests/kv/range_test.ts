import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CompactedError, nextPageRequest, prefixEnd, rangePages, ValidationError } from "../../src/kv/mod.ts";
import { b, Driver, keysOf, valuesOf } from "./helpers.ts";

const ALL = new Uint8Array([0]);

function seeded(): Driver {
  const driver = new Driver();
  driver.put("a", "3"); // 2
  driver.put("b/1", "1"); // 3
  driver.put("b/2", "2"); // 4
  driver.put("b/3", "0"); // 5
  driver.put("c", "9"); // 6
  driver.put("b/2", "5"); // 7
  return driver;
}

describe("range", () => {
  test("a single key, a half-open range, a prefix and all keys", () => {
    const store = seeded().store;
    assert.deepEqual(keysOf(store.range({ key: b("a") }).kvs), ["a"]);
    assert.deepEqual(keysOf(store.range({ key: b("b/1"), rangeEnd: b("b/3") }).kvs), ["b/1", "b/2"]);
    assert.deepEqual(keysOf(store.range({ key: b("b/"), rangeEnd: prefixEnd(b("b/")) }).kvs), [
      "b/1",
      "b/2",
      "b/3",
    ]);
    assert.deepEqual(keysOf(store.range({ key: ALL, rangeEnd: ALL }).kvs), ["a", "b/1", "b/2", "b/3", "c"]);
    assert.deepEqual(keysOf(store.range({ key: b("b/2"), rangeEnd: ALL }).kvs), ["b/2", "b/3", "c"]);
  });

  test("a range whose end is not after its start is empty", () => {
    const store = seeded().store;
    assert.equal(store.range({ key: b("c"), rangeEnd: b("a") }).count, 0);
  });

  test("count is the total in range while limit cuts kvs and more says so", () => {
    const store = seeded().store;
    const response = store.range({ key: ALL, rangeEnd: ALL, limit: 2 });
    assert.deepEqual(keysOf(response.kvs), ["a", "b/1"]);
    assert.equal(response.count, 5);
    assert.equal(response.more, true);
    const exact = store.range({ key: ALL, rangeEnd: ALL, limit: 5 });
    assert.equal(exact.more, false);
  });

  test("sorting by each target in both orders", () => {
    const store = seeded().store;
    const range = { key: ALL, rangeEnd: ALL };
    assert.deepEqual(keysOf(store.range({ ...range, sortOrder: "descend" }).kvs), [
      "c",
      "b/3",
      "b/2",
      "b/1",
      "a",
    ]);
    assert.deepEqual(valuesOf(store.range({ ...range, sortTarget: "value", sortOrder: "ascend" }).kvs), [
      "0",
      "1",
      "3",
      "5",
      "9",
    ]);
    assert.deepEqual(keysOf(store.range({ ...range, sortTarget: "mod", sortOrder: "descend" }).kvs), [
      "b/2",
      "c",
      "b/3",
      "b/1",
      "a",
    ]);
    assert.deepEqual(keysOf(store.range({ ...range, sortTarget: "create", sortOrder: "descend" }).kvs), [
      "c",
      "b/3",
      "b/2",
      "b/1",
      "a",
    ]);
    const byVersion = store.range({ ...range, sortTarget: "version", sortOrder: "descend", limit: 1 });
    assert.deepEqual(keysOf(byVersion.kvs), ["b/2"]);
    assert.equal(byVersion.more, true);
  });

  test("a sort target other than key with no order sorts ascending", () => {
    const store = seeded().store;
    assert.deepEqual(valuesOf(store.range({ key: ALL, rangeEnd: ALL, sortTarget: "value" }).kvs), [
      "0",
      "1",
      "3",
      "5",
      "9",
    ]);
  });

  test("keysOnly drops values and countOnly drops kvs", () => {
    const store = seeded().store;
    const keysOnly = store.range({ key: ALL, rangeEnd: ALL, keysOnly: true });
    assert.ok(keysOnly.kvs.every((kv) => kv.value.length === 0));
    assert.equal(keysOnly.kvs[0]!.version, 1);
    const countOnly = store.range({ key: ALL, rangeEnd: ALL, countOnly: true });
    assert.deepEqual(countOnly.kvs, []);
    assert.equal(countOnly.count, 5);
  });

  test("min and max mod and create revision filters select kvs but count stays the range total, as etcd", () => {
    const store = seeded().store;
    const range = { key: ALL, rangeEnd: ALL };
    assert.deepEqual(keysOf(store.range({ ...range, minModRevision: 5 }).kvs), ["b/2", "b/3", "c"]);
    assert.deepEqual(keysOf(store.range({ ...range, maxModRevision: 3 }).kvs), ["a", "b/1"]);
    assert.deepEqual(keysOf(store.range({ ...range, minCreateRevision: 4, maxCreateRevision: 5 }).kvs), [
      "b/2",
      "b/3",
    ]);
    assert.equal(store.range({ ...range, minModRevision: 5 }).count, 5);
  });

  test("a range at a past revision sees that revision's keys and values", () => {
    const store = seeded().store;
    const response = store.range({ key: b("b/"), rangeEnd: prefixEnd(b("b/")), revision: 4 });
    assert.deepEqual(keysOf(response.kvs), ["b/1", "b/2"]);
    assert.deepEqual(valuesOf(response.kvs), ["1", "2"]);
  });

  test("a negative limit is rejected naming the limit field", () => {
    const store = seeded().store;
    assert.throws(() => store.range({ key: b("a"), limit: -1 }), (error: unknown) => {
      return error instanceof ValidationError && error.field === "limit";
    });
  });
});

describe("pagination", () => {
  test("pages cover the range once, in order, at the first page's revision despite later writes", () => {
    const driver = new Driver();
    for (let i = 0; i < 25; i++) driver.put(`k/${String(i).padStart(2, "0")}`, `${i}`);
    const request = { key: b("k/"), rangeEnd: prefixEnd(b("k/")) };
    const seen: string[] = [];
    let pages = 0;
    for (const page of rangePages(driver.store, request, 10)) {
      pages++;
      seen.push(...keysOf(page.kvs));
      if (pages === 1) {
        driver.put("k/000", "new");
        driver.del("k/24");
      }
    }
    assert.equal(pages, 3);
    assert.equal(seen.length, 25);
    assert.deepEqual(seen, [...seen].sort());
    assert.ok(!seen.includes("k/000"));
    assert.ok(seen.includes("k/24"));
  });

  test("the next page request is pinned to the revision and starts after the last key", () => {
    const driver = new Driver();
    driver.put("a", "1");
    driver.put("b", "1");
    const request = { key: b("a"), rangeEnd: b("z"), limit: 1 };
    const next = nextPageRequest(request, driver.store.range(request))!;
    assert.equal(next.revision, 3);
    assert.deepEqual(keysOf(driver.store.range(next).kvs), ["b"]);
  });

  test("a page whose pinned revision was compacted fails instead of mixing revisions", () => {
    const driver = new Driver();
    for (let i = 0; i < 5; i++) driver.put(`k${i}`, "v");
    const pages = rangePages(driver.store, { key: b("k"), rangeEnd: b("l") }, 2);
    pages.next();
    driver.put("k0", "again");
    driver.put("k0", "again");
    driver.compact(driver.store.revision);
    assert.throws(() => pages.next(), CompactedError);
  });

  test("descending ranges cannot be paginated", () => {
    assert.throws(
      () =>
        nextPageRequest({ key: b("a"), limit: 1, sortOrder: "descend" }, {
          header: { revision: 1 },
          kvs: [],
          more: false,
          count: 0,
        }),
      ValidationError,
    );
  });
});
