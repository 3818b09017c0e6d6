import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseArguments, runSimulation } from "./main.ts";
import { runSeed } from "./world.ts";
import { PLANTED_BUGS } from "./planted_bugs.ts";
import { RawNode } from "../../src/raft/raw_node.ts";

/** A node whose clock never advances: no elections, so no leader, ever. */
class FrozenClockNode extends RawNode {
  override tick(): void {}
}

describe("simulator seeds", () => {
  test("twenty seeds pass every checker with the correct core", () => {
    const failures: string[] = [];
    let ops = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const result = runSeed({ seed });
      ops += result.ops;
      if (!result.ok) failures.push(`seed ${seed}: ${result.failure}`);
    }
    assert.deepEqual(failures, []);
    assert.ok(ops > 20 * 10, `clients completed only ${ops} operations`);
  });

  test("the liveness checker fails a run in which no node ever times out", () => {
    const result = runSeed({ seed: 3, factory: (config) => new FrozenClockNode(config) });
    assert.equal(result.ok, false);
    assert.match(result.failure!, /^liveness: no leader within \d+ ms of healing/);
  });

  test("the command line prints one summary line and exits 0 when all pass", () => {
    const { lines, exitCode } = runSimulation(parseArguments(["--seeds", "2", "--first-seed", "30"]));
    assert.equal(exitCode, 0, lines.join("\n"));
    assert.match(lines.at(-1)!, /^sim: seeds=2 passed=2 failed=0 ops=\d+ elections=\d+ faults=\d+$/);
  });

  test("the command line names a failing seed with the checker's message and exits 1", () => {
    const voteBug = PLANTED_BUGS[0]!;
    const { lines, exitCode } = runSimulation(parseArguments(["--seeds", "10"]), voteBug.options);
    assert.equal(exitCode, 1);
    assert.ok(lines.some((line) => /^FAIL seed=\d+: [a-z ]+: /.test(line)), lines.join("\n"));
    assert.match(lines.at(-1)!, /^sim: seeds=10 passed=\d+ failed=[1-9]\d* /);
  });

  test("the trace flag prints the events of the seed and a hash of them", () => {
    const { lines } = runSimulation(parseArguments(["--seed", "4", "--trace"]));
    assert.ok(lines.length > 100);
    assert.match(lines[0]!, /^0 scenario /);
    assert.ok(lines.some((line) => /^trace-hash seed=4 [0-9a-f]{8}$/.test(line)));
  });

  test("the command line rejects unknown flags", () => {
    assert.throws(() => parseArguments(["--sedes", "3"]), RangeError);
  });
});
