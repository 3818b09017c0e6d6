import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../../mod.ts";
import { createGateway, EngineBackend } from "../../src/gateway/mod.ts";
import { tempDir } from "../cli/_process.ts";

test("/metrics on an engine exports leader changes, proposals and the fsync latency histogram", async () => {
  const dir = tempDir("dengine-metrics-");
  const engine = await Engine.start({ dataDir: dir.path, storage: "file", tickIntervalMs: 10 });
  try {
    await engine.ready({ timeoutMs: 10_000 });
    for (let i = 0; i < 5; i++) await engine.client.put(`k${i}`, "v");
    const app = createGateway(new EngineBackend(engine));
    const text = await (await app.request("/metrics")).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
    assert.equal(value("dengine_raft_leader_changes_total"), 1);
    assert.ok(value("dengine_raft_proposals_total") >= 5, "the five puts were proposed");
    const fsyncs = value("dengine_wal_fsync_duration_seconds_count");
    assert.ok(fsyncs >= 5, `one durable write per put at least (${fsyncs})`);
    assert.equal(value('dengine_wal_fsync_duration_seconds_bucket\\{le="\\+Inf"\\}'), fsyncs);
    assert.ok(value("dengine_wal_fsync_duration_seconds_sum") > 0);
    assert.match(text, /^dengine_raft_term 2$/m);
  } finally {
    await engine.stop();
    dir.remove();
  }
});
