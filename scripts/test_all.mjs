#!/usr/bin/env node
// Runs every runner of the suite in turn (Deno tests, Bun tests, the simulator, the static checks) and ends
// with one line "N passed, N failed" summed over all of them. Plain Node so it runs before anything else exists.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const simSeeds = process.env.DENGINE_SIM_SEEDS ?? "500";

/** Each runner: a command, and a parser turning its output into counts. */
const runners = [
  {
    name: "deno test",
    command: [bin("deno"), "task", "test"],
    parse: (out) => {
      const m = [...out.matchAll(/(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/g)].at(-1);
      return m ? { passed: Number(m[1]), failed: Number(m[2]) } : null;
    },
  },
  {
    name: "bun test",
    command: [bin("deno"), "task", "test:bun"],
    parse: (out) => {
      const pass = [...out.matchAll(/^\s*(\d+) pass$/gm)].at(-1);
      const fail = [...out.matchAll(/^\s*(\d+) fail$/gm)].at(-1);
      return pass && fail ? { passed: Number(pass[1]), failed: Number(fail[1]) } : null;
    },
  },
  {
    name: "simulator",
    command: [bin("deno"), "task", "sim", "--seeds", simSeeds],
    parse: (out) => {
      const m = [...out.matchAll(/^sim: seeds=\d+ passed=(\d+) failed=(\d+)/gm)].at(-1);
      return m ? { passed: Number(m[1]), failed: Number(m[2]) } : null;
    },
  },
  {
    name: "static checks (fmt, lint, check, publish --dry-run)",
    command: [bin("deno"), "task", "check"],
    parse: () => null, // judged by exit code: one check, passed or failed
  },
];

function run(runner) {
  return new Promise((resolve) => {
    const started = Date.now();
    process.stdout.write(`\n=== ${runner.name}: ${runner.command.slice(1).join(" ")}\n`);
    const child = spawn(runner.command[0], runner.command.slice(1), {
      cwd: root,
      env: { ...withoutForceColor(process.env), NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const take = (chunk) => {
      const text = chunk.toString();
      output += text;
      if (output.length > 8_000_000) output = output.slice(-4_000_000);
      process.stdout.write(text);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("close", (code) => {
      let counts = runner.parse(output);
      if (counts === null) counts = code === 0 ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 };
      else if (code !== 0 && counts.failed === 0) counts.failed = 1; // a crash after the summary still fails
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(
        `=== ${runner.name}: exit ${code}, ${counts.passed} passed, ${counts.failed} failed, ${seconds} s\n`,
      );
      resolve({ name: runner.name, ...counts });
    });
  });
}

if (!existsSync(bin("deno")) || !existsSync(bin("bun"))) {
  console.error("node_modules/.bin/deno or bun is missing: run `npm ci` first");
  console.log("0 passed, 1 failed");
  process.exit(1);
}

const only = process.argv.slice(2);
const results = [];
for (const runner of runners) {
  if (only.length > 0 && !only.some((word) => runner.name.startsWith(word))) continue;
  results.push(await run(runner));
}
console.log("\nsummary:");
for (const r of results) console.log(`  ${r.name}: ${r.passed} passed, ${r.failed} failed`);
const passed = results.reduce((sum, r) => sum + r.passed, 0);
const failed = results.reduce((sum, r) => sum + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

// Deno turns colors on when FORCE_COLOR is set at all (even "0"), which breaks tests matching plain output.
function withoutForceColor(env) {
  const copy = { ...env };
  delete copy.FORCE_COLOR;
  return copy;
}
