// HTTP load: the same /v3/kv/put and linearizable /v3/kv/range (8-byte key, 256-byte value) sent by wrk over
// HTTP/1.1 with 64 and 256 connections to the leader of a 3-member etcd 3.4 cluster and to the leader of a
// 3-process dengine cluster (`main.ts node`, default durable storage, run by the runtime under test), both
// started side by side on this machine. Writes bench/reports/http_<runtime>.md and .svg.
//
// Run: node_modules/.bin/deno run -A bench/http.ts   (or node_modules/.bin/bun bench/http.ts)
// Needs /usr/bin/etcd (apt-get install -y etcd-server) and wrk (apt-get install -y wrk).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const RUN_SECONDS = 6;
const WRK_THREADS = 2;
const CONNECTIONS = [64, 256];
const KEY = "key00001";
const VALUE = "v".repeat(256);
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 3_000;
const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

const isBun = "Bun" in globalThis;
const runtime = "Deno" in globalThis ? "Deno" : isBun ? "Bun" : "Node";
const mainScript = join(dirname(fileURLToPath(import.meta.url)), "..", "main.ts");

interface Cluster {
  name: string;
  leaderUrl: string;
  pids: number[];
  stop(): Promise<void>;
}

interface Member {
  name: string;
  client: string;
  peer: string;
  dir: string;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

async function makeMembers(prefix: string): Promise<Member[]> {
  const members: Member[] = [];
  for (const i of [1, 2, 3]) {
    members.push({
      name: `${prefix}${i}`,
      client: `127.0.0.1:${await freePort()}`,
      peer: `127.0.0.1:${await freePort()}`,
      dir: mkdtempSync(join(tmpdir(), `dengine-bench-${prefix}-`)),
    });
  }
  return members;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`Cannot start the bench cluster: ${what} not ready after ${READY_TIMEOUT_MS} ms`);
}

async function memberStatus(client: string): Promise<{ memberId: string; leader: string }> {
  const response = await fetch(`http://${client}/v3/maintenance/status`, { method: "POST", body: "{}" });
  const body = await response.json() as { header?: { member_id?: string }; leader?: string };
  return { memberId: body.header?.member_id ?? "", leader: body.leader ?? "" };
}

// The client address of the member every other member names as leader, once they all agree.
async function findLeader(members: Member[]): Promise<string> {
  let leaderClient = "";
  await waitUntil("a leader all members agree on", async () => {
    const statuses = await Promise.all(members.map((m) => memberStatus(m.client)));
    const leader = statuses[0]!.leader;
    if (leader === "" || leader === "0" || statuses.some((s) => s.leader !== leader)) return false;
    const index = statuses.findIndex((s) => s.memberId === leader);
    if (index < 0) return false;
    leaderClient = members[index]!.client;
    return true;
  });
  return `http://${leaderClient}`;
}

function stopChildren(children: ChildProcess[]): Promise<void> {
  return Promise.all(children.map((child) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
      const timer = setTimeout(() => process.kill(child.pid!, "SIGKILL"), STOP_GRACE_MS);
      child.once("exit", () => (clearTimeout(timer), resolve()));
      process.kill(child.pid, "SIGTERM");
    })
  )).then(() => undefined);
}

function spawnLogged(file: string, args: string[], logPath: string): ChildProcess {
  const log = openSync(logPath, "w");
  return spawn(file, args, { stdio: ["ignore", log, log] });
}

async function startCluster(
  name: string,
  members: Member[],
  commandLine: (m: Member) => string[],
  ready: (m: Member) => Promise<boolean>,
): Promise<Cluster> {
  const children = members.map((m) => {
    const [file, ...args] = commandLine(m);
    return spawnLogged(file!, args, join(m.dir, "..", `${m.name}-${process.pid}.log`));
  });
  const cleanup = async () => {
    await stopChildren(children);
    for (const m of members) {
      rmSync(m.dir, { recursive: true, force: true });
      rmSync(join(m.dir, "..", `${m.name}-${process.pid}.log`), { force: true });
    }
  };
  try {
    await waitUntil(`${name} /ready`, async () => (await Promise.all(members.map(ready))).every(Boolean));
    const leaderUrl = await findLeader(members);
    return { name, leaderUrl, pids: children.map((c) => c.pid!), stop: cleanup };
  } catch (error) {
    for (const m of members) {
      const log = readFileSync(join(m.dir, "..", `${m.name}-${process.pid}.log`), "utf8");
      console.error(`--- ${m.name} log (last 2000 chars)\n${log.slice(-2000)}`);
    }
    await cleanup();
    throw error;
  }
}

async function startEtcd(): Promise<Cluster> {
  const members = await makeMembers("etcd");
  const initialCluster = members.map((m) => `${m.name}=http://${m.peer}`).join(",");
  return await startCluster("etcd 3.4.23 (3 members)", members, (m) => [
    "/usr/bin/etcd",
    `--name=${m.name}`,
    `--data-dir=${m.dir}`,
    `--listen-client-urls=http://${m.client}`,
    `--advertise-client-urls=http://${m.client}`,
    `--listen-peer-urls=http://${m.peer}`,
    `--initial-advertise-peer-urls=http://${m.peer}`,
    `--initial-cluster=${initialCluster}`,
    "--log-level=error",
  ], async (m) => (await fetch(`http://${m.client}/health`)).ok);
}

async function startDengine(): Promise<Cluster> {
  const members = await makeMembers("n");
  const initialCluster = members.map((m) => `${m.name}=${m.peer}`).join(",");
  const runArgs = isBun ? ["run", mainScript] : ["run", "-A", mainScript];
  return await startCluster(`dengine (3 ${runtime} processes)`, members, (m) => [
    process.execPath,
    ...runArgs,
    "node",
    "--name",
    m.name,
    "--data-dir",
    m.dir,
    "--listen-client",
    m.client,
    "--listen-peer",
    m.peer,
    "--initial-cluster",
    initialCluster,
    "--log",
    "json",
  ], async (m) => {
    const response = await fetch(`http://${m.client}/ready`);
    await response.body?.cancel();
    return response.status === 200;
  });
}

interface Run {
  target: string;
  op: string;
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  socketErrors: number;
  leaderCpuPercent: number;
  clusterCpuPercent: number;
}

// wrk's Lua: POST the body; done() prints one JSON line with percentiles and error counts. wrk counts
// status >= 400 in errors.status; response() also counts 3xx so "non-2xx" is exact.
function wrkScript(body: string): string {
  return `wrk.method = "POST"
wrk.body = '${body}'
wrk.headers["Content-Type"] = "application/json"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non2xx") end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d,"non2xx":%d,"socketErrors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max, bad,
    e.connect + e.read + e.write + e.timeout))
end
`;
}

function wrk(url: string, scriptPath: string, connections: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "wrk",
      [
        "-t",
        String(WRK_THREADS),
        "-c",
        String(connections),
        "-d",
        `${RUN_SECONDS}s`,
        "--timeout",
        "5s",
        "-s",
        scriptPath,
        url,
      ],
      { maxBuffer: 1 << 20 },
      (error, stdout) => error ? reject(error) : resolve(String(stdout)),
    );
  });
}

// CPU seconds (user + system) a process has used so far, from /proc.
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function measure(cluster: Cluster, op: string, path: string, script: string, connections: number) {
  const leaderPid = await leaderPidOf(cluster);
  const before = cluster.pids.map(cpuSeconds);
  const output = await wrk(cluster.leaderUrl + path, script, connections);
  const used = cluster.pids.map((pid, i) => cpuSeconds(pid) - before[i]!);
  const json = /WRKJSON (\{.*\})/.exec(output)?.[1];
  if (json === undefined) throw new Error(`Cannot parse wrk output: ${output}`);
  const r = JSON.parse(json) as Record<string, number>;
  const seconds = r.durationUs! / 1e6;
  const run: Run = {
    target: cluster.name,
    op,
    connections,
    requestsPerSecond: r.requests! / seconds,
    p50Ms: r.p50Us! / 1000,
    p99Ms: r.p99Us! / 1000,
    maxMs: r.maxUs! / 1000,
    non2xx: r.non2xx!,
    socketErrors: r.socketErrors!,
    leaderCpuPercent: (used[cluster.pids.indexOf(leaderPid)]! / seconds) * 100,
    clusterCpuPercent: (used.reduce((a, b) => a + b, 0) / seconds) * 100,
  };
  console.log(JSON.stringify(run));
  return run;
}

// The PID serving the leader's client port: index of the member whose client URL the leader URL is.
function leaderPidOf(cluster: Cluster): Promise<number> {
  const port = new URL(cluster.leaderUrl).port;
  return new Promise((resolve) => {
    execFile("ss", ["-Hltnp", `sport = :${port}`], (_error, stdout) => {
      const pid = Number(/pid=(\d+)/.exec(String(stdout))?.[1] ?? NaN);
      resolve(cluster.pids.includes(pid) ? pid : cluster.pids[0]!);
    });
  });
}

function svg(runs: Run[]): string {
  const width = 860;
  const barHeight = 18;
  const max = Math.max(...runs.map((run) => run.requestsPerSecond));
  const bars = runs.map((run, i) => {
    const length = Math.max(1, Math.round((run.requestsPerSecond / max) * (width - 520)));
    const y = 30 + i * (barHeight + 6);
    const color = run.target.startsWith("etcd") ? "#888" : "#2a7";
    const label = `${Math.round(run.requestsPerSecond)}/s, p99 ${run.p99Ms.toFixed(1)} ms` +
      (run.non2xx + run.socketErrors > 0 ? `, ${run.non2xx + run.socketErrors} failed` : "");
    return `<text x="5" y="${y + 13}" font-size="12">${run.target} ${run.op} c=${run.connections}</text>` +
      `<rect x="300" y="${y}" width="${length}" height="${barHeight}" fill="${color}"/>` +
      `<text x="${305 + length}" y="${y + 13}" font-size="12">${label}</text>`;
  }).join("\n");
  const height = 40 + runs.length * (barHeight + 6);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<text x="5" y="16" font-size="14">HTTP requests/s to the leader (wrk, HTTP/1.1, ${runtime})</text>\n` +
    `${bars}\n</svg>\n`;
}

function ratioLines(runs: Run[]): string[] {
  const lines: string[] = [];
  for (const connections of CONNECTIONS) {
    for (const op of ["put", "range"]) {
      const etcd = runs.find((r) =>
        r.target.startsWith("etcd") && r.op === op && r.connections === connections
      );
      const ours = runs.find((r) =>
        !r.target.startsWith("etcd") && r.op === op && r.connections === connections
      );
      if (etcd === undefined || ours === undefined) continue;
      const ratio = ours.requestsPerSecond / etcd.requestsPerSecond;
      lines.push(
        `- ${op}, ${connections} connections: dengine ${ratio.toFixed(2)}x etcd's requests/s (aim 5x); ` +
          `p99 ${ours.p99Ms.toFixed(1)} ms vs etcd ${etcd.p99Ms.toFixed(1)} ms ` +
          `(${ours.p99Ms < etcd.p99Ms ? "lower" : "HIGHER"}).`,
      );
    }
  }
  return lines;
}

function writeReport(runs: Run[]): void {
  const rows = runs.map((r) =>
    `| ${r.target} | ${r.op} | ${r.connections} | ${Math.round(r.requestsPerSecond)} | ${
      r.p50Ms.toFixed(2)
    } | ` +
    `${r.p99Ms.toFixed(2)} | ${r.maxMs.toFixed(1)} | ${r.non2xx} | ${r.socketErrors} | ` +
    `${Math.round(r.leaderCpuPercent)}% | ${Math.round(r.clusterCpuPercent)}% |`
  );
  const name = `bench/reports/http_${runtime.toLowerCase()}`;
  writeFileSync(
    `${name}.md`,
    [
      `# HTTP gateway load, 3-node clusters (${new Date().toISOString()}, ${runtime})`,
      "",
      `wrk (HTTP/1.1, ${WRK_THREADS} threads, ${RUN_SECONDS} s per case) POSTs to the LEADER's client port of a`,
      "3-member etcd 3.4.23 cluster and of a 3-process dengine cluster (`main.ts node`, default durable storage),",
      "started side by side on this 2-core machine (wrk, both clusters and the runtime share the cores). 8-byte",
      "key, 256-byte value; range is linearizable. non-2xx counts every response outside 200-299; socket errors",
      "are wrk's connect/read/write/timeout errors. CPU is user+system time over the case (100% = one core).",
      "",
      "Changed: earlier reports measured the gateway over ONE in-process store (no replication, no fsync); these",
      "figures come from real 3-process clusters, so they replace those.",
      "",
      "| target | op | connections | req/s | p50 ms | p99 ms | max ms | non-2xx | socket errors | leader CPU " +
      "| cluster CPU |",
      "|---|---|---|---|---|---|---|---|---|---|---|",
      ...rows,
      "",
      "## Against etcd",
      "",
      ...ratioLines(runs),
      "",
    ].join("\n"),
  );
  writeFileSync(`${name}.svg`, svg(runs));
  console.log(`wrote ${name}.md and ${name}.svg`);
}

const work = mkdtempSync(join(tmpdir(), "dengine-bench-http-"));
const putScript = join(work, "put.lua");
const rangeScript = join(work, "range.lua");
writeFileSync(putScript, wrkScript(JSON.stringify({ key: btoa(KEY), value: btoa(VALUE) })));
writeFileSync(rangeScript, wrkScript(JSON.stringify({ key: btoa(KEY) })));

const runs: Run[] = [];
const clusters: Cluster[] = [];
try {
  clusters.push(await startEtcd());
  clusters.push(await startDengine());
  for (const cluster of clusters) {
    console.log(`${cluster.name}: leader ${cluster.leaderUrl}, pids ${cluster.pids.join(" ")}`);
    for (const connections of CONNECTIONS) {
      runs.push(await measure(cluster, "put", "/v3/kv/put", putScript, connections));
      runs.push(await measure(cluster, "range", "/v3/kv/range", rangeScript, connections));
    }
  }
} finally {
  for (const cluster of clusters) await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}
writeReport(runs);
