import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { fileURLToPath } from "node:url";
import { openStorage } from "../../adapters/storage/mod.ts";
import type { StorageKind } from "../../adapters/storage/mod.ts";
import { randomBelow, SeededRandom } from "../../src/util/random.ts";
import { makeEntry } from "./_storage_data.ts";

const onDeno = "Deno" in globalThis;
const onBun = "Bun" in globalThis;
const KILLS = Number(process.env.DENGINE_CRASH_KILLS ?? 50);
const SEED = Number(process.env.DENGINE_STORAGE_SEED ?? Date.now() % 1_000_000);
const KILL_DELAY_MS_MAX = 120;
const CHILD_START_TIMEOUT_MS = 20_000;
const childPath = fileURLToPath(new URL("./_storage_crash_child.ts", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

function childCommand(kind: StorageKind, directory: string, seed: number): [string, string[]] {
  const args = [kind, directory, String(seed)];
  if (onDeno) {
    const deno = (globalThis as unknown as { Deno: { execPath(): string } }).Deno;
    return [deno.execPath(), ["run", "-A", childPath, ...args]];
  }
  return [process.execPath, [childPath, ...args]];
}

interface Acked {
  first: number;
  last: number;
  term: number;
}

/** Runs one child until a random moment after its first acknowledged append, then SIGKILLs it. */
function runAndKill(
  kind: StorageKind,
  directory: string,
  seed: number,
  delayMs: number,
): Promise<{ acked: Acked[]; terms: number[] }> {
  const [command, args] = childCommand(kind, directory, seed);
  const child = spawn(command, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let errors = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const startTimeout = setTimeout(() => child.kill("SIGKILL"), CHILD_START_TIMEOUT_MS);
  child.stdout!.on("data", (chunk) => {
    output += chunk.toString();
    if (timer === undefined && output.includes("ok ")) {
      clearTimeout(startTimeout);
      timer = setTimeout(() => child.kill("SIGKILL"), delayMs);
    }
  });
  child.stderr!.on("data", (chunk) => (errors += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on("close", (_code, signal) => {
      clearTimeout(startTimeout);
      if (timer !== undefined) clearTimeout(timer);
      if (signal !== "SIGKILL" || timer === undefined) {
        return reject(
          new Error(`child ended with ${signal ?? "exit"} before being killed: ${errors.slice(0, 2000)}`),
        );
      }
      const lines = output.split("\n").slice(0, -1);
      const acked = lines.filter((l) => l.startsWith("ok ")).map((l) => {
        const [first, last, term] = l.slice(3).split(" ").map(Number) as [number, number, number];
        return { first, last, term };
      });
      const terms = lines.filter((l) => l.startsWith("term ")).map((l) => Number(l.slice(5)));
      resolve({ acked, terms });
    });
  });
}

async function verify(
  kind: StorageKind,
  directory: string,
  acked: Acked[],
  termFloor: number,
  context: string,
) {
  const { log, snapshots } = await openStorage(kind, directory, {
    file: { segmentSizeBytes: 128 * 1024, log: () => {} },
  });
  try {
    assert.ok(
      log.hardState().term >= termFloor,
      `${context}: hard state term ${log.hardState().term} < ${termFloor}`,
    );
    const maxAcked = Math.max(0, ...acked.map((a) => a.last));
    assert.ok(
      log.lastIndex() >= maxAcked,
      `${context}: last index ${log.lastIndex()} < acknowledged ${maxAcked}`,
    );
    const first = log.firstIndex();
    const stored = log.entries(first, log.lastIndex() + 1, Infinity);
    for (const batch of acked) {
      for (let index = Math.max(first, batch.first); index <= batch.last; index++) {
        assert.deepEqual(stored[index - first], makeEntry(index, batch.term), `${context}: entry ${index}`);
      }
    }
  } finally {
    await log.close();
    await snapshots.close();
  }
}

function crashTest(kind: StorageKind, skip: string | false): void {
  test(
    `${kind}: every acknowledged append survives ${KILLS} SIGKILLs at random moments`,
    { skip },
    async () => {
      const directory = fs.mkdtempSync(`/tmp/dengine-crash-${kind}-`);
      const random = new SeededRandom(SEED);
      const acked: Acked[] = [];
      let termFloor = 0;
      try {
        for (let round = 0; round < KILLS; round++) {
          const delayMs = randomBelow(random, KILL_DELAY_MS_MAX);
          const result = await runAndKill(kind, directory, SEED + round, delayMs);
          acked.push(...result.acked);
          termFloor = Math.max(termFloor, ...result.terms);
          await verify(
            kind,
            directory,
            acked,
            termFloor,
            `seed ${SEED} round ${round} (kill after ${delayMs} ms)`,
          );
        }
        assert.ok(acked.length >= KILLS, `only ${acked.length} acknowledged appends over ${KILLS} runs`);
      } finally {
        fs.rmSync(directory, { recursive: true, force: true });
      }
    },
  );
}

describe("storage crash test (child process killed with SIGKILL)", () => {
  crashTest("file", false);
  crashTest("bun_sqlite", onBun ? false : "bun:sqlite exists only on Bun");
  crashTest("node_sqlite", onDeno ? false : "node_sqlite is crash-tested under Deno");
});
