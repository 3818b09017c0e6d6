import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  encodeCommand,
  KvStore,
  QuotaExceededError,
  RequestTooLargeError,
  StaleSequenceError,
  toText,
} from "../../src/kv/mod.ts";
import { b, Driver } from "./helpers.ts";

describe("client request dedup", () => {
  test("a retried write with the same client and sequence is applied once and answered the same", () => {
    const driver = new Driver();
    const command = { type: "put" as const, request: { key: b("counter"), value: b("1") } };
    const first = driver.store.apply(1, encodeCommand(command, { clientId: 7, sequence: 1 }));
    const retry = driver.store.apply(2, encodeCommand(command, { clientId: 7, sequence: 1 }));
    assert.ok(first.ok && retry.ok);
    assert.equal(retry.duplicate, true);
    assert.deepEqual(retry.response, first.response);
    assert.equal(driver.store.revision, 2);
    assert.equal(driver.get("counter")!.version, 1);
  });

  test("the next sequence applies and an older one is refused as stale", () => {
    const store = new KvStore();
    const put = (value: string) => ({ type: "put" as const, request: { key: b("k"), value: b(value) } });
    assert.ok(store.apply(1, encodeCommand(put("a"), { clientId: 3, sequence: 5 })).ok);
    assert.ok(store.apply(2, encodeCommand(put("b"), { clientId: 3, sequence: 6 })).ok);
    const stale = store.apply(3, encodeCommand(put("c"), { clientId: 3, sequence: 5 }));
    assert.ok(!stale.ok && stale.error instanceof StaleSequenceError);
    assert.equal(toText(store.range({ key: b("k") }).kvs[0]!.value), "b");
  });

  test("a failed write is not remembered, so its retry runs again", () => {
    const store = new KvStore();
    const put = { type: "put" as const, request: { key: b("k"), value: b("v"), lease: 9 } };
    assert.equal(store.apply(1, encodeCommand(put, { clientId: 1, sequence: 1 })).ok, false);
    store.apply(
      2,
      encodeCommand({ type: "leaseGrant", id: 9, ttlSeconds: 60, clock: { term: 1, nowMs: 0 } }),
    );
    assert.equal(store.apply(3, encodeCommand(put, { clientId: 1, sequence: 1 })).ok, true);
  });

  test("the table is bounded: the least recently applied client is forgotten first", () => {
    const store = new KvStore({ dedupClientsMax: 2 });
    const put = { type: "put" as const, request: { key: b("k"), value: b("v") } };
    for (let client = 1; client <= 3; client++) {
      store.apply(client, encodeCommand(put, { clientId: client, sequence: 1 }));
    }
    assert.equal(store.status().dedupClients, 2);
    const replay = store.apply(4, encodeCommand(put, { clientId: 1, sequence: 1 }));
    assert.ok(replay.ok && !replay.duplicate);
  });

  test("entries expire after the configured number of applied indexes", () => {
    const store = new KvStore({ dedupEntryTtlIndexes: 10 });
    const put = { type: "put" as const, request: { key: b("k"), value: b("v") } };
    store.apply(1, encodeCommand(put, { clientId: 1, sequence: 1 }));
    store.apply(5, encodeCommand(put));
    assert.equal(store.status().dedupClients, 1);
    store.apply(12, encodeCommand(put));
    assert.equal(store.status().dedupClients, 0);
  });
});

describe("quota", () => {
  test("beyond the quota writes fail with space exceeded while reads, deletes and compaction work", () => {
    const driver = new Driver({ quotaBytes: 4_000 });
    let written = 0;
    assert.throws(() => {
      for (;;) {
        driver.put(`k${written % 5}`, "x".repeat(200));
        written++;
      }
    }, (error: unknown) => {
      assert.ok(error instanceof QuotaExceededError);
      assert.equal(error.etcdMessage, "etcdserver: mvcc: database space exceeded");
      assert.match(error.message, /quota is 4000 bytes/);
      return true;
    });
    assert.ok(written > 5);
    assert.equal(driver.store.range({ key: b("k0") }).count, 1);
    assert.throws(
      () =>
        driver.txn({
          compare: [],
          success: [{ type: "put", request: { key: b("t"), value: b("v") } }],
          failure: [],
        }),
      QuotaExceededError,
    );
    driver.txn({ compare: [], success: [{ type: "range", request: { key: b("k0") } }], failure: [] });
    driver.del("k4");
    driver.compact(driver.store.revision);
    driver.put("k0", "fits again");
  });

  test("a restored snapshot carries only live data and accepts writes again", () => {
    const driver = new Driver({ quotaBytes: 2_500 });
    for (let i = 0; i < 9; i++) driver.put("k", "x".repeat(200));
    assert.throws(() => driver.put("k", "x".repeat(200)), QuotaExceededError);
    driver.compact(driver.store.revision);
    const restored = new KvStore({ quotaBytes: 2_500 });
    restored.restoreSnapshot(driver.store.snapshot());
    assert.ok(restored.status().sizeBytes < 1_000);
    assert.equal(restored.status().sizeBytes, driver.store.status().sizeBytes);
    const after = restored.applyCommand(restored.appliedIndex + 1, {
      command: { type: "put", request: { key: b("k"), value: b("x".repeat(200)) } },
      clientId: 0,
      sequence: 0,
    });
    assert.equal(after.ok, true);
  });
});

describe("limits", () => {
  test("a request larger than 1.5 MiB is refused with etcd's text", () => {
    const big = { type: "put" as const, request: { key: b("k"), value: new Uint8Array(1.5 * 1024 * 1024) } };
    assert.throws(() => encodeCommand(big), (error: unknown) => {
      return error instanceof RequestTooLargeError &&
        error.etcdMessage === "etcdserver: request is too large";
    });
  });

  test("a corrupt command is answered with a codec error and still consumes its index", () => {
    const store = new KvStore();
    const result = store.apply(1, new Uint8Array([1, 0, 0, 250]));
    assert.ok(!result.ok && result.error.name === "CodecError");
    assert.equal(store.appliedIndex, 1);
  });
});
