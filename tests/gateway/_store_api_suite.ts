// The store API suite: the same KvClient behaviour checked against every client (embedded, HTTP to the
// dengine gateway, HTTP to a real etcd). Keys live under a per-run prefix so a shared server is fine.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KvClient } from "../../src/client/types.ts";

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

/**
 * Registers the suite's tests.
 *
 * @param name Which client.
 * @param open Makes a client and its closer.
 * @param skip A skip reason, or false.
 */
export function storeApiSuite(
  name: string,
  open: () => Promise<{ client: KvClient; close(): Promise<void> }>,
  skip: string | false = false,
): void {
  const run = (title: string, body: (client: KvClient, prefix: string) => Promise<void>) =>
    test(`${name}: ${title}`, { skip }, async () => {
      const { client, close } = await open();
      try {
        await body(client, `suite-${Math.random().toString(36).slice(2)}/`);
      } finally {
        await close();
      }
    });

  run("a key is put, read with its versions, and deleted", async (client, p) => {
    const first = await client.put(`${p}a`, "1");
    await client.put(`${p}a`, "2");
    const kv = await client.get(`${p}a`);
    assert.equal(text(kv?.value), "2");
    assert.equal(kv?.version, 2);
    assert.equal(kv?.createRevision, first.header.revision);
    const old = await client.get(`${p}a`, { revision: first.header.revision });
    assert.equal(text(old?.value), "1");
    const deleted = await client.delete(`${p}a`, { prevKv: true });
    assert.equal(deleted.deleted, 1);
    assert.equal(text(deleted.prevKvs[0]?.value), "2");
    assert.equal(await client.get(`${p}a`), null);
  });

  run("a prefix range counts, limits and pages", async (client, p) => {
    for (const key of ["x/1", "x/2", "x/3", "y"]) await client.put(`${p}${key}`, key);
    const limited = await client.range(`${p}x/`, { prefix: true, limit: 2 });
    assert.equal(limited.count, 3);
    assert.equal(limited.more, true);
    assert.deepEqual(limited.kvs.map((kv) => text(kv.value)), ["x/1", "x/2"]);
    const pages: string[][] = [];
    for await (const page of client.pages(`${p}x/`, { prefix: true, pageSize: 2 })) {
      pages.push(page.kvs.map((kv) => text(kv.value)));
    }
    assert.deepEqual(pages, [["x/1", "x/2"], ["x/3"]]);
    const descending = await client.range(`${p}`, { prefix: true, sortOrder: "descend", keysOnly: true });
    assert.equal(text(descending.kvs[0]?.key), `${p}y`);
  });

  run("a transaction swaps a value only when the guard holds", async (client, p) => {
    await client.put(`${p}cas`, "old");
    const lost = await client.txn().when({ key: `${p}cas`, target: "value", result: "equal", value: "other" })
      .then({ type: "put", key: `${p}cas`, value: "new" }).else({ type: "get", key: `${p}cas` }).commit();
    assert.equal(lost.succeeded, false);
    const read = lost.responses[0];
    assert.equal(read?.type === "range" ? text(read.response.kvs[0]?.value) : "", "old");
    const won = await client.txn().when({ key: `${p}cas`, target: "version", result: "equal", number: 1 })
      .then({ type: "put", key: `${p}cas`, value: "new" }).commit();
    assert.equal(won.succeeded, true);
    assert.equal(text((await client.get(`${p}cas`))?.value), "new");
  });

  run("a watch sees each change in order and replays from a start revision", async (client, p) => {
    const start = (await client.put(`${p}w`, "1")).header.revision;
    await client.put(`${p}w`, "2");
    await client.delete(`${p}w`);
    const stream = client.watch(`${p}w`, { startRevision: start, prevKv: true });
    const seen: string[] = [];
    for await (const response of stream) {
      for (const event of response.events) {
        seen.push(`${event.type}:${text(event.kv.value)}:${event.kv.modRevision - start}`);
      }
      if (seen.length >= 3) break;
    }
    assert.deepEqual(seen, ["put:1:0", "put:2:1", "delete::2"]);
  });

  run("a lease carries keys until it is revoked", async (client, p) => {
    const lease = await client.grantLease(60);
    await client.put(`${p}l`, "v", { lease: lease.id });
    assert.ok((await client.leases()).includes(lease.id));
    const ttl = await client.leaseTimeToLive(lease.id, { keys: true });
    assert.equal(ttl.grantedTtlSeconds, 60);
    assert.deepEqual(ttl.keys.map(text), [`${p}l`]);
    assert.equal(await client.keepAliveOnce(lease.id), 60);
    await client.revokeLease(lease.id);
    assert.equal(await client.get(`${p}l`), null);
    assert.equal((await client.leaseTimeToLive(lease.id)).ttlSeconds, -1);
    await assert.rejects(client.keepAliveOnce(lease.id));
  });

  run("a lock is held by one holder at a time with increasing fencing tokens", async (client, p) => {
    const first = await client.lock(`${p}lock`, { ttlSeconds: 10 });
    let secondHeld = false;
    const second = client.lock(`${p}lock`, { ttlSeconds: 10 }).then((lock) => {
      secondHeld = true;
      return lock;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(secondHeld, false);
    await first.release();
    const lock = await second;
    assert.ok(lock.fencingToken > first.fencingToken);
    await lock.release();
  });

  run("an election has one leader that proclaims and resigns", async (client, p) => {
    const election = client.election(`${p}e`);
    const leadership = await election.campaign("v1", { ttlSeconds: 10 });
    assert.equal(text((await election.leader())?.value), "v1");
    await leadership.proclaim("v2");
    assert.equal(text((await election.leader())?.value), "v2");
    await leadership.resign();
    assert.equal(await election.leader(), null);
  });

  run("a compacted revision can no longer be read", async (client, p) => {
    const first = (await client.put(`${p}c`, "1")).header.revision;
    const second = (await client.put(`${p}c`, "2")).header.revision;
    await client.compact(second);
    await assert.rejects(
      client.get(`${p}c`, { revision: first }),
      (error: Error) => /compacted/.test(error.message),
    );
  });
}
