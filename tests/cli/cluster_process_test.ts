import { test } from "node:test";
import assert from "node:assert/strict";
import { b64, postJson, startMain, stopMain, tempDir, waitFor } from "./_process.ts";

test("the cluster command starts three members that elect a leader and replicate, and stops them all", async () => {
  const dir = tempDir("dengine-cluster-");
  const cluster = startMain(["cluster", "--data-dir", dir.path]);
  try {
    await waitFor(
      "a leader",
      () => Promise.resolve(/dengine: leader is n\d/.test(cluster.output()) || undefined),
    );
    // A write on one member (forwarded to the leader if needed) is read back linearizably on every member.
    const put = await waitFor("a write to succeed", async () => {
      const answer = await postJson("http://127.0.0.1:2479/v3/kv/put", { key: b64("k"), value: b64("v") });
      return answer.status === 200 ? answer : undefined;
    });
    const revision = (put.json.header as Record<string, string>).revision;
    for (const port of [2379, 2479, 2579]) {
      const range = await postJson(`http://127.0.0.1:${port}/v3/kv/range`, { key: b64("k") });
      assert.equal(range.status, 200);
      const kvs = range.json.kvs as Record<string, string>[];
      assert.equal(atob(kvs[0]!.value!), "v", `member on ${port}`);
      assert.equal(kvs[0]!.mod_revision, revision);
    }
    const output = cluster.output();
    for (const name of ["n1", "n2", "n3"]) {
      assert.match(output, new RegExp(`^${name} \\| .*node started`, "m"));
    }
    assert.equal(await stopMain(cluster, "SIGINT"), 0, cluster.output());
    assert.match(cluster.output(), /cluster stopped \(exit codes 0, 0, 0\)/);
  } finally {
    await stopMain(cluster, "SIGKILL");
    dir.remove();
  }
});
