import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Engine, EngineOptionsError, EngineStoppedError, LeaseNotFoundError, toText } from "../../mod.ts";
import { FAST_TIMING, SMALL_WAL, tempDir, waitFor } from "./_helpers.ts";

async function withEngine(run: (engine: Engine, dataDir: string) => Promise<void>): Promise<void> {
  const dir = tempDir("single");
  const dataDir = join(dir.path, "data");
  const engine = await Engine.start({ dataDir, ...FAST_TIMING, ...SMALL_WAL });
  try {
    await engine.ready({ timeoutMs: 10_000 });
    await run(engine, dataDir);
  } finally {
    await engine.stop();
    dir.remove();
  }
}

describe("a single-node engine", () => {
  test("puts, gets, deletes and ranges keys given as text or bytes", async () => {
    await withEngine(async ({ client }) => {
      const put = await client.put("a", "1");
      assert.ok(put.header.revision >= 2);
      await client.put(new Uint8Array([98]), new Uint8Array([50]));
      assert.equal(toText((await client.get("a"))!.value), "1");
      assert.equal(toText((await client.get("b", { consistency: "serializable" }))!.value), "2");
      assert.equal(toText((await client.get("a", { consistency: "lease" }))!.value), "1");
      assert.equal(await client.get("missing"), null);
      const all = await client.range("", { fromKey: true });
      assert.deepEqual(all.kvs.map((kv) => toText(kv.key)), ["a", "b"]);
      const deleted = await client.delete("a", { prevKv: true });
      assert.equal(deleted.deleted, 1);
      assert.equal(toText(deleted.prevKvs[0]!.value), "1");
      assert.equal(await client.get("a"), null);
    });
  });

  test("pages a large range at one revision", async () => {
    await withEngine(async ({ client }) => {
      await Promise.all(
        Array.from({ length: 25 }, (_, i) => client.put(`p/${String(i).padStart(2, "0")}`, `${i}`)),
      );
      const first = [];
      let revision = 0;
      for await (const page of client.pages("p/", { prefix: true, pageSize: 10 })) {
        if (revision === 0) {
          revision = page.header.revision;
          await client.put("p/99", "late"); // written after the first page: not seen by later pages
        }
        first.push(...page.kvs.map((kv) => toText(kv.key)));
      }
      assert.equal(first.length, 25);
      assert.equal(first[0], "p/00");
      assert.equal(first[24], "p/24");
    });
  });

  test("runs transactions built with when/then/else", async () => {
    await withEngine(async ({ client }) => {
      await client.put("counter", "1");
      const swapped = await client.txn()
        .when({ key: "counter", target: "value", result: "equal", value: "1" })
        .then({ type: "put", key: "counter", value: "2" }, { type: "get", key: "counter" })
        .else({ type: "get", key: "counter" })
        .commit();
      assert.equal(swapped.succeeded, true);
      const again = await client.txn()
        .when({ key: "counter", target: "value", result: "equal", value: "1" })
        .then({ type: "put", key: "counter", value: "3" })
        .else({ type: "get", key: "counter" })
        .commit();
      assert.equal(again.succeeded, false);
      const read = again.responses[0];
      assert.ok(read?.type === "range");
      assert.equal(toText(read.response.kvs[0]!.value), "2");
    });
  });

  test("delivers watch events in order and ends the watch on abort", async () => {
    await withEngine(async ({ client }) => {
      const controller = new AbortController();
      const stream = client.watch("w/", { prefix: true, signal: controller.signal });
      const seen: string[] = [];
      const consumer = (async () => {
        for await (const response of stream) {
          for (const event of response.events) seen.push(`${event.type}:${toText(event.kv.key)}`);
          if (seen.length === 3) controller.abort();
        }
      })();
      await client.put("w/1", "a");
      await client.put("other", "x");
      await client.put("w/2", "b");
      await client.delete("w/1");
      await consumer;
      assert.deepEqual(seen, ["put:w/1", "put:w/2", "delete:w/1"]);
    });
  });

  test("replays watch history from a start revision", async () => {
    await withEngine(async ({ client }) => {
      const first = await client.put("h", "1");
      await client.put("h", "2");
      const stream = client.watch("h", { startRevision: first.header.revision });
      const values: string[] = [];
      for await (const response of stream) {
        for (const event of response.events) values.push(toText(event.kv.value));
        if (values.length === 2) break;
      }
      assert.deepEqual(values, ["1", "2"]);
    });
  });

  test("grants, renews, inspects and revokes leases, deleting their keys", async () => {
    await withEngine(async ({ client }) => {
      const lease = await client.grantLease(30);
      assert.ok(lease.id > 0);
      await client.put("leased", "v", { lease: lease.id });
      assert.equal(await client.keepAliveOnce(lease.id), 30);
      const ttl = await client.leaseTimeToLive(lease.id, { keys: true });
      assert.equal(ttl.grantedTtlSeconds, 30);
      assert.ok(ttl.ttlSeconds > 0 && ttl.ttlSeconds <= 30);
      assert.deepEqual(ttl.keys.map(toText), ["leased"]);
      assert.deepEqual(await client.leases(), [lease.id]);
      const keepAlive = client.keepAlive(lease.id, { intervalMs: 50 });
      await keepAlive.stop();
      assert.equal(await keepAlive.done, null);
      await client.revokeLease(lease.id);
      assert.equal(await client.get("leased"), null);
      assert.equal((await client.leaseTimeToLive(lease.id)).ttlSeconds, -1);
      await assert.rejects(client.keepAliveOnce(lease.id), LeaseNotFoundError);
    });
  });

  test("expires a lease that is not kept alive, on the leader's clock", async () => {
    await withEngine(async ({ client }) => {
      // The minimum TTL is 1 s with these timings; the leader revokes it once its clock passes the TTL.
      const lease = await client.grantLease(1);
      await client.put("ephemeral", "v", { lease: lease.id });
      await waitFor("the lease to expire", async () => (await client.get("ephemeral")) === null, 15_000);
      assert.equal((await client.leaseTimeToLive(lease.id)).ttlSeconds, -1);
    });
  });

  test("hands out locks in order with increasing fencing tokens, released by await using", async () => {
    await withEngine(async ({ client }) => {
      const order: string[] = [];
      let second: Promise<number> | null = null;
      let firstToken = 0;
      {
        await using first = await client.lock("jobs");
        firstToken = first.fencingToken;
        order.push("first acquired");
        second = client.lock("jobs").then(async (lock) => {
          order.push("second acquired");
          await lock.release();
          return lock.fencingToken;
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
        order.push("first releasing");
      }
      const secondToken = await second;
      assert.deepEqual(order, ["first acquired", "first releasing", "second acquired"]);
      assert.ok(secondToken > firstToken);
    });
  });

  test("elects one campaigner at a time and lets observers follow the leader", async () => {
    await withEngine(async ({ client }) => {
      const election = client.election("scheduler");
      assert.equal(await election.leader(), null);
      const leadership = await election.campaign("node-a");
      const controller = new AbortController();
      const observed: string[] = [];
      const observer = (async () => {
        for await (const leader of election.observe(controller.signal)) {
          observed.push(toText(leader.value));
          if (observed.length === 2) controller.abort();
        }
      })();
      await waitFor("the observer to see the leader", () => observed.length === 1);
      await leadership.proclaim("node-a v2");
      await observer;
      assert.deepEqual(observed, ["node-a", "node-a v2"]);
      await leadership.resign();
      assert.equal(await election.leader(), null);
    });
  });

  test("recovers everything acknowledged after a restart with the same data directory", async () => {
    const dir = tempDir("restart");
    const dataDir = join(dir.path, "data");
    try {
      const engine = await Engine.start({ dataDir, ...FAST_TIMING, ...SMALL_WAL, snapshotEntries: 50 });
      await engine.ready({ timeoutMs: 10_000 });
      await Promise.all(Array.from({ length: 120 }, (_, i) => engine.client.put(`r/${i}`, `value ${i}`)));
      const lease = await engine.client.grantLease(600);
      await engine.client.put("r/leased", "x", { lease: lease.id });
      const revision = engine.status().revision;
      await engine.stop();
      await assert.rejects(engine.client.put("late", "x"), EngineStoppedError);

      const again = await Engine.start({ dataDir, ...FAST_TIMING, ...SMALL_WAL, snapshotEntries: 50 });
      try {
        await again.ready({ timeoutMs: 10_000 });
        const range = await again.client.range("r/", { prefix: true, countOnly: true });
        assert.equal(range.count, 121);
        assert.equal(toText((await again.client.get("r/77"))!.value), "value 77");
        assert.ok(again.status().revision >= revision);
        assert.deepEqual(await again.client.leases(), [lease.id]);
      } finally {
        await again.stop();
      }
    } finally {
      dir.remove();
    }
  });

  test("rejects a wrong option with an error naming it", async () => {
    await assert.rejects(Engine.start({ tickIntervalMs: -5, storage: "memory" }), (error: unknown) => {
      assert.ok(error instanceof EngineOptionsError);
      assert.equal(error.option, "tickIntervalMs");
      return true;
    });
    await assert.rejects(Engine.start({ storage: "file" }), (error: unknown) => {
      assert.ok(error instanceof EngineOptionsError);
      assert.equal(error.option, "dataDir");
      return true;
    });
    await assert.rejects(
      Engine.start({ storage: "memory", peers: { a: "not an address" } } as never),
      /peers\.a/,
    );
    await assert.rejects(Engine.start({ storage: "memory", bogus: 1 } as never), /bogus/);
  });
});
