/**
 * The simulator's command line.
 *
 * ```
 * deno run -A tests/sim/main.ts --seeds 500 [--first-seed 1]   # one summary line; failing seeds listed
 * deno run -A tests/sim/main.ts --seed 42 --trace              # replay one seed with its event trace
 * ```
 * Exit code 1 when any seed fails.
 *
 * @module
 */

import process from "node:process";
import { hashString } from "./hash.ts";
import { type RunOptions, type RunResult, runSeed } from "./world.ts";

/** The parsed command line. */
export interface SimArguments {
  firstSeed: number;
  seeds: number;
  trace: boolean;
}

/**
 * Parses the arguments.
 *
 * @param args The arguments after the script name.
 * @returns The settings.
 * @throws {RangeError} On an unknown flag or a bad number.
 * @example
 * ```ts
 * import { parseArguments } from "./main.ts";
 * console.log(parseArguments(["--seeds", "10", "--first-seed", "5"]).firstSeed); // 5
 * ```
 */
export function parseArguments(args: readonly string[]): SimArguments {
  const parsed: SimArguments = { firstSeed: 1, seeds: 1, trace: false };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    if (flag === "--trace") {
      parsed.trace = true;
      continue;
    }
    const value = Number(args[++i]);
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`Cannot parse ${flag}: "${args[i]}" is not a non-negative integer`);
    }
    if (flag === "--seeds") parsed.seeds = value;
    else if (flag === "--first-seed" || flag === "--seed") parsed.firstSeed = value;
    else {throw new RangeError(
        `Cannot parse argument "${flag}": expected --seeds, --first-seed, --seed or --trace`,
      );}
    if (flag === "--seed") parsed.seeds = 1;
  }
  return parsed;
}

/**
 * Runs the seeds and returns the lines to print and the exit code.
 *
 * @param settings What to run.
 * @param knobs Test-only knobs for every run (a planted-bug core, scenario adjustments).
 * @returns Output lines and exit code (1 when a seed failed).
 * @example
 * ```ts
 * import { runSimulation } from "./main.ts";
 * const { exitCode } = runSimulation({ firstSeed: 1, seeds: 2, trace: false });
 * console.log(exitCode);
 * ```
 */
export function runSimulation(
  settings: SimArguments,
  knobs: Omit<RunOptions, "seed" | "tracing"> = {},
): { lines: string[]; exitCode: number } {
  const lines: string[] = [];
  const totals = { passed: 0, failed: 0, ops: 0, elections: 0, faults: 0 };
  for (let seed = settings.firstSeed; seed < settings.firstSeed + settings.seeds; seed++) {
    const result: RunResult = runSeed({ ...knobs, seed, tracing: settings.trace });
    if (settings.trace) {
      lines.push(...result.trace);
      lines.push(`trace-hash seed=${seed} ${hashString(result.trace.join("\n"))}`);
    }
    totals.ops += result.ops;
    totals.elections += result.elections;
    totals.faults += result.faults;
    if (result.ok) totals.passed++;
    else {
      totals.failed++;
      lines.push(`FAIL seed=${seed}: ${result.failure}`);
    }
  }
  lines.push(
    `sim: seeds=${settings.seeds} passed=${totals.passed} failed=${totals.failed} ops=${totals.ops} ` +
      `elections=${totals.elections} faults=${totals.faults}`,
  );
  return { lines, exitCode: totals.failed > 0 ? 1 : 0 };
}

if (import.meta.main) {
  const { lines, exitCode } = runSimulation(parseArguments(process.argv.slice(2)));
  process.stdout.write(lines.join("\n") + "\n");
  process.exitCode = exitCode;
}
