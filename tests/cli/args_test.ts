import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCommandLine, parseInitialCluster, UsageError } from "../../adapters/cli/args.ts";
import { LOCAL_CLUSTER, memberCommandLine } from "../../adapters/cli/cluster_command.ts";
import { createLogger } from "../../adapters/cli/log.ts";
import { engineOptionsOf } from "../../adapters/cli/node_command.ts";

test("a node command with every flag parses into engine options", () => {
  const command = parseCommandLine([
    "node",
    "--name",
    "n2",
    "--data-dir",
    "/tmp/n2",
    "--listen-client",
    "127.0.0.1:2479",
    "--initial-cluster",
    "n1=127.0.0.1:2380,n2=127.0.0.1:2480",
    "--storage",
    "sqlite",
  ]);
  assert.equal(command.command, "node");
  if (command.command !== "node") return;
  assert.equal(
    command.listenPeer,
    "127.0.0.1:2480",
    "the peer address defaults to this node's cluster entry",
  );
  const options = engineOptionsOf(command, true);
  assert.equal(options.storage, "bun_sqlite");
  assert.deepEqual(options.peers, { n1: "127.0.0.1:2380", n2: "127.0.0.1:2480" });
  assert.equal(engineOptionsOf(command, false).storage, "node_sqlite");
});

test("a node command without flags is a single node on the default storage", () => {
  const command = parseCommandLine(["node"]);
  assert.equal(command.command, "node");
  if (command.command !== "node") return;
  assert.deepEqual(command.initialCluster, {});
  assert.equal(engineOptionsOf(command, false).peers, undefined);
  assert.equal(command.listenClient, "127.0.0.1:2379");
});

test("wrong command lines are usage errors naming the flag", () => {
  const cases: [string[], RegExp][] = [
    [["nod"], /unknown command "nod"/],
    [["node", "--nmae", "x"], /unknown flag --nmae/],
    [["node", "--name"], /--name needs a value/],
    [["node", "--listen-client", "2379"], /--listen-client = "2379": expected host:port/],
    [["node", "--storage", "rocks"], /--storage/],
    [["node", "--name", "n4", "--initial-cluster", "n1=127.0.0.1:1"], /must name this node "n4"/],
    [["node", "--name", "a", "--name", "b"], /given twice/],
    [["node", "--tick-ms", "0"], /--tick-ms = 0/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseCommandLine(argv), (error: unknown) => {
      return error instanceof UsageError && message.test(error.message);
    }, argv.join(" "));
  }
});

test("an initial cluster rejects malformed and repeated members", () => {
  assert.deepEqual(parseInitialCluster("a=h:1,b=h:2"), { a: "h:1", b: "h:2" });
  assert.throws(() => parseInitialCluster("a=h:1,a=h:2"), /twice/);
  assert.throws(() => parseInitialCluster("a"), /not name=host:port/);
  assert.throws(() => parseInitialCluster("=h:1"), /not name=host:port/);
});

test("the local cluster starts each member with the whole initial cluster", () => {
  const line = memberCommandLine({
    execPath: "bun",
    isBun: true,
    mainScript: "main.ts",
    command: { command: "cluster", dataDir: "data/cluster", storage: "default" },
    member: LOCAL_CLUSTER[1]!,
  });
  assert.deepEqual(line.slice(0, 3), ["bun", "run", "main.ts"]);
  const flag = (name: string) => line[line.indexOf(name) + 1];
  assert.equal(flag("--name"), "n2");
  assert.equal(flag("--listen-client"), "127.0.0.1:2479");
  assert.equal(flag("--initial-cluster"), "n1=127.0.0.1:2380,n2=127.0.0.1:2480,n3=127.0.0.1:2580");
});

test("logs are one JSON object per line, or a readable line", () => {
  const lines: string[] = [];
  const now = () => new Date("2026-01-02T03:04:05.678Z");
  createLogger({ format: "json", name: "n1", write: (line) => lines.push(line), now }).log(
    "warn",
    "slow fsync",
    {
      ms: 12,
    },
  );
  createLogger({ format: "pretty", name: "n1", write: (line) => lines.push(line), now }).log(
    "info",
    "started",
    {
      client: "http://127.0.0.1:2379",
    },
  );
  assert.deepEqual(JSON.parse(lines[0]!), {
    time: "2026-01-02T03:04:05.678Z",
    level: "warn",
    node: "n1",
    msg: "slow fsync",
    ms: 12,
  });
  assert.equal(lines[1], "03:04:05.678 INFO  started client=http://127.0.0.1:2379");
});

test("peer TLS flags go together and their files become the engine's PEM options", () => {
  assert.throws(() => parseCommandLine(["node", "--peer-cert-file", "a.pem"]), /go together/);
  const dir = mkdtempSync(join(tmpdir(), "dengine-cli-tls-"));
  try {
    for (const name of ["c.pem", "k.pem", "ca.pem"]) writeFileSync(join(dir, name), `-----BEGIN ${name}`);
    const command = parseCommandLine([
      "node",
      "--peer-cert-file",
      join(dir, "c.pem"),
      "--peer-key-file",
      join(dir, "k.pem"),
      "--peer-trusted-ca-file",
      join(dir, "ca.pem"),
    ]);
    assert.equal(command.command, "node");
    if (command.command !== "node") return;
    const options = engineOptionsOf(command, false);
    assert.deepEqual(options.peerTls, {
      cert: "-----BEGIN c.pem",
      key: "-----BEGIN k.pem",
      ca: "-----BEGIN ca.pem",
    });
    assert.equal(options.transport, "node_net");
    const missing = parseCommandLine([
      "node",
      "--peer-cert-file",
      join(dir, "nope.pem"),
      "--peer-key-file",
      "k",
      "--peer-trusted-ca-file",
      "c",
    ]);
    if (missing.command !== "node") return;
    assert.throws(() => engineOptionsOf(missing, false), /Cannot read the file of --peer-cert-file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
