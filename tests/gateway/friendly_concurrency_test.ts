import { test } from "node:test";
import assert from "node:assert/strict";
import { KvStore } from "../../src/kv/mod.ts";
import { createGateway, LocalBackend } from "../../src/gateway/mod.ts";

type App = ReturnType<typeof createGateway>;

async function withApp(run: (app: App) => Promise<void>): Promise<void> {
  const backend = new LocalBackend(new KvStore());
  try {
    await run(createGateway(backend));
  } finally {
    backend.close();
  }
}

async function call(app: App, method: string, path: string, body?: unknown) {
  const init: RequestInit = { method };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const response = await app.fetch(new Request(`http://dengine${path}`, init));
  return { status: response.status, json: await response.json() as Record<string, unknown> };
}

async function lease(app: App): Promise<number> {
  const { json } = await call(app, "POST", "/api/leases", { ttl: 30 });
  return json.id as number;
}

test("a lock taken through the friendly API answers its key and fencing token, and a second waits for it", async () => {
  await withApp(async (app) => {
    const first = await lease(app);
    const second = await lease(app);
    const held = await call(app, "POST", "/api/locks/jobs/nightly", { lease: first });
    assert.equal(held.status, 200);
    assert.equal(held.json.key, `jobs/nightly/${first.toString(16)}`);
    const token = held.json.fencingToken as number;
    assert.ok(token > 1);
    let secondDone = false;
    const waiting = call(app, "POST", "/api/locks/jobs/nightly", { lease: second }).then((answer) => {
      secondDone = true;
      return answer;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(secondDone, false, "the second caller waits while the lock is held");
    const released = await call(app, "DELETE", `/api/locks/${held.json.key}`);
    assert.deepEqual(released.json.released, true);
    const next = await waiting;
    assert.equal(next.status, 200);
    assert.ok((next.json.fencingToken as number) > token, "the next holder's token is larger");
  });
});

test("an election through the friendly API campaigns, proclaims, shows its leader and resigns", async () => {
  await withApp(async (app) => {
    const id = await lease(app);
    const won = await call(app, "POST", "/api/elections/primary/campaign", { lease: id, value: "10.0.0.1" });
    assert.equal(won.status, 200);
    const leader = won.json.leader as { key: string; revision: number; lease: number };
    assert.equal(leader.lease, id);
    assert.equal((await call(app, "GET", "/api/elections/primary")).json.value, "10.0.0.1");
    const proclaimed = await call(app, "POST", "/api/elections/primary/proclaim", {
      ...leader,
      value: "10.0.0.2",
    });
    assert.equal(proclaimed.status, 200);
    assert.equal((await call(app, "GET", "/api/elections/primary")).json.value, "10.0.0.2");
    const resigned = await call(app, "POST", "/api/elections/primary/resign", {
      key: leader.key,
      revision: leader.revision,
      lease: leader.lease,
    });
    assert.equal(resigned.json.resigned, true);
    const none = await call(app, "GET", "/api/elections/primary");
    assert.ok(none.status >= 400, `no leader after resigning (status ${none.status})`);
    assert.equal(typeof (none.json.error as Record<string, unknown>).message, "string");
  });
});

test("bad lock and election bodies get a 400 naming the field", async () => {
  await withApp(async (app) => {
    const notJson = await call(app, "POST", "/api/locks/a", "{");
    assert.equal(notJson.status, 400);
    assert.match((notJson.json.error as Record<string, string>).message!, /body must be JSON/);
    const wrongType = await call(app, "POST", "/api/locks/a", { lease: "seven" });
    assert.equal(wrongType.status, 400);
    assert.match((wrongType.json.error as Record<string, string>).message!, /lease/);
    const missingValue = await call(app, "POST", "/api/elections/e/campaign", { lease: 5 });
    assert.equal(missingValue.status, 400);
    assert.match((missingValue.json.error as Record<string, string>).message!, /value/);
  });
});
