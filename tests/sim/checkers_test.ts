import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CheckerError, type LogView } from "./checkers/checker_error.ts";
import { ElectionSafetyChecker } from "./checkers/election_safety.ts";
import { checkLeaderCompleteness } from "./checkers/leader_completeness.ts";
import { checkLiveness } from "./checkers/liveness.ts";
import { checkLogMatching } from "./checkers/log_matching.ts";
import { checkReplicaStates, StateMachineSafetyChecker } from "./checkers/state_machine_safety.ts";

function log(nodeId: number, first: number, terms: number[], digests?: string[]): LogView {
  return {
    nodeId,
    snapshotIndex: first - 1,
    entries: terms.map((term, k) => ({
      index: first + k,
      term,
      digest: digests?.[k] ?? `d${first + k}t${term}`,
    })),
  };
}

describe("election safety checker", () => {
  test("accepts one leader per term, reported many times", () => {
    const checker = new ElectionSafetyChecker();
    checker.observeLeader(1, 1);
    checker.observeLeader(1, 1);
    checker.observeLeader(2, 3);
    assert.equal(checker.elections, 2);
  });

  test("rejects two leaders in one term", () => {
    const checker = new ElectionSafetyChecker();
    checker.observeLeader(4, 1);
    assert.throws(() => checker.observeLeader(4, 2), CheckerError);
  });
});

describe("log matching checker", () => {
  test("accepts logs that share a prefix and diverge only after it", () => {
    checkLogMatching([log(1, 1, [1, 1, 2]), log(2, 1, [1, 1, 2, 2]), log(3, 1, [1, 1, 3])]);
  });

  test("accepts logs compacted at different points", () => {
    checkLogMatching([log(1, 5, [2, 2, 3]), log(2, 1, [1, 1, 1, 2, 2, 2, 3])]);
  });

  test("rejects logs that agree on a later entry but differ earlier", () => {
    const a = log(1, 1, [1, 2, 3], ["x", "y", "z"]);
    const b = log(2, 1, [1, 2, 3], ["x", "Y", "z"]);
    assert.throws(() => checkLogMatching([a, b]), /differ at index 2/);
  });

  test("rejects the same index and term with different data", () => {
    assert.throws(
      () => checkLogMatching([log(1, 1, [1], ["x"]), log(2, 1, [1], ["y"])]),
      CheckerError,
    );
  });

  test("rejects a log whose terms go down", () => {
    assert.throws(() => checkLogMatching([log(1, 1, [2, 1])]), /after term 2/);
  });

  test("rejects a log with a hole", () => {
    const holed: LogView = {
      nodeId: 1,
      snapshotIndex: 0,
      entries: [{ index: 1, term: 1, digest: "a" }, { index: 3, term: 1, digest: "b" }],
    };
    assert.throws(() => checkLogMatching([holed]), CheckerError);
  });
});

describe("state machine safety checker", () => {
  test("accepts nodes applying the same entries, one restarting and replaying", () => {
    const checker = new StateMachineSafetyChecker();
    checker.observeStart(1, 0);
    checker.observeStart(2, 0);
    checker.observeApply(1, { index: 1, term: 1, digest: "a" });
    checker.observeApply(2, { index: 1, term: 1, digest: "a" });
    checker.observeStart(2, 0);
    checker.observeApply(2, { index: 1, term: 1, digest: "a" });
    assert.equal(checker.committedCount, 1);
  });

  test("rejects a different entry applied at the same index", () => {
    const checker = new StateMachineSafetyChecker();
    checker.observeApply(1, { index: 1, term: 1, digest: "a" });
    assert.throws(() => checker.observeApply(2, { index: 1, term: 2, digest: "b" }), /index 1/);
  });

  test("rejects applying out of order", () => {
    const checker = new StateMachineSafetyChecker();
    checker.observeApply(1, { index: 1, term: 1, digest: "a" });
    assert.throws(() => checker.observeApply(1, { index: 3, term: 1, digest: "c" }), /right after index 1/);
  });

  test("rejects a snapshot that moves the state machine backwards", () => {
    const checker = new StateMachineSafetyChecker();
    checker.observeApply(1, { index: 1, term: 1, digest: "a" });
    checker.observeApply(1, { index: 2, term: 1, digest: "b" });
    assert.throws(() => checker.observeSnapshotInstall(1, 1), CheckerError);
    checker.observeSnapshotInstall(1, 5);
    checker.observeApply(1, { index: 6, term: 1, digest: "f" });
  });
});

describe("replica state checker", () => {
  test("accepts replicas that agree at equal applied indexes", () => {
    checkReplicaStates([
      { nodeId: 1, appliedIndex: 7, digest: "x" },
      { nodeId: 2, appliedIndex: 6, digest: "y" },
      { nodeId: 3, appliedIndex: 7, digest: "x" },
    ]);
  });

  test("rejects replicas that differ at the same applied index", () => {
    assert.throws(
      () =>
        checkReplicaStates([
          { nodeId: 1, appliedIndex: 7, digest: "x" },
          { nodeId: 3, appliedIndex: 7, digest: "z" },
        ]),
      /nodes 1 and 3 both applied up to index 7/,
    );
  });
});

describe("leader completeness checker", () => {
  const committed = [{ index: 1, term: 1, digest: "d1t1" }, { index: 2, term: 2, digest: "d2t2" }];

  test("accepts a leader holding every earlier-term committed entry", () => {
    checkLeaderCompleteness(3, log(1, 1, [1, 2, 3]), committed);
  });

  test("accepts a leader whose log was compacted past committed entries", () => {
    checkLeaderCompleteness(3, log(1, 3, [3]), committed);
  });

  test("ignores committed entries of the leader's own or a later term", () => {
    checkLeaderCompleteness(2, log(1, 1, [1]), committed);
  });

  test("accepts a leader whose snapshot covers every committed entry and has no entries after it", () => {
    checkLeaderCompleteness(3, { nodeId: 1, snapshotIndex: 2, entries: [] }, committed);
  });

  test("rejects a leader missing a committed entry", () => {
    assert.throws(() => checkLeaderCompleteness(3, log(1, 1, [1]), committed), /without committed index 2/);
  });

  test("rejects a leader holding a different entry at a committed index", () => {
    assert.throws(() => checkLeaderCompleteness(3, log(1, 1, [1, 1, 3]), committed), /where term 2/);
  });
});

describe("liveness checker", () => {
  test("accepts a leader and a write within the bound", () => {
    checkLiveness({ healedAtMs: 100, leaderElectedAtMs: 100, writeCommittedAtMs: 400, boundMs: 300 });
  });

  test("rejects a run without a leader after the heal", () => {
    assert.throws(
      () =>
        checkLiveness({ healedAtMs: 100, leaderElectedAtMs: null, writeCommittedAtMs: null, boundMs: 300 }),
      /no leader/,
    );
  });

  test("rejects a write that commits too late", () => {
    assert.throws(
      () => checkLiveness({ healedAtMs: 100, leaderElectedAtMs: 150, writeCommittedAtMs: 401, boundMs: 300 }),
      /no write committed/,
    );
  });
});
