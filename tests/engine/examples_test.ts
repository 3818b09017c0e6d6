import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const isBun = "Bun" in globalThis;
const root = fileURLToPath(new URL("../../", import.meta.url));

function runExample(file: string): { status: number | null; stdout: string; stderr: string } {
  const args = isBun ? ["run", file] : ["run", "-A", file];
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the examples", () => {
  test("quick-start-embedded runs to completion and shows each feature working", () => {
    const { status, stdout, stderr } = runExample("examples/quick_start_embedded.ts");
    assert.equal(status, 0, stderr);
    assert.match(stdout, /greeting = hello/);
    assert.match(stdout, /config keys = config\/color, config\/greeting/);
    assert.match(stdout, /swapped = true/);
    assert.match(stdout, /watch: put config\/size/);
    assert.match(stdout, /service after revoke = null/);
    assert.match(stdout, /lock held, fencing token \d+/);
  });

  test("three-nodes-in-one-process fails over and keeps serving", () => {
    const { status, stdout, stderr } = runExample("examples/three_nodes_in_one_process.ts");
    assert.equal(status, 0, stderr);
    assert.match(stdout, /read on n\d = written through a follower/);
    assert.match(stdout, /old leader stopped; new leader: n\d in term \d+/);
    assert.match(stdout, /after failover = still writable/);
  });

  test("service-discovery sees instances register and a crashed one expire", () => {
    const { status, stdout, stderr } = runExample("examples/service_discovery.ts");
    assert.equal(status, 0, stderr);
    assert.match(stdout, /up {3}services\/web\/web-1/);
    assert.match(stdout, /down services\/web\/web-2/);
    assert.match(stdout, /still registered: services\/web\/web-1\n/);
  });

  test("leader-election hands leadership over when the leader resigns", () => {
    const { status, stdout, stderr } = runExample("examples/leader_election.ts");
    assert.equal(status, 0, stderr);
    assert.match(stdout, /observer: leader is alice \(epoch 2\)/);
    assert.match(stdout, /observer: leader is bob/);
    assert.match(stdout, /current leader after everyone resigned: null/);
  });

  test("distributed-lock serializes workers with increasing fencing tokens", () => {
    const { status, stdout, stderr } = runExample("examples/distributed_lock.ts");
    assert.equal(status, 0, stderr);
    const tokens = [...stdout.matchAll(/holds the lock with token (\d+); fenced write ok: true/g)].map((m) =>
      Number(m[1])
    );
    assert.equal(tokens.length, 3);
    assert.deepEqual([...tokens].sort((a, b) => a - b), tokens);
  });
});
