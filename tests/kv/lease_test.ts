import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  KvStore,
  LEASE_CHECKPOINTS_PER_COMMAND_MAX,
  LeaseExistsError,
  LeaseNotFoundError,
  LeaseTtlTooLargeError,
  minimumLeaseTtlSeconds,
  toText,
} from "../../src/kv/mod.ts";
import { b, Driver, keysOf } from "./helpers.ts";

describe("leases", () => {
  test("a grant with id 0 picks the next free id; a taken id fails", () => {
    const driver = new Driver();
    assert.equal(driver.grant(10, 1).id, 1);
    assert.equal(driver.grant(10).id, 2);
    assert.throws(() => driver.grant(10, 2), LeaseExistsError);
  });

  test("a TTL below the minimum is raised to it and one above the maximum is refused", () => {
    assert.equal(minimumLeaseTtlSeconds(1000), 2);
    assert.equal(minimumLeaseTtlSeconds(5000), 8);
    const driver = new Driver({ leaseTtlSecondsMin: 5 });
    assert.equal(driver.grant(1).ttlSeconds, 5);
    assert.throws(() => driver.grant(9_000_000_001), (error: unknown) => {
      return error instanceof LeaseTtlTooLargeError &&
        error.etcdMessage === "etcdserver: too large lease TTL";
    });
  });

  test("revoking a lease deletes all its keys in one revision", () => {
    const driver = new Driver();
    const id = driver.grant(30).id;
    driver.put("x", "1", { lease: id });
    driver.put("y", "1", { lease: id });
    driver.put("z", "1");
    const watcher = driver.store.watch({ key: b("a"), rangeEnd: new Uint8Array([0]) });
    watcher.poll();
    driver.revoke(id);
    assert.equal(driver.store.revision, 5);
    assert.deepEqual(keysOf(driver.store.range({ key: b("a"), rangeEnd: new Uint8Array([0]) }).kvs), ["z"]);
    const response = watcher.poll()!;
    assert.deepEqual(
      response.events.map((event) => [event.type, toText(event.kv.key), event.kv.modRevision]),
      [
        ["delete", "x", 5],
        ["delete", "y", 5],
      ],
    );
    assert.throws(() => driver.revoke(id), LeaseNotFoundError);
  });

  test("a key moved to another lease or deleted is no longer revoked with the first", () => {
    const driver = new Driver();
    const first = driver.grant(30).id;
    const second = driver.grant(30).id;
    driver.put("a", "1", { lease: first });
    driver.put("b", "1", { lease: first });
    driver.put("a", "2", { lease: second });
    driver.del("b");
    assert.deepEqual(driver.store.leaseTimeToLive(first, { keys: true }).keys, []);
    driver.revoke(first);
    assert.equal(toText(driver.get("a")!.value), "2");
  });

  test("time to live reports remaining and granted TTL and the attached keys; a missing lease has TTL -1", () => {
    const driver = new Driver();
    driver.store.promoteLeaseClock(1, 0);
    const id = driver.grant(10).id;
    driver.put("k2", "v", { lease: id });
    driver.put("k1", "v", { lease: id });
    const ttl = driver.store.leaseTimeToLive(id, { keys: true, nowMs: 3_500 });
    assert.equal(ttl.ttlSeconds, 6);
    assert.equal(ttl.grantedTtlSeconds, 10);
    assert.deepEqual(ttl.keys.map(toText), ["k1", "k2"]);
    assert.equal(driver.store.leaseTimeToLive(999).ttlSeconds, -1);
    assert.deepEqual(driver.store.leaseIds(), [id]);
  });

  test("the leader lists a lease as expired only after its TTL on the leader's clock; keepalive restarts it", () => {
    const driver = new Driver();
    driver.store.promoteLeaseClock(1, 0);
    const id = driver.grant(10).id;
    assert.deepEqual(driver.store.expiredLeases(9_999, 10), []);
    driver.nowMs = 9_000;
    driver.keepAlive(id);
    assert.deepEqual(driver.store.expiredLeases(18_999, 10), []);
    assert.equal(driver.store.leaseExpired(id, 19_000), true);
    assert.deepEqual(driver.store.expiredLeases(19_000, 10), [id]);
  });

  test("a follower never lists expired leases; expiry is only applied through a revoke command", () => {
    const driver = new Driver();
    const id = driver.grant(5).id;
    driver.put("k", "v", { lease: id });
    assert.deepEqual(driver.store.expiredLeases(1e12, 10), []);
    assert.ok(driver.get("k") !== undefined);
  });

  test("remaining TTL survives a leader change through checkpoints instead of resetting", () => {
    const leader = new Driver();
    const follower = new KvStore();
    leader.store.promoteLeaseClock(1, 0);
    const id = leader.grant(100).id;
    leader.nowMs = 70_000;
    for (const command of leader.store.leaseCheckpointCommands(70_000)) leader.run(command);
    leader.log.forEach((bytes, i) => follower.apply(i + 1, bytes));
    // The follower becomes leader at its own clock's 5_000: 30 s were left at the checkpoint.
    follower.promoteLeaseClock(2, 5_000);
    assert.equal(follower.leaseTimeToLive(id, { nowMs: 5_000 }).ttlSeconds, 30);
    assert.deepEqual(follower.expiredLeases(34_999, 10), []);
    assert.deepEqual(follower.expiredLeases(35_000, 10), [id]);
  });

  test("without a checkpoint a new leader gives the full granted TTL from a keepalive", () => {
    const driver = new Driver();
    const id = driver.grant(20).id;
    driver.keepAlive(id);
    driver.store.promoteLeaseClock(3, 1_000);
    assert.equal(driver.store.leaseTimeToLive(id, { nowMs: 1_000 }).ttlSeconds, 20);
  });

  test("a keepalive proposed under an older leader's clock starts from the new leader's latest time", () => {
    const driver = new Driver();
    driver.term = 1;
    const id = driver.grant(10).id;
    driver.store.promoteLeaseClock(2, 50_000);
    driver.nowMs = 123; // the old leader's clock, meaningless to the new leader
    driver.keepAlive(id);
    assert.equal(driver.store.leaseExpired(id, 59_999), false);
    assert.equal(driver.store.leaseExpired(id, 60_000), true);
  });

  test("keepalive of an unknown lease fails with lease not found", () => {
    const driver = new Driver();
    assert.throws(() => driver.keepAlive(42), (error: unknown) => {
      return error instanceof LeaseNotFoundError &&
        error.etcdMessage === "etcdserver: requested lease not found";
    });
  });

  test("checkpoint commands cover every lease in bounded batches and only on a promoted leader", () => {
    const driver = new Driver();
    for (let i = 0; i < LEASE_CHECKPOINTS_PER_COMMAND_MAX + 1; i++) driver.grant(60);
    assert.deepEqual(driver.store.leaseCheckpointCommands(0), []);
    driver.store.promoteLeaseClock(1, 0);
    const commands = driver.store.leaseCheckpointCommands(10_000);
    assert.equal(commands.length, 2);
    let total = 0;
    for (const command of commands) {
      assert.equal(command.type, "leaseCheckpoint");
      if (command.type === "leaseCheckpoint") {
        total += command.checkpoints.length;
        assert.ok(command.checkpoints.every((checkpoint) => checkpoint.remainingTtlMs === 50_000));
      }
    }
    assert.equal(total, LEASE_CHECKPOINTS_PER_COMMAND_MAX + 1);
  });
});
