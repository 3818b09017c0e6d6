import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { KvStore } from "../../src/kv/mod.ts";
import { createGateway, LocalBackend } from "../../src/gateway/mod.ts";
import { decodeBase64 } from "../../src/gateway/base64.ts";
import { crc32c, SNAPSHOT_CHUNK_BYTES } from "../../src/gateway/maintenance.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

async function withGateway(
  run: (
    post: (path: string, body: string) => Promise<{ status: number; json: Loose }>,
    backend: LocalBackend,
  ) => Promise<void>,
  store = new KvStore(),
) {
  const backend = new LocalBackend(store, { peerUrls: ["http://127.0.0.1:2380"] });
  const app = createGateway(backend);
  const post = async (path: string, body: string) => {
    const response = await app.request(path, { method: "POST", body });
    const text = await response.text();
    // Streams (several lines) stay text; unary answers are one JSON object.
    const unary = text.startsWith("{") && !text.trimEnd().includes("\n");
    return { status: response.status, json: unary ? JSON.parse(text) : text };
  };
  try {
    await run(post, backend);
  } finally {
    backend.close();
  }
}

const put = (key: string, value: string) => JSON.stringify({ key: btoa(key), value: btoa(value) });

describe("/v3/maintenance", () => {
  test("alarm lists nothing on a healthy store, as etcd answers: an empty object", async () => {
    await withGateway(async (post) => {
      assert.deepEqual(await post("/v3/maintenance/alarm", ""), { status: 200, json: {} });
      assert.deepEqual(await post("/v3/maintenance/alarm", '{"action":"GET"}'), { status: 200, json: {} });
      assert.deepEqual(await post("/v3beta/maintenance/alarm", '{"action":0}'), { status: 200, json: {} });
    });
  });

  test("a write refused for space raises NOSPACE until it is disarmed", async () => {
    await withGateway(async (post) => {
      const refused = await post("/v3/kv/put", put("a", "x".repeat(400)));
      assert.equal(refused.status, 429);
      assert.equal(refused.json.error, "etcdserver: mvcc: database space exceeded");
      const raised = { alarms: [{ memberID: "1", alarm: "NOSPACE" }] };
      assert.deepEqual((await post("/v3/maintenance/alarm", "")).json, raised);
      const wrongMember = await post(
        "/v3/maintenance/alarm",
        '{"action":"DEACTIVATE","memberID":"2","alarm":"NOSPACE"}',
      );
      assert.deepEqual(wrongMember.json, {});
      const disarmed = await post(
        "/v3/maintenance/alarm",
        '{"action":"DEACTIVATE","memberID":"1","alarm":"NOSPACE"}',
      );
      assert.deepEqual(disarmed.json, raised);
      assert.deepEqual((await post("/v3/maintenance/alarm", "")).json, {});
    }, new KvStore({ quotaBytes: 256 }));
  });

  test("activating an alarm by request is refused as unimplemented", async () => {
    await withGateway(async (post) => {
      const answer = await post(
        "/v3/maintenance/alarm",
        '{"action":"ACTIVATE","memberID":"1","alarm":"NOSPACE"}',
      );
      assert.equal(answer.status, 501);
      assert.equal(answer.json.code, 12);
    });
  });

  test("an unknown alarm action is a 400 naming the field", async () => {
    await withGateway(async (post) => {
      const answer = await post("/v3/maintenance/alarm", '{"action":"EXPLODE"}');
      assert.equal(answer.status, 400);
      assert.match(answer.json.message, /action/);
    });
  });

  test("defragment answers an empty object, like etcd", async () => {
    await withGateway(async (post) => {
      assert.deepEqual(await post("/v3/maintenance/defragment", ""), { status: 200, json: {} });
    });
  });

  test("hash is the CRC-32C of the store's snapshot and changes with the data", async () => {
    await withGateway(async (post, backend) => {
      const before = await post("/v3/maintenance/hash", "");
      assert.equal(before.status, 200);
      assert.equal(before.json.hash, crc32c(backend.store.snapshot()));
      assert.equal(before.json.header.revision, "1");
      await post("/v3/kv/put", put("a", "1"));
      const after = await post("/v3/maintenance/hash", "{}");
      assert.equal(after.json.header.revision, "2");
      assert.notEqual(after.json.hash, before.json.hash);
      assert.equal(after.json.hash, crc32c(backend.store.snapshot()));
    });
  });

  test("crc32c matches the standard check value", () => {
    assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
  });

  test("snapshot streams the store's bytes in 32 KiB blobs with the bytes remaining, then their SHA-256", async () => {
    await withGateway(async (post, backend) => {
      for (let i = 0; i < 40; i++) await post("/v3/kv/put", put(`key-${i}`, "v".repeat(2000)));
      const { json: text } = await post("/v3/maintenance/snapshot", "");
      const lines = (text as string).split("\n");
      assert.equal(lines.pop(), "");
      const results = lines.map((line) => JSON.parse(line).result);
      const expected = backend.store.snapshot();
      assert.ok(expected.length > SNAPSHOT_CHUNK_BYTES, "the store spans several chunks");
      const blobs = results.slice(0, -1).map((result) => decodeBase64(result.blob)!);
      let sent = 0;
      for (const [i, blob] of blobs.entries()) {
        sent += blob.length;
        const remaining = expected.length - sent;
        assert.equal(results[i].remaining_bytes, remaining === 0 ? undefined : String(remaining));
      }
      const joined = new Uint8Array(sent);
      let offset = 0;
      for (const blob of blobs) {
        joined.set(blob, offset);
        offset += blob.length;
      }
      assert.deepEqual(joined, expected);
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", expected.slice()));
      assert.deepEqual(decodeBase64(results.at(-1).blob), digest);
      assert.deepEqual(Object.keys(results.at(-1)), ["blob"]);
    });
  });

  test("transfer-leadership to the leader itself answers an empty object", async () => {
    await withGateway(async (post) => {
      assert.deepEqual(await post("/v3/maintenance/transfer-leadership", '{"targetID":"1"}'), {
        status: 200,
        json: {},
      });
    });
  });

  test("transfer-leadership to an unknown member is etcd's bad leader transferee", async () => {
    await withGateway(async (post) => {
      for (const body of ['{"targetID":"5"}', "{}"]) {
        const answer = await post("/v3/maintenance/transfer-leadership", body);
        assert.equal(answer.status, 412);
        assert.deepEqual(answer.json, {
          error: "etcdserver: bad leader transferee",
          message: "etcdserver: bad leader transferee",
          code: 9,
        });
      }
    });
  });
});

describe("/v3/cluster/member", () => {
  test("add checks the peer URLs as etcd does", async () => {
    await withGateway(async (post) => {
      for (
        const body of [
          "{}",
          '{"peerURLs":["bad"]}',
          '{"peerURLs":["ftp://h:1"]}',
          '{"peerURLs":["http://h"]}',
        ]
      ) {
        const answer = await post("/v3/cluster/member/add", body);
        assert.equal(answer.status, 400, body);
        assert.equal(answer.json.error, "etcdserver: given member URLs are invalid");
      }
      const same = await post("/v3/cluster/member/add", '{"peerURLs":["http://127.0.0.1:2380"]}');
      assert.equal(same.status, 412);
      assert.equal(same.json.error, "etcdserver: member ID already exist");
      const taken = await post(
        "/v3/cluster/member/add",
        '{"peerURLs":["http://127.0.0.1:2380","http://h:1"]}',
      );
      assert.equal(taken.status, 412);
      assert.equal(taken.json.error, "etcdserver: Peer URLs already exists");
    });
  });

  test("a single store cannot add a member and says so with Unimplemented", async () => {
    await withGateway(async (post) => {
      const answer = await post(
        "/v3/cluster/member/add",
        '{"peerURLs":["http://127.0.0.1:2381"],"isLearner":true}',
      );
      assert.equal(answer.status, 501);
      assert.equal(answer.json.code, 12);
    });
  });

  test("remove, promote and update of an unknown member are etcd's member not found", async () => {
    await withGateway(async (post) => {
      for (
        const [path, body] of [
          ["remove", '{"ID":"5"}'],
          ["promote", '{"ID":"5"}'],
          ["update", '{"ID":"5","peerURLs":["http://127.0.0.1:9999"]}'],
        ] as const
      ) {
        const answer = await post(`/v3/cluster/member/${path}`, body);
        assert.equal(answer.status, 404, path);
        assert.deepEqual(answer.json, {
          error: "etcdserver: member not found",
          message: "etcdserver: member not found",
          code: 5,
        });
      }
    });
  });

  test("promote of a voter is refused: only learners are promoted", async () => {
    await withGateway(async (post) => {
      const answer = await post("/v3/cluster/member/promote", '{"ID":"1"}');
      assert.equal(answer.status, 412);
      assert.equal(answer.json.error, "etcdserver: can only promote a learner member");
    });
  });

  test("update changes the member's peer URLs and answers the member list", async () => {
    await withGateway(async (post) => {
      const answer = await post(
        "/v3/cluster/member/update",
        '{"ID":"1","peerURLs":["http://127.0.0.1:2390"]}',
      );
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json.members, [{
        ID: "1",
        name: "default",
        peerURLs: ["http://127.0.0.1:2390"],
      }]);
      assert.equal(answer.json.header.revision, undefined);
      assert.deepEqual((await post("/v3/cluster/member/list", "")).json.members, answer.json.members);
    });
  });

  test("remove of the only member is unimplemented on a single store", async () => {
    await withGateway(async (post) => {
      const answer = await post("/v3beta/cluster/member/remove", '{"ID":"1"}');
      assert.equal(answer.status, 501);
    });
  });

  test("a member id beyond uint64 is a 400", async () => {
    await withGateway(async (post) => {
      const answer = await post("/v3/cluster/member/remove", '{"ID":"18446744073709551616"}');
      assert.equal(answer.status, 400);
      assert.match(answer.json.message, /ID/);
    });
  });
});
