import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  acquireLock,
  campaign,
  electionLeader,
  ElectionNoLeaderError,
  ElectionNotLeaderError,
  ElectionObserver,
  fencedTxn,
  KvStore,
  LeaseNotFoundError,
  LocalKvClient,
  proclaim,
  releaseLock,
  resign,
  SessionExpiredError,
  toText,
} from "../../src/kv/mod.ts";
import { b } from "./helpers.ts";

/** Lets pending promise chains run (several macrotask turns). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

function tracked<T>(promise: Promise<T>): { promise: Promise<T>; done: () => boolean } {
  let finished = false;
  promise.then(() => (finished = true), () => (finished = true));
  return { promise, done: () => finished };
}

function cluster(): LocalKvClient {
  const client = new LocalKvClient(new KvStore({ leaseTtlSecondsMin: 1 }));
  client.store.promoteLeaseClock(1, 0);
  return client;
}

describe("locks", () => {
  test("a second holder waits until the first releases, and gets a larger fencing token", async () => {
    const kv = cluster();
    const first = await acquireLock(kv, b("jobs"), (await kv.leaseGrant(30)).id);
    assert.equal(toText(first.key), `jobs/${first.leaseId.toString(16)}`);
    const second = tracked(acquireLock(kv, b("jobs"), (await kv.leaseGrant(30)).id));
    await settle();
    assert.equal(second.done(), false);
    assert.equal(await releaseLock(kv, first), true);
    const held = await second.promise;
    assert.ok(held.revision > first.revision);
  });

  test("a holder paused past its TTL loses the lock and its fenced write fails", async () => {
    const kv = cluster();
    const stale = await acquireLock(kv, b("res"), (await kv.leaseGrant(5)).id);
    const freshLease = (await kv.leaseGrant(60)).id;
    const next = tracked(acquireLock(kv, b("res"), freshLease));
    await settle();
    assert.equal(next.done(), false);
    // The stale holder is paused: no keepalive. The leader's clock passes its TTL and revokes the lease.
    kv.nowMs = 5_000;
    assert.deepEqual(kv.revokeExpiredLeases(), [stale.leaseId]);
    const fresh = await next.promise;
    const write = (lock: typeof stale, value: string) =>
      kv.txn(fencedTxn(lock, [{ type: "put", request: { key: b("data"), value: b(value) } }]));
    assert.equal((await write(stale, "from the stale holder")).succeeded, false);
    assert.equal((await write(fresh, "from the new holder")).succeeded, true);
    assert.equal(toText((await kv.range({ key: b("data") })).kvs[0]!.value), "from the new holder");
  });

  test("a holder that keeps its lease alive keeps the lock past the TTL", async () => {
    const kv = cluster();
    const lock = await acquireLock(kv, b("res"), (await kv.leaseGrant(5)).id);
    for (let t = 4_000; t <= 20_000; t += 4_000) {
      kv.nowMs = t;
      await kv.leaseKeepAlive(lock.leaseId);
      assert.deepEqual(kv.revokeExpiredLeases(), []);
    }
    const write = await kv.txn(
      fencedTxn(lock, [{ type: "put", request: { key: b("data"), value: b("ok") } }]),
    );
    assert.equal(write.succeeded, true);
  });

  test("a waiter whose predecessor expires keeps waiting for the owner ahead of it", async () => {
    const kv = cluster();
    const owner = await acquireLock(kv, b("q"), (await kv.leaseGrant(60)).id);
    const middleLease = (await kv.leaseGrant(5)).id;
    const middle = tracked(acquireLock(kv, b("q"), middleLease));
    const last = tracked(acquireLock(kv, b("q"), (await kv.leaseGrant(60)).id));
    await settle();
    kv.nowMs = 5_000;
    kv.revokeExpiredLeases();
    await settle();
    assert.equal(last.done(), false);
    // As etcd's recipe, the expired waiter learns it lost its place once its predecessor goes.
    await releaseLock(kv, owner);
    await assert.rejects(middle.promise, SessionExpiredError);
    assert.ok((await last.promise).revision > owner.revision);
  });

  test("locking with an unknown lease fails", async () => {
    const kv = cluster();
    await assert.rejects(acquireLock(kv, b("x"), 12345), LeaseNotFoundError);
  });
});

describe("elections", () => {
  test("campaign, observe, proclaim, resign and the next leader", async () => {
    const kv = cluster();
    const alice = await campaign(kv, b("e"), (await kv.leaseGrant(30)).id, b("alice"));
    const observer = new ElectionObserver(kv, b("e"));
    assert.equal(toText((await observer.next())!.value), "alice");
    const bob = tracked(campaign(kv, b("e"), (await kv.leaseGrant(30)).id, b("bob")));
    await settle();
    assert.equal(bob.done(), false);
    await proclaim(kv, alice, b("alice v2"));
    assert.equal(toText((await observer.next())!.value), "alice v2");
    assert.equal(await resign(kv, alice), true);
    const bobKey = await bob.promise;
    assert.equal(toText((await observer.next())!.value), "bob");
    assert.equal(toText((await electionLeader(kv, b("e"))).value), "bob");
    await assert.rejects(proclaim(kv, alice, b("late")), ElectionNotLeaderError);
    assert.ok(bobKey.revision > alice.revision);
    observer.cancel();
    assert.equal(await observer.next(), null);
  });

  test("a leader whose lease expires is replaced, and with nobody left there is no leader", async () => {
    const kv = cluster();
    const first = await campaign(kv, b("e"), (await kv.leaseGrant(5)).id, b("one"));
    const second = tracked(campaign(kv, b("e"), (await kv.leaseGrant(10)).id, b("two")));
    await settle();
    kv.nowMs = 5_000;
    kv.revokeExpiredLeases();
    const leader = await second.promise;
    assert.ok(leader.revision > first.revision);
    kv.nowMs = 10_000;
    kv.revokeExpiredLeases();
    await assert.rejects(electionLeader(kv, b("e")), ElectionNoLeaderError);
  });

  test("an observer with no leader waits for the first campaigner", async () => {
    const kv = cluster();
    const observer = new ElectionObserver(kv, b("e"));
    const first = tracked(observer.next());
    await settle();
    assert.equal(first.done(), false);
    await campaign(kv, b("e"), (await kv.leaseGrant(30)).id, b("late"));
    assert.equal(toText((await first.promise)!.value), "late");
    observer.cancel();
  });
});
