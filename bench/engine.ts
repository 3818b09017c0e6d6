/**
 * Engine benchmark: the embedded client on the leader of a 3-node cluster of three processes over the
 * runtime's native TCP transport, default (file) storage with fsync on every batch, 8-byte keys, 256-byte
 * values, 1,000 concurrent callers. Measures writes/s and linearizable, lease and serializable reads/s with
 * p50/p99 latency, and prints a markdown table.
 *
 * Usage: deno run -A bench/engine.ts [seconds-per-case] [cases]   |   bun bench/engine.ts [seconds] [cases]
 * where `cases` is a comma-separated subset of put,linearizable,lease,serializable (default: all), e.g. to
 * profile one path: `deno run -A --v8-flags=--prof bench/engine.ts 5 put`.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Engine } from "../mod.ts";

const CALLERS = 1_000;
const KEYS = 100_000;
const VALUE = new Uint8Array(256).fill(120);
const secondsPerCase = Number(process.argv[2] ?? 0) || 5;
const cases = new Set((process.argv[3] ?? "put,linearizable,lease,serializable").split(","));
const isBun = "Bun" in globalThis;
const runtime = isBun ? "bun" : "deno";

async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    ports.push((server.address() as { port: number }).port);
    await new Promise((resolve) => server.close(resolve));
  }
  return ports;
}

function startPeer(name: string, dataDir: string, peers: Record<string, string>): Promise<ChildProcess> {
  const script = fileURLToPath(new URL("./_engine_peer.ts", import.meta.url));
  // Profiling a peer: DENGINE_BENCH_PEER_V8_FLAGS=--prof (Deno), written to the working directory.
  const v8Flags = process.env.DENGINE_BENCH_PEER_V8_FLAGS;
  const flags = v8Flags === undefined || isBun ? [] : [`--v8-flags=${v8Flags},--logfile=${name}.log`];
  const args = isBun ? ["run", script] : ["run", "-A", ...flags, script];
  const child = spawn(process.execPath, [...args, name, dataDir, JSON.stringify(peers)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  return new Promise((resolve) => child.stdout!.once("data", () => resolve(child)));
}

function key(i: number): string {
  return String(i % KEYS).padStart(8, "0");
}

interface Row {
  operation: string;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

async function measure(operation: string, call: (i: number) => Promise<unknown>): Promise<Row> {
  const latencies: number[] = [];
  const endMs = performance.now() + secondsPerCase * 1000;
  let next = 0;
  const startMs = performance.now();
  await Promise.all(Array.from({ length: CALLERS }, async () => {
    while (performance.now() < endMs) {
      const began = performance.now();
      await call(next++);
      latencies.push(performance.now() - began);
    }
  }));
  const elapsedMs = performance.now() - startMs;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0;
  return { operation, opsPerSecond: latencies.length / (elapsedMs / 1000), p50Ms: at(0.5), p99Ms: at(0.99) };
}

const dir = mkdtempSync(join(tmpdir(), "dengine-bench-engine-"));
const ports = await freePorts(3);
const peers = { n1: `127.0.0.1:${ports[0]}`, n2: `127.0.0.1:${ports[1]}`, n3: `127.0.0.1:${ports[2]}` };
const children = await Promise.all(["n2", "n3"].map((name) => startPeer(name, join(dir, name), peers)));
const engine = await Engine.start({ name: "n1", dataDir: join(dir, "n1"), peers, tickIntervalMs: 50 });
try {
  await engine.ready();
  for await (const leader of engine.watchLeader()) {
    if (leader.leaderName === "n1") break;
    if (leader.leaderId !== 0) engine.transferLeadership("n1");
  }
  const client = engine.client;
  const rows: Row[] = [];
  if (cases.has("put")) rows.push(await measure("put", (i) => client.put(key(i), VALUE)));
  if (cases.has("linearizable")) rows.push(await measure("get linearizable", (i) => client.get(key(i))));
  if (cases.has("lease")) {
    rows.push(await measure("get lease", (i) => client.get(key(i), { consistency: "lease" })));
  }
  if (cases.has("serializable")) {
    rows.push(await measure("get serializable", (i) => client.get(key(i), { consistency: "serializable" })));
  }
  console.log(`| runtime | operation | ops/s | p50 ms | p99 ms |`);
  console.log(`|---|---|---:|---:|---:|`);
  for (const row of rows) {
    console.log(
      `| ${runtime} | ${row.operation} | ${Math.round(row.opsPerSecond).toLocaleString("en-US")} | ` +
        `${row.p50Ms.toFixed(1)} | ${row.p99Ms.toFixed(1)} |`,
    );
  }
} finally {
  await engine.stop();
  for (const child of children) child.stdin!.end();
  await Promise.all(children.map((child) => new Promise((resolve) => child.once("exit", resolve))));
  rmSync(dir, { recursive: true, force: true });
}
