/**
 * Starts a real single-member etcd on loopback (ephemeral ports, temporary data dir) for the differential
 * tests, and a request helper that talks to both it and the dengine gateway.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where the etcd binary is expected. */
export const ETCD_BINARY = "/usr/bin/etcd";
/** Whether the differential tests can run. */
export const ETCD_INSTALLED = existsSync(ETCD_BINARY);

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A running etcd. */
export interface EtcdProcess {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts etcd and waits until it answers.
 *
 * @returns The running etcd.
 */
export async function startEtcd(): Promise<EtcdProcess> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "dengine-etcd-"));
  const url = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const child: ChildProcess = spawn(ETCD_BINARY, [
    "--name=compat",
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${url}`,
    `--advertise-client-urls=${url}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=compat=${peerUrl}`,
    "--log-level=error",
  ], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    child.kill("SIGTERM");
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      const response = await fetch(`${url}/v3/kv/range`, { method: "POST", body: '{"key":"AA=="}' });
      await response.text();
      if (response.status === 200) return { url, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  throw new Error(`Cannot start etcd on ${url}: it did not answer within 10 s`);
}

/** A normalized answer: status and body (JSON with node identity blanked, or text). */
export interface Answer {
  status: number;
  body: unknown;
}

/**
 * Blanks `cluster_id`, `member_id` and `raft_term` everywhere in a JSON value.
 *
 * @param value Parsed JSON.
 * @returns The value without them.
 */
export function blankIdentity(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(blankIdentity);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === "cluster_id" || key === "member_id" || key === "raft_term") continue;
    out[key] = blankIdentity(item);
  }
  return out;
}

/**
 * @param response An HTTP response.
 * @returns Its normalized answer.
 */
export async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  try {
    return { status: response.status, body: blankIdentity(JSON.parse(text)) };
  } catch {
    return { status: response.status, body: text.trim() };
  }
}

/**
 * Reads `count` newline-terminated lines from a streamed body, or fewer if `timeoutMs` passes first.
 *
 * @param body The stream.
 * @param count How many lines.
 * @param timeoutMs Give up after this long.
 * @returns The lines, parsed and blanked.
 */
export async function readLines(
  body: ReadableStream<Uint8Array>,
  count: number,
  timeoutMs: number,
): Promise<unknown[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const lines: unknown[] = [];
  let buffer = "";
  const deadline = Date.now() + timeoutMs;
  try {
    while (lines.length < count) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), remaining));
      const chunk = await Promise.race([reader.read(), timeout]);
      clearTimeout(timer);
      if (chunk === null || chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let newline = buffer.indexOf("\n");
      while (newline >= 0 && lines.length < count) {
        lines.push(blankIdentity(JSON.parse(buffer.slice(0, newline))));
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return lines;
}
