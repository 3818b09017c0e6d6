import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CompactedError, FutureRevisionError, toText, ValidationError } from "../../src/kv/mod.ts";
import { b, Driver, keysOf } from "./helpers.ts";

describe("revisions", () => {
  test("the empty store is at revision 1 and the first write makes revision 2", () => {
    const driver = new Driver();
    assert.equal(driver.store.revision, 1);
    assert.equal(driver.put("a", "1").header.revision, 2);
    assert.equal(driver.store.revision, 2);
  });

  test("a key's version counts puts and its create revision stays until it is deleted", () => {
    const driver = new Driver();
    driver.put("a", "1");
    driver.put("a", "2");
    const kv = driver.get("a")!;
    assert.deepEqual([kv.createRevision, kv.modRevision, kv.version, toText(kv.value)], [2, 3, 2, "2"]);
    driver.del("a");
    driver.put("a", "3");
    const again = driver.get("a")!;
    assert.deepEqual([again.createRevision, again.modRevision, again.version], [5, 5, 1]);
  });

  test("a delete of a missing key does not bump the revision", () => {
    const driver = new Driver();
    driver.put("a", "1");
    const response = driver.del("zzz");
    assert.equal(response.deleted, 0);
    assert.equal(response.header.revision, 2);
    assert.equal(driver.store.revision, 2);
  });

  test("a delete range deletes every key in range in one revision and returns the previous values", () => {
    const driver = new Driver();
    for (const key of ["a", "b", "c", "d"]) driver.put(key, key);
    const response = driver.del("b", "d", true);
    assert.equal(response.deleted, 2);
    assert.deepEqual(keysOf(response.prevKvs), ["b", "c"]);
    assert.equal(driver.store.revision, 6);
    assert.deepEqual(keysOf(driver.store.range({ key: b("a"), rangeEnd: new Uint8Array([0]) }).kvs), [
      "a",
      "d",
    ]);
  });

  test("reads at a past revision see the state of that revision, including deleted keys", () => {
    const driver = new Driver();
    driver.put("a", "1");
    driver.put("a", "2");
    driver.del("a");
    assert.equal(toText(driver.get("a", 2)!.value), "1");
    assert.equal(toText(driver.get("a", 3)!.value), "2");
    assert.equal(driver.get("a", 4), undefined);
    assert.equal(driver.get("a", 1), undefined);
  });

  test("a read above the current revision fails with a future revision error", () => {
    const driver = new Driver();
    assert.throws(() => driver.store.range({ key: b("a"), revision: 5 }), FutureRevisionError);
  });

  test("an empty key is rejected naming the key field with etcd's text", () => {
    const driver = new Driver();
    assert.throws(() => driver.store.range({ key: new Uint8Array(0) }), (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.field, "key");
      assert.equal(error.etcdMessage, "etcdserver: key is not provided");
      return true;
    });
  });
});

describe("compaction", () => {
  test("reads below the compact revision fail, reads at it succeed", () => {
    const driver = new Driver();
    driver.put("a", "1"); // 2
    driver.put("a", "2"); // 3
    driver.put("b", "1"); // 4
    driver.compact(3);
    assert.throws(() => driver.get("a", 2), (error: unknown) => {
      assert.ok(error instanceof CompactedError);
      assert.equal(error.compactRevision, 3);
      assert.equal(error.etcdMessage, "etcdserver: mvcc: required revision has been compacted");
      return true;
    });
    assert.equal(toText(driver.get("a", 3)!.value), "2");
    assert.equal(driver.get("b", 3), undefined);
    assert.equal(toText(driver.get("b", 4)!.value), "1");
  });

  test("compaction keeps the last value below it so reads at it still see unchanged keys", () => {
    const driver = new Driver();
    driver.put("old", "x"); // 2
    driver.put("a", "1"); // 3
    driver.put("a", "2"); // 4
    driver.compact(4);
    assert.equal(toText(driver.get("old", 4)!.value), "x");
    assert.equal(driver.store.range({ key: b("a"), rangeEnd: new Uint8Array([0]), revision: 4 }).count, 2);
  });

  test("a deleted key vanishes from the index once compacted past its tombstone", () => {
    const driver = new Driver();
    driver.put("a", "1");
    driver.del("a");
    driver.put("b", "1");
    driver.compact(4);
    assert.equal(driver.store.status().keys, 1);
  });

  test("compacting at or below the compact revision fails, and above the current revision fails", () => {
    const driver = new Driver();
    driver.put("a", "1");
    driver.compact(2);
    assert.throws(() => driver.compact(2), CompactedError);
    assert.throws(() => driver.compact(9), FutureRevisionError);
  });

  test("compaction frees the space charged for old revisions", () => {
    const driver = new Driver();
    for (let i = 0; i < 50; i++) driver.put("a", "x".repeat(100));
    const before = driver.store.status().sizeBytes;
    driver.compact(driver.store.revision);
    const after = driver.store.status().sizeBytes;
    assert.ok(after * 20 < before, `${after} should be far below ${before}`);
  });
});
