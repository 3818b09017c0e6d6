// HTTP load: the same /v3/kv/put and linearizable /v3/kv/range (8-byte key, 256-byte value) sent by h2load
// over HTTP/1.1 with 64 and 256 connections to a 3-member etcd 3.4 cluster and to the dengine gateway, side by
// side on this machine. Writes bench/reports/http_<runtime>.md and .svg.
//
// Run: node_modules/.bin/deno run -A bench/http.ts   (or node_modules/.bin/bun bench/http.ts)
//
// NOTE: the engine does not yet expose the backend the gateway needs (see the gateway report), so the dengine
// side is the gateway over ONE in-process store (LocalBackend: no replication, no fsync). The table says so;
// it measures the HTTP/JSON layer's ceiling, not a replicated cluster.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KvStore } from "../src/kv/mod.ts";
import { createGateway, LocalBackend } from "../src/gateway/mod.ts";
import { serveHttp } from "../adapters/runtime/serve.ts";

const REQUESTS_PER_RUN = 20_000;
const CONNECTIONS = [64, 256];
const KEY = "key00001";
const VALUE = "v".repeat(256);

async function freePort(): Promise<number> {
  return await new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

async function startEtcdCluster(): Promise<{ url: string; stop(): Promise<void> }> {
  const members = await Promise.all([0, 1, 2].map(async (i) => ({
    name: `m${i}`,
    client: `http://127.0.0.1:${await freePort()}`,
    peer: `http://127.0.0.1:${await freePort()}`,
    dir: mkdtempSync(join(tmpdir(), "dengine-bench-etcd-")),
  })));
  const cluster = members.map((m) => `${m.name}=${m.peer}`).join(",");
  const children: ChildProcess[] = members.map((m) =>
    spawn("/usr/bin/etcd", [
      `--name=${m.name}`,
      `--data-dir=${m.dir}`,
      `--listen-client-urls=${m.client}`,
      `--advertise-client-urls=${m.client}`,
      `--listen-peer-urls=${m.peer}`,
      `--initial-advertise-peer-urls=${m.peer}`,
      `--initial-cluster=${cluster}`,
      "--log-level=error",
    ], { stdio: "ignore" })
  );
  const url = members[0]!.client;
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      const response = await fetch(`${url}/v3/kv/put`, { method: "POST", body: '{"key":"AA=="}' });
      await response.text();
      if (response.ok) break;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    stop: async () => {
      await Promise.all(
        children.map((child) => new Promise((resolve) => (child.once("exit", resolve), child.kill()))),
      );
      for (const m of members) rmSync(m.dir, { recursive: true, force: true });
    },
  };
}

interface Run {
  target: string;
  op: string;
  connections: number;
  requestsPerSecond: number;
  meanMs: number;
  maxMs: number;
  non2xx: number;
}

function h2load(url: string, bodyPath: string, connections: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "h2load",
      [
        "--h1",
        "-n",
        String(REQUESTS_PER_RUN),
        "-c",
        String(connections),
        "-t",
        "1",
        "-d",
        bodyPath,
        "-H",
        "content-type: application/json",
        url,
      ],
      { maxBuffer: 1 << 20 },
      (error, stdout) => error ? reject(error) : resolve(String(stdout)),
    );
  });
}

function toMs(text: string): number {
  const match = /([\d.]+)(us|ms|s)/.exec(text);
  if (match === null) return NaN;
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

function parse(output: string, run: Omit<Run, "requestsPerSecond" | "meanMs" | "maxMs" | "non2xx">): Run {
  const rps = Number(/finished in [^,]+, ([\d.]+) req\/s/.exec(output)?.[1] ?? NaN);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(output);
  const failed = Number(/(\d+) failed/.exec(output)?.[1] ?? 0);
  const timing = /time for request:\s+(\S+)\s+(\S+)\s+(\S+)/.exec(output);
  return {
    ...run,
    requestsPerSecond: rps,
    meanMs: toMs(timing?.[3] ?? ""),
    maxMs: toMs(timing?.[2] ?? ""),
    non2xx: codes === null
      ? REQUESTS_PER_RUN
      : Number(codes[2]) + Number(codes[3]) + Number(codes[4]) + failed,
  };
}

function svg(runs: Run[]): string {
  const width = 720;
  const barHeight = 18;
  const max = Math.max(...runs.map((run) => run.requestsPerSecond));
  const bars = runs.map((run, i) => {
    const length = Math.round((run.requestsPerSecond / max) * (width - 330));
    const y = 30 + i * (barHeight + 6);
    const color = run.target.startsWith("etcd") ? "#888" : "#2a7";
    return `<text x="5" y="${y + 13}" font-size="12">${run.target} ${run.op} c=${run.connections}</text>` +
      `<rect x="250" y="${y}" width="${length}" height="${barHeight}" fill="${color}"/>` +
      `<text x="${255 + length}" y="${y + 13}" font-size="12">${Math.round(run.requestsPerSecond)}/s</text>`;
  }).join("\n");
  const height = 40 + runs.length * (barHeight + 6);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<text x="5" y="16" font-size="14">HTTP requests/s (h2load, HTTP/1.1)</text>\n${bars}\n</svg>\n`;
}

const work = mkdtempSync(join(tmpdir(), "dengine-bench-http-"));
const b64 = (text: string) => btoa(text);
const putBody = join(work, "put.json");
const rangeBody = join(work, "range.json");
writeFileSync(putBody, JSON.stringify({ key: b64(KEY), value: b64(VALUE) }));
writeFileSync(rangeBody, JSON.stringify({ key: b64(KEY) }));

const etcd = await startEtcdCluster();
const backend = new LocalBackend(new KvStore());
const server = await serveHttp({ fetch: createGateway(backend).fetch, port: 0 });
const runs: Run[] = [];
try {
  const targets = [["etcd 3.4 (3 members)", etcd.url], [
    "dengine gateway (1 in-memory store)",
    server.url,
  ]] as const;
  for (const [target, url] of targets) {
    for (const connections of CONNECTIONS) {
      for (
        const [op, path, body] of [["put", "/v3/kv/put", putBody], [
          "range",
          "/v3/kv/range",
          rangeBody,
        ]] as const
      ) {
        const output = await h2load(url + path, body, connections);
        const run = parse(output, { target, op, connections });
        runs.push(run);
        console.log(JSON.stringify(run));
      }
    }
  }
} finally {
  await server.close();
  backend.close();
  await etcd.stop();
  rmSync(work, { recursive: true, force: true });
}

const runtime = "Deno" in globalThis ? "Deno" : "Bun" in globalThis ? "Bun" : "Node";
const rows = runs.map((run) =>
  `| ${run.target} | ${run.op} | ${run.connections} | ${Math.round(run.requestsPerSecond)} | ${
    run.meanMs.toFixed(2)
  } | ${run.maxMs.toFixed(1)} | ${run.non2xx} |`
);
const name = `bench/reports/http_${runtime.toLowerCase()}`;
writeFileSync(
  `${name}.md`,
  [
    `# HTTP gateway load (${
      new Date().toISOString()
    }, ${runtime}, h2load HTTP/1.1, ${REQUESTS_PER_RUN} requests per run)`,
    "",
    "8-byte key, 256-byte value; range is linearizable. h2load reports mean and max, not percentiles.",
    "The dengine side is the gateway over ONE in-process store (no replication, no fsync): the engine does",
    "not yet expose a gateway backend, so this is the HTTP/JSON layer's ceiling, not a cluster comparison.",
    "",
    "| target | op | connections | req/s | mean ms | max ms | non-2xx |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n"),
);
writeFileSync(`${name}.svg`, svg(runs));
console.log(`wrote ${name}.md and ${name}.svg`);
