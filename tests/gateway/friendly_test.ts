import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { KvStore } from "../../src/kv/mod.ts";
import { createGateway, LocalBackend } from "../../src/gateway/mod.ts";

async function withApp(run: (app: ReturnType<typeof createGateway>) => Promise<void>): Promise<void> {
  const backend = new LocalBackend(new KvStore());
  try {
    await run(createGateway(backend));
  } finally {
    backend.close();
  }
}

async function sseEvents(body: ReadableStream<Uint8Array>, count: number): Promise<Record<string, string>[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events: Record<string, string>[] = [];
  let buffer = "";
  // The deadline only stops a hung test; it asserts nothing about speed.
  const deadline = setTimeout(() => void reader.cancel(), 10_000);
  while (events.length < count) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (block.startsWith(":")) continue;
      events.push(
        Object.fromEntries(
          block.split("\n").map((
            line,
          ) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]),
        ),
      );
    }
  }
  clearTimeout(deadline);
  await reader.cancel();
  return events;
}

describe("the friendly API", () => {
  test("put, get, list by prefix and delete keys with UTF-8 values", async () => {
    await withApp(async (app) => {
      assert.equal(
        (await app.request("/api/kv/config/db", { method: "PUT", body: "postgres://été" })).status,
        200,
      );
      await app.request("/api/kv/config/cache", { method: "PUT", body: "redis" });
      const one = await (await app.request("/api/kv/config/db")).json();
      assert.equal(one.value, "postgres://été");
      assert.equal(one.version, 1);
      const list = await (await app.request("/api/kv/config/?prefix&limit=1")).json();
      assert.equal(list.count, 2);
      assert.equal(list.more, true);
      assert.deepEqual(list.kvs.map((kv: { key: string }) => kv.key), ["config/cache"]);
      const old =
        await (await app.request(`/api/kv/config/db?revision=${one.modRevision}&consistency=serializable`))
          .json();
      assert.equal(old.value, "postgres://été");
      const deleted = await (await app.request("/api/kv/config?prefix", { method: "DELETE" })).json();
      assert.equal(deleted.deleted, 2);
    });
  });

  test("errors carry a code, a message naming the problem and the right status", async () => {
    await withApp(async (app) => {
      const missing = await app.request("/api/kv/nope");
      assert.equal(missing.status, 404);
      assert.deepEqual(Object.keys((await missing.json()).error), ["code", "message"]);
      const badLimit = await app.request("/api/kv/a?prefix&limit=-2");
      assert.equal(badLimit.status, 400);
      assert.match((await badLimit.json()).error.message, /limit/);
      const badConsistency = await app.request("/api/kv/a?consistency=eventual");
      assert.equal(badConsistency.status, 400);
      const future = await app.request("/api/kv/a?revision=99");
      assert.equal(future.status, 400);
      assert.equal((await future.json()).error.code, "out_of_range");
      const badLease = await app.request("/api/leases", { method: "POST", body: '{"ttl":"x"}' });
      assert.equal(badLease.status, 400);
      assert.match((await badLease.json()).error.message, /ttl/);
    });
  });

  test("leases are granted, listed, renewed and revoked with their keys", async () => {
    await withApp(async (app) => {
      const granted = await app.request("/api/leases", { method: "POST", body: '{"ttl":30}' });
      assert.equal(granted.status, 201);
      const { id } = await granted.json();
      await app.request(`/api/kv/session?lease=${id}`, { method: "PUT", body: "x" });
      assert.deepEqual((await (await app.request("/api/leases")).json()).ids, [id]);
      assert.deepEqual((await (await app.request(`/api/leases/${id}`)).json()).keys, ["session"]);
      assert.equal(
        (await (await app.request(`/api/leases/${id}/keepalive`, { method: "POST" })).json()).ttl,
        30,
      );
      assert.equal((await app.request(`/api/leases/${id}`, { method: "DELETE" })).status, 200);
      assert.equal((await app.request("/api/kv/session")).status, 404);
      assert.equal((await app.request(`/api/leases/${id}`)).status, 404);
    });
  });

  test("an SSE watch streams changes with revision ids and resumes from Last-Event-ID", async () => {
    await withApp(async (app) => {
      const response = await app.request("/api/watch/jobs/?prefix");
      assert.equal(response.headers.get("content-type"), "text/event-stream");
      const reading = sseEvents(response.body!, 2);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await app.request("/api/kv/jobs/1", { method: "PUT", body: "a" });
      await app.request("/api/kv/jobs/2", { method: "PUT", body: "b" });
      const events = await reading;
      assert.deepEqual(events.map((event) => event["id"]), ["2", "3"]);
      assert.equal(JSON.parse(events[0]!["data"]!).events[0].kv.value, "a");
      const resumed = await app.request("/api/watch/jobs/?prefix", { headers: { "last-event-id": "2" } });
      const [replayed] = await sseEvents(resumed.body!, 1);
      assert.equal(replayed!["id"], "3");
      assert.equal(JSON.parse(replayed!["data"]!).events[0].kv.key, "jobs/2");
    });
  });

  test("health, readiness, metrics, cluster and the OpenAPI document answer", async () => {
    await withApp(async (app) => {
      assert.equal((await app.request("/health")).status, 200);
      assert.equal((await (await app.request("/ready")).json()).ready, true);
      await app.request("/api/kv/a", { method: "PUT", body: "1" });
      const metrics = await (await app.request("/metrics")).text();
      assert.match(metrics, /^dengine_raft_term 1$/m);
      assert.match(metrics, /^dengine_kv_revision 2$/m);
      assert.match(
        metrics,
        /dengine_http_requests_total\{route="\/api\/kv\/\*",method="PUT",status="200"\} 1/,
      );
      const cluster = await (await app.request("/api/cluster")).json();
      assert.equal(cluster.members.length, 1);
      const openApi = await (await app.request("/openapi.json")).json();
      assert.equal(openApi.openapi, "3.1.0");
      const names = openApi.paths["/api/kv/{key}"].get.parameters.map((parameter: { name: string }) =>
        parameter.name
      );
      assert.deepEqual(names, ["key", "prefix", "limit", "revision", "consistency", "keys_only"]);
      const campaignBody =
        openApi.paths["/api/elections/{name}/campaign"].post.requestBody.content["application/json"];
      assert.deepEqual(Object.keys(campaignBody.schema.properties).sort(), ["lease", "value"]);
      assert.ok(openApi.paths["/api/locks/{name}"].delete !== undefined);
    });
  });
});
