import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { tempDir, waitFor } from "./_helpers.ts";

const isBun = "Bun" in globalThis;
const root = fileURLToPath(new URL("../../", import.meta.url));
const script = join(root, "tests/engine/_tcp_node.ts");

interface Status {
  role: string;
  leaderId: number;
  leaderName: string;
  id: number;
  commitIndex: number;
  appliedIndex: number;
}

/** One engine in its own process, driven over stdin/stdout. */
class NodeProcess {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  #nextId = 1;
  readonly started: Promise<void>;
  exited = false;

  constructor(name: string, dataDir: string, peers: Record<string, string>) {
    const args = isBun ? ["run", script] : ["run", "-A", script];
    this.#child = spawn(process.execPath, [...args, name, dataDir, JSON.stringify(peers)], {
      cwd: root,
      stdio: ["pipe", "pipe", "inherit"],
    });
    let markStarted: () => void = () => {};
    this.started = new Promise((resolve) => markStarted = resolve);
    createInterface({ input: this.#child.stdout! }).on("line", (line) => {
      const message = JSON.parse(line) as {
        started?: boolean;
        id?: number;
        ok?: boolean;
        value?: unknown;
        error?: string;
      };
      if (message.started === true) return markStarted();
      const waiter = this.#waiting.get(message.id!);
      this.#waiting.delete(message.id!);
      if (message.ok === true) waiter?.resolve(message.value);
      else waiter?.reject(new Error(message.error));
    });
    this.#child.on("exit", () => {
      this.exited = true;
      for (const waiter of this.#waiting.values()) waiter.reject(new Error("the node process exited"));
      this.#waiting.clear();
    });
  }

  request<T>(op: string, fields: Record<string, unknown> = {}): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: (value) => resolve(value as T), reject });
      this.#child.stdin!.write(`${JSON.stringify({ id, op, ...fields })}\n`);
    });
  }

  status(): Promise<Status> {
    return this.request<Status>("status");
  }

  async kill(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.kill("SIGKILL");
    await exited;
  }
}

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

async function leaderOf(nodes: Map<string, NodeProcess>): Promise<string> {
  let leader = "";
  await waitFor("the processes to agree on a leader", async () => {
    const statuses = await Promise.all([...nodes.values()].map((node) => node.status()));
    const leaders = statuses.filter((status) => status.role === "leader");
    if (leaders.length !== 1) return false;
    if (!statuses.every((status) => status.leaderId === leaders[0]!.id)) return false;
    leader = leaders[0]!.leaderName;
    return true;
  }, 30_000);
  return leader;
}

describe("a three-process cluster over TCP", () => {
  test("survives kill -9 of its leader and the killed node catches up after a restart", async () => {
    const dir = tempDir("tcp");
    const ports = await freePorts(3);
    const peers = { n1: `127.0.0.1:${ports[0]}`, n2: `127.0.0.1:${ports[1]}`, n3: `127.0.0.1:${ports[2]}` };
    const nodes = new Map<string, NodeProcess>();
    const launch = async (name: string) => {
      const node = new NodeProcess(name, join(dir.path, name), peers);
      nodes.set(name, node);
      await node.started;
    };
    try {
      await Promise.all(Object.keys(peers).map(launch));
      const first = await leaderOf(nodes);
      await nodes.get(first)!.request("put", { key: "before", value: "1" });
      const follower = [...nodes.keys()].find((name) => name !== first)!;
      await nodes.get(first)!.request("put", { key: "register", value: "acknowledged" });
      assert.equal(await nodes.get(follower)!.request("get", { key: "register" }), "acknowledged");

      await nodes.get(first)!.kill();
      nodes.delete(first);
      await nodes.get(follower)!.request("put", { key: "after", value: "2" });
      const second = await leaderOf(nodes);
      assert.notEqual(second, first);

      await launch(first);
      const commit = (await nodes.get(second)!.status()).commitIndex;
      await waitFor("the restarted process to catch up", async () => {
        return (await nodes.get(first)!.status()).appliedIndex >= commit;
      }, 30_000);
      assert.equal(
        await nodes.get(first)!.request("get", { key: "after", consistency: "serializable" }),
        "2",
      );
      assert.equal(await nodes.get(first)!.request("get", { key: "before" }), "1");
    } finally {
      await Promise.all([...nodes.values()].map((node) => node.kill()));
      dir.remove();
    }
  });
});
