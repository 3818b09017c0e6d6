import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { KvStore } from "../../src/kv/mod.ts";
import { BODY_BYTES_MAX, createGateway, LocalBackend } from "../../src/gateway/mod.ts";
import { decodeBase64, encodeBase64 } from "../../src/gateway/base64.ts";
import { jsonObjects } from "../../src/gateway/json_stream.ts";

// Answers are read loosely: each test asserts on the fields it cares about.
// deno-lint-ignore no-explicit-any
type Loose = any;

async function withGateway(
  run: (
    post: (path: string, body: string) => Promise<{ status: number; json: Loose }>,
    app: ReturnType<typeof createGateway>,
  ) => Promise<void>,
) {
  const backend = new LocalBackend(new KvStore());
  const app = createGateway(backend);
  const post = async (path: string, body: string) => {
    const response = await app.request(path, { method: "POST", body });
    const text = await response.text();
    return { status: response.status, json: text.startsWith("{") ? JSON.parse(text) : text };
  };
  try {
    await run(post, app);
  } finally {
    backend.close();
  }
}

async function lines(body: ReadableStream<Uint8Array>, count: number): Promise<Loose[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const out: Loose[] = [];
  let buffer = "";
  // The deadline only stops a hung test; it asserts nothing about speed.
  const deadline = setTimeout(() => void reader.cancel(), 10_000);
  while (out.length < count) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      out.push(JSON.parse(buffer.slice(0, newline)));
      buffer = buffer.slice(newline + 1);
    }
  }
  clearTimeout(deadline);
  await reader.cancel();
  return out;
}

describe("the /v3 gateway", () => {
  test("base64 round-trips every byte and rejects what is not base64", () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (let length = 0; length < 8; length++) {
      assert.deepEqual(decodeBase64(encodeBase64(bytes.subarray(0, length))), bytes.subarray(0, length));
    }
    assert.equal(encodeBase64(bytes), btoa(String.fromCharCode(...bytes)));
    assert.equal(decodeBase64("!!"), null);
    assert.equal(decodeBase64("YQ==="), null);
  });

  test("the stream splitter yields each object, braces in strings included", async () => {
    const body = new Response('{"a":"}{"}\n  {"b":{"c":1}}{"d":"\\"}"}').body!;
    const texts: string[] = [];
    for await (const text of jsonObjects(body)) texts.push(text);
    assert.deepEqual(texts.map((text) => JSON.parse(text)), [{ a: "}{" }, { b: { c: 1 } }, { d: '"}' }]);
  });

  test("put then range answers with etcd's encoding and lowerCamel input is accepted", async () => {
    await withGateway(async (post) => {
      assert.equal((await post("/v3/kv/put", '{"key":"YQ==","value":"MQ==","lease":0}')).status, 200);
      const range = await post("/v3/kv/range", '{"key":"YQ==","keysOnly":false,"sortOrder":"DESCEND"}');
      assert.deepEqual(range.json.kvs, [{
        key: "YQ==",
        create_revision: "2",
        mod_revision: "2",
        version: "1",
        value: "MQ==",
      }]);
      assert.equal(range.json.count, "1");
      assert.equal(range.json.more, undefined);
    });
  });

  test("bad input gets a 400 naming the field, never a 500", async () => {
    await withGateway(async (post) => {
      const cases: [string, string, string][] = [
        ["/v3/kv/put", '{"key":"YQ==","lease":"abc"}', "lease"],
        ["/v3/kv/range", '{"key":"YQ==","limit":-1}', "limit"],
        ["/v3/kv/txn", '{"compare":[{"key":"%%"}]}', "compare.0.key"],
        ["/v3/kv/txn", '{"success":[{"request_put":{"key":7}}]}', "success.0.request_put.key"],
        ["/v3/lease/grant", '{"TTL":1.5}', "TTL"],
        ["/v3/kv/range", '{"key":"YQ==","revision":"99999999999999999999"}', "revision"],
      ];
      for (const [path, body, field] of cases) {
        const answer = await post(path, body);
        assert.equal(answer.status, 400, body);
        assert.equal(answer.json.code, 3);
        assert.ok(answer.json.message.includes(`"${field}"`), `${answer.json.message} names ${field}`);
      }
      for (
        const body of ["[]", "null", "1", '"x"', "{", '{"key":{"a":1}}', "[".repeat(100) + "]".repeat(100)]
      ) {
        const answer = await post("/v3/kv/range", body);
        assert.equal(answer.status, 400, body);
      }
    });
  });

  test("a body over the size limit is refused with 400", async () => {
    await withGateway(async (post) => {
      const answer = await post("/v3/kv/put", `{"key":"YQ==","value":"${"A".repeat(BODY_BYTES_MAX)}"}`);
      assert.equal(answer.status, 400);
      assert.ok(answer.json.message.includes("request is too large"));
    });
  });

  test("one watch stream carries several watches with ids from 0, and cancels one by request", async () => {
    await withGateway(async (post, app) => {
      let push!: (text: string) => void;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          push = (text) => controller.enqueue(new TextEncoder().encode(text));
        },
      });
      const response = await app.request(
        "/v3/watch",
        { method: "POST", body, duplex: "half" } as RequestInit,
      );
      const reader = lines(response.body!, 5);
      push('{"create_request":{"key":"YQ=="}}{"create_request":{"key":"Yg=="}}');
      await new Promise((resolve) => setTimeout(resolve, 20));
      push('{"cancel_request":{"watch_id":"1"}}');
      await new Promise((resolve) => setTimeout(resolve, 20));
      await post("/v3/kv/put", '{"key":"Yg==","value":"MQ=="}');
      await post("/v3/kv/put", '{"key":"YQ==","value":"MQ=="}');
      push('{"progress_request":{}}');
      const got = await reader;
      assert.equal(got[0].result.created, true);
      assert.equal(got[0].result.watch_id, undefined);
      assert.equal(got[1].result.watch_id, "1");
      assert.equal(got[2].result.canceled, true);
      assert.equal(got[3].result.events[0].kv.key, "YQ==");
      assert.equal(got[3].result.watch_id, undefined);
      assert.equal(got[4].result.watch_id, "-1");
      assert.equal(got[4].result.header.revision, "3");
    });
  });

  test("a watch created with fragment splits a response larger than the request limit", async () => {
    await withGateway(async (post, app) => {
      const big = encodeBase64(new Uint8Array(700 * 1024).fill(120));
      for (let i = 0; i < 3; i++) await post("/v3/kv/put", JSON.stringify({ key: "YQ==", value: big }));
      const read = async (fragment: boolean) => {
        const create = { create_request: { key: "YQ==", start_revision: "2", fragment } };
        const response = await app.request("/v3/watch", { method: "POST", body: JSON.stringify(create) });
        const got: Loose[] = [];
        for (const line of await lines(response.body!, fragment ? 3 : 2)) got.push(line.result);
        return got;
      };
      const whole = await read(false);
      assert.equal(whole[1].events.length, 3, "without fragment one response carries the 3 revisions");
      assert.equal(whole[1].fragment, undefined);
      const parts = await read(true);
      assert.equal(parts[0].created, true);
      assert.deepEqual(parts.slice(1).map((part) => part.events.length), [2, 1]);
      assert.deepEqual(parts.slice(1).map((part) => part.fragment), [true, undefined]);
    });
  });

  test("a malformed object on a watch stream ends it with a stream error", async () => {
    await withGateway(async (_post, app) => {
      const response = await app.request("/v3/watch", {
        method: "POST",
        body: '{"create_request":{"key":"!"}}',
      });
      const [line] = await lines(response.body!, 1);
      assert.equal(line.error.grpc_code, 3);
      assert.equal(line.error.http_code, 400);
      assert.equal(line.error.http_status, "Bad Request");
    });
  });

  test("election observe streams the leader's value changes", async () => {
    await withGateway(async (post, app) => {
      await post("/v3/lease/grant", '{"TTL":30,"ID":7}');
      const campaign = await post("/v3/election/campaign", '{"name":"ZQ==","lease":"7","value":"MQ=="}');
      const response = await app.request("/v3/election/observe", { method: "POST", body: '{"name":"ZQ=="}' });
      const reading = lines(response.body!, 2);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await post("/v3/election/proclaim", JSON.stringify({ leader: campaign.json.leader, value: "Mg==" }));
      const got = await reading;
      assert.deepEqual(got.map((line) => line.result.kv.value), ["MQ==", "Mg=="]);
    });
  });

  test("an expired lease is revoked and its keys deleted", async () => {
    let nowMs = 0;
    const backend = new LocalBackend(new KvStore(), { nowMs: () => nowMs, expiryIntervalMs: 60_000 });
    const app = createGateway(backend);
    try {
      await app.request("/v3/lease/grant", { method: "POST", body: '{"TTL":5,"ID":9}' });
      await app.request("/v3/kv/put", { method: "POST", body: '{"key":"YQ==","lease":"9"}' });
      nowMs = 6_000;
      assert.deepEqual(backend.revokeExpiredLeases(), [9]);
      const range = await (await app.request("/v3/kv/range", { method: "POST", body: '{"key":"YQ=="}' }))
        .json();
      assert.equal(range.kvs, undefined);
    } finally {
      backend.close();
    }
  });
});
