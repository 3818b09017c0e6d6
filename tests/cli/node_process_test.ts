import { test } from "node:test";
import assert from "node:assert/strict";
import { b64, postJson, startMain, stopMain, tempDir, waitFor } from "./_process.ts";

const PORT = 23_790 + (typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? 1 : 0);
const URL_BASE = `http://127.0.0.1:${PORT}`;

test("a node started from the command line serves etcd's put, range and status, and recovers on restart", async () => {
  const dir = tempDir("dengine-cli-");
  const args = ["node", "--name", "n1", "--data-dir", dir.path, "--listen-client", `127.0.0.1:${PORT}`];
  let node = startMain(args);
  try {
    await waitFor("the node to answer", async () => {
      const { status } = await postJson(`${URL_BASE}/v3/maintenance/status`, {});
      return status === 200 ? true : undefined;
    });
    const put = await postJson(`${URL_BASE}/v3/kv/put`, { key: b64("greeting"), value: b64("hello") });
    assert.equal(put.status, 200);
    assert.equal((put.json.header as Record<string, string>).revision, "2");
    assert.equal(await stopMain(node), 0, node.output());
    assert.match(node.output(), /"msg":"node stopped"/);

    node = startMain(args);
    const range = await waitFor("the restarted node to answer", async () => {
      const answer = await postJson(`${URL_BASE}/v3/kv/range`, { key: b64("greeting") });
      return answer.status === 200 ? answer : undefined;
    });
    const kvs = range.json.kvs as Record<string, string>[];
    assert.equal(kvs.length, 1);
    assert.equal(atob(kvs[0]!.value!), "hello");
    assert.equal(kvs[0]!.mod_revision, "2");
    const status = await postJson(`${URL_BASE}/v3/maintenance/status`, {});
    assert.equal(status.json.version, "3.4.23");
    assert.equal(await stopMain(node, "SIGINT"), 0, node.output());
  } finally {
    await stopMain(node);
    dir.remove();
  }
});

test("a node refuses a wrong flag with a message naming it and exit code 2", async () => {
  const node = startMain(["node", "--data-dri", "/tmp/x"]);
  assert.equal(await node.exited, 2);
  assert.match(node.output(), /unknown flag --data-dri/);
});
