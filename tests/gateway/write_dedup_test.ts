import { test } from "node:test";
import assert from "node:assert/strict";
import { KvStore } from "../../src/kv/mod.ts";
import { createGateway, LocalBackend } from "../../src/gateway/mod.ts";
import { HttpClient } from "../../src/client/http.ts";

function lossyGateway(options: { retryWritesWithDedup: boolean }) {
  const store = new KvStore();
  const backend = new LocalBackend(store);
  const app = createGateway(backend);
  const seen: Request[] = [];
  let loseNextAnswer = false;
  const client = new HttpClient({
    endpoints: ["http://a.test", "http://b.test"],
    retryWritesWithDedup: options.retryWritesWithDedup,
    fetch: async (request) => {
      seen.push(request.clone());
      const response = await app.fetch(request);
      if (loseNextAnswer) {
        loseNextAnswer = false;
        await response.body?.cancel();
        throw new TypeError("network error: the connection was reset after the request was sent");
      }
      return response;
    },
  });
  return {
    store,
    client,
    seen,
    loseNextAnswer: () => (loseNextAnswer = true),
    close: () => {
      client.close();
      backend.close();
    },
  };
}

test("a write whose answer is lost is resent with the same identity and applied once", async () => {
  const gateway = lossyGateway({ retryWritesWithDedup: true });
  try {
    await gateway.client.put("a", "1");
    gateway.loseNextAnswer();
    const put = await gateway.client.put("b", "2");
    assert.equal(put.header.revision, 3, "the resent put answers the first application's revision");
    assert.equal(gateway.store.revision, 3, "applied once");
    const [first, retry] = gateway.seen.slice(-2);
    assert.equal(first!.url, "http://a.test/v3/kv/put");
    assert.equal(retry!.url, "http://b.test/v3/kv/put");
    const id = first!.headers.get("x-dengine-client-id");
    assert.ok(id !== null && Number(id) > 0);
    assert.equal(retry!.headers.get("x-dengine-client-id"), id);
    assert.equal(retry!.headers.get("x-dengine-sequence"), "1");
    const other = gateway.seen[0]!.headers.get("x-dengine-client-id");
    assert.notEqual(other, id, "each write has its own identity");
  } finally {
    gateway.close();
  }
});

test("without dedup retries a write whose answer is lost fails instead of risking a second application", async () => {
  const gateway = lossyGateway({ retryWritesWithDedup: false });
  try {
    gateway.loseNextAnswer();
    await assert.rejects(gateway.client.put("b", "2"), /connection was reset/);
    assert.equal(gateway.store.revision, 2);
  } finally {
    gateway.close();
  }
});

test("the gateway refuses a malformed dedup identity naming the headers", async () => {
  const backend = new LocalBackend(new KvStore());
  try {
    const response = await createGateway(backend).request("/v3/kv/put", {
      method: "POST",
      body: '{"key":"YQ==","value":"MQ=="}',
      headers: { "x-dengine-client-id": "abc", "x-dengine-sequence": "1" },
    });
    assert.equal(response.status, 400);
    assert.match((await response.json()).message, /x-dengine-client-id and x-dengine-sequence/);
  } finally {
    backend.close();
  }
});
