// Spawning main.ts under the runtime running the test, with bounded waits and cleanup by PID.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

export const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
export const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

/** A started main.ts process with its collected output. */
export interface MainProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function startMain(args: string[]): MainProcess {
  const runtimeArgs = isBun ? ["run", MAIN] : ["run", "-A", MAIN];
  const child = spawn(process.execPath, [...runtimeArgs, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

export async function stopMain(
  main: MainProcess,
  signal: NodeJS.Signals = "SIGTERM",
): Promise<number | null> {
  // process.kill rather than child.kill: Deno reports a child signalled through child.kill as killed by the
  // signal even when it handled it and exited 0.
  const send = (which: NodeJS.Signals) => {
    if (main.child.pid === undefined || main.child.exitCode !== null) return;
    try {
      process.kill(main.child.pid, which);
    } catch {
      // Already gone.
    }
  };
  send(signal);
  const timer = setTimeout(() => send("SIGKILL"), 15_000);
  try {
    return await main.exited;
  } finally {
    clearTimeout(timer);
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = undefined;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (last error: ${String(lastError)})`);
}

export async function postJson(
  url: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: "POST", body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() as Record<string, unknown> };
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const b64 = (text: string): string => btoa(text);
