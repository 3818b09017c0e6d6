import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { hashString } from "./hash.ts";
import { runSeed } from "./world.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const isDeno = (globalThis as Record<string, unknown>)["Deno"] !== undefined;
const isBun = (globalThis as Record<string, unknown>)["Bun"] !== undefined;
const TRACED_SEEDS = [1, 2, 3];

function traceHash(seed: number): string {
  return hashString(runSeed({ seed, tracing: true }).trace.join("\n"));
}

/** Runs the simulator CLI under the other runtime and returns its trace hashes by seed. */
function otherRuntimeHashes(): Map<number, string> {
  const script = "tests/sim/main.ts";
  const seedArgs = [
    "--first-seed",
    String(TRACED_SEEDS[0]),
    "--seeds",
    String(TRACED_SEEDS.length),
    "--trace",
  ];
  const command = isDeno
    ? { bin: join(root, "node_modules", ".bin", "bun"), args: [script, ...seedArgs] }
    : { bin: join(root, "node_modules", ".bin", "deno"), args: ["run", "-A", script, ...seedArgs] };
  const child = spawnSync(command.bin, command.args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 30 });
  assert.equal(child.error, undefined, `could not spawn ${command.bin}`);
  const hashes = new Map<number, string>();
  for (const match of child.stdout.matchAll(/^trace-hash seed=(\d+) ([0-9a-f]{8})$/gm)) {
    hashes.set(Number(match[1]), match[2]!);
  }
  assert.equal(
    hashes.size,
    TRACED_SEEDS.length,
    `the other runtime printed: ${child.stdout.slice(-2000)}${child.stderr}`,
  );
  return hashes;
}

describe("simulator determinism", () => {
  test("the same seed gives the same trace twice in one runtime", () => {
    const first = runSeed({ seed: 5, tracing: true });
    const second = runSeed({ seed: 5, tracing: true });
    assert.ok(first.trace.length > 100, "the trace has events");
    assert.equal(hashString(second.trace.join("\n")), hashString(first.trace.join("\n")));
  });

  test("different seeds give different traces", () => {
    assert.notEqual(traceHash(1), traceHash(2));
  });

  test(
    "traces are byte-identical under Deno and Bun",
    { skip: isDeno || isBun ? false : "needs Deno or Bun" },
    () => {
      const theirs = otherRuntimeHashes();
      for (const seed of TRACED_SEEDS) assert.equal(theirs.get(seed), traceHash(seed), `seed ${seed}`);
    },
  );
});
