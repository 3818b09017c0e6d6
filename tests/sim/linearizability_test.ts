import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { checkLinearizable, type HistoryOp } from "./linearizability.ts";

function op(
  clientId: number,
  kind: HistoryOp["kind"],
  value: string,
  callStamp: number,
  returnStamp: number | null,
  key = "k",
): HistoryOp {
  return { clientId, key, kind, value, callStamp, returnStamp };
}

describe("linearizability checker", () => {
  test("accepts an empty history", () => {
    assert.equal(checkLinearizable([]).ok, true);
  });

  test("accepts a sequential history that reads its writes", () => {
    const result = checkLinearizable([
      op(1, "put", "a", 1, 2),
      op(1, "append", "b", 3, 4),
      op(2, "get", "ab", 5, 6),
    ]);
    assert.equal(result.ok, true, result.message);
  });

  test("rejects a read that misses a write which returned before the read began", () => {
    const result = checkLinearizable([op(1, "put", "a", 1, 2), op(2, "get", "", 3, 4)]);
    assert.equal(result.ok, false);
    assert.match(result.message, /key "k"/);
  });

  test("accepts either order for concurrent operations", () => {
    const before = checkLinearizable([op(1, "put", "a", 1, 4), op(2, "get", "", 2, 3)]);
    const after = checkLinearizable([op(1, "put", "a", 1, 4), op(2, "get", "a", 2, 3)]);
    assert.equal(before.ok, true, before.message);
    assert.equal(after.ok, true, after.message);
  });

  test("rejects a stale read after a newer read (reads must not go back in time)", () => {
    const result = checkLinearizable([
      op(1, "put", "a", 1, 10),
      op(2, "get", "a", 2, 3),
      op(3, "get", "", 4, 5),
    ]);
    assert.equal(result.ok, false);
  });

  test("lets a timed-out write take effect later, even after other operations", () => {
    const result = checkLinearizable([
      op(1, "append", "x", 1, null),
      op(2, "append", "y", 2, 3),
      op(3, "get", "y", 4, 5),
      op(3, "get", "yx", 6, 7),
    ]);
    assert.equal(result.ok, true, result.message);
  });

  test("lets a timed-out write never take effect", () => {
    const result = checkLinearizable([op(1, "put", "x", 1, null), op(2, "get", "", 5, 6)]);
    assert.equal(result.ok, true, result.message);
  });

  test("does not let a timed-out write take effect before it was called", () => {
    const result = checkLinearizable([op(2, "get", "x", 1, 2), op(1, "put", "x", 3, null)]);
    assert.equal(result.ok, false);
  });

  test("rejects an append applied twice (a retry without dedup)", () => {
    const result = checkLinearizable([op(1, "append", "x", 1, 2), op(2, "get", "xx", 3, 4)]);
    assert.equal(result.ok, false);
  });

  test("ignores reads that never returned", () => {
    const result = checkLinearizable([op(1, "get", "garbage", 1, null), op(2, "get", "", 2, 3)]);
    assert.equal(result.ok, true, result.message);
  });

  test("checks each key on its own and names the failing key", () => {
    const result = checkLinearizable([
      op(1, "put", "a", 1, 2, "k1"),
      op(1, "put", "b", 3, 4, "k2"),
      op(2, "get", "a", 5, 6, "k1"),
      op(2, "get", "a", 7, 8, "k2"),
    ]);
    assert.equal(result.ok, false);
    assert.match(result.message, /key "k2"/);
  });

  test("rejects an operation that returns before its call", () => {
    assert.equal(checkLinearizable([op(1, "put", "a", 5, 2)]).ok, false);
  });

  test("handles many concurrent appends thanks to memoization", () => {
    const history: HistoryOp[] = [];
    let expected = "";
    for (let i = 0; i < 40; i++) {
      history.push(op(i, "append", `${i};`, i + 1, 100 + i));
      expected += `${i};`;
    }
    history.push(op(99, "get", expected, 200, 201));
    const result = checkLinearizable(history);
    assert.equal(result.ok, true, result.message);
  });

  test("reports an inconclusive search as a failure when the step budget runs out", () => {
    const history: HistoryOp[] = [];
    for (let i = 0; i < 20; i++) history.push(op(i, "put", `${i};`, i + 1, 100 + i));
    history.push(op(98, "get", "0;", 200, 201));
    history.push(op(99, "get", "1;", 202, 203));
    const result = checkLinearizable(history, 50);
    assert.equal(result.ok, false);
    assert.match(result.message, /gave up/);
  });
});
