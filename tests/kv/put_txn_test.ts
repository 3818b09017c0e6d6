import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type Compare,
  type CompareNumberTarget,
  type CompareResult,
  KeyNotFoundError,
  LeaseNotFoundError,
  type RequestOp,
  toText,
  TXN_OPS_MAX,
  ValidationError,
} from "../../src/kv/mod.ts";
import { b, Driver, keysOf } from "./helpers.ts";

function put(key: string, value: string): RequestOp {
  return { type: "put", request: { key: b(key), value: b(value) } };
}

describe("put", () => {
  test("prevKv returns the previous state only when the key existed", () => {
    const driver = new Driver();
    assert.equal(driver.put("a", "1", { prevKv: true }).prevKv, undefined);
    const response = driver.put("a", "2", { prevKv: true });
    assert.equal(toText(response.prevKv!.value), "1");
    assert.equal(response.prevKv!.modRevision, 2);
  });

  test("ignoreValue keeps the value and ignoreLease keeps the lease", () => {
    const driver = new Driver();
    const lease = driver.grant(60).id;
    driver.put("a", "1", { lease });
    driver.put("a", "", { ignoreValue: true });
    assert.equal(toText(driver.get("a")!.value), "1");
    assert.equal(driver.get("a")!.lease, 0);
    driver.put("a", "2", { lease });
    driver.put("a", "3", { ignoreLease: true });
    assert.equal(driver.get("a")!.lease, lease);
    assert.equal(toText(driver.get("a")!.value), "3");
  });

  test("ignoreValue on a missing key fails with key not found", () => {
    const driver = new Driver();
    assert.throws(() => driver.put("nope", "", { ignoreValue: true }), KeyNotFoundError);
    assert.equal(driver.store.revision, 1);
  });

  test("ignoreValue with a value and ignoreLease with a lease are rejected", () => {
    const driver = new Driver();
    driver.put("a", "1");
    assert.throws(() => driver.put("a", "x", { ignoreValue: true }), (error: unknown) => {
      return error instanceof ValidationError && error.field === "value" &&
        error.etcdMessage === "etcdserver: value is provided";
    });
    assert.throws(() => driver.put("a", "x", { ignoreLease: true, lease: 5 }), (error: unknown) => {
      return error instanceof ValidationError && error.field === "lease";
    });
  });

  test("a put to an unknown lease fails and changes nothing", () => {
    const driver = new Driver();
    assert.throws(() => driver.put("a", "1", { lease: 99 }), LeaseNotFoundError);
    assert.equal(driver.store.revision, 1);
  });

  test("an oversized key is rejected naming the key with its size and the limit", () => {
    const driver = new Driver();
    assert.throws(() => driver.put("k".repeat(40_000), "v"), (error: unknown) => {
      return error instanceof ValidationError && error.field === "key" &&
        /the limit is 32 KiB/.test(error.message);
    });
  });
});

describe("transactions", () => {
  type Fields =
    | { target: "value"; result: CompareResult; value: Uint8Array }
    | { target: CompareNumberTarget; result: CompareResult; number: number };
  function compare(key: string, fields: Fields): Compare {
    return { key: b(key), ...fields };
  }

  test("comparisons on value, version, create, mod and lease choose the branch", () => {
    const driver = new Driver();
    const lease = driver.grant(60).id;
    driver.put("a", "x", { lease }); // 2
    driver.put("a", "y", { lease }); // 3
    const cases: [Compare, boolean][] = [
      [compare("a", { target: "value", result: "equal", value: b("y") }), true],
      [compare("a", { target: "value", result: "greater", value: b("x") }), true],
      [compare("a", { target: "version", result: "equal", number: 2 }), true],
      [compare("a", { target: "create", result: "less", number: 3 }), true],
      [compare("a", { target: "mod", result: "notEqual", number: 3 }), false],
      [compare("a", { target: "lease", result: "equal", number: lease }), true],
      [compare("missing", { target: "version", result: "equal", number: 0 }), true],
      [compare("missing", { target: "create", result: "equal", number: 0 }), true],
      [compare("missing", { target: "value", result: "notEqual", value: b("z") }), false],
    ];
    for (const [guard, expected] of cases) {
      const response = driver.txn({ compare: [guard], success: [], failure: [] });
      assert.equal(response.succeeded, expected, JSON.stringify({ ...guard, key: "" }));
    }
  });

  test("a comparison over a range must hold for every key in it", () => {
    const driver = new Driver();
    driver.put("p/1", "1");
    driver.put("p/2", "2");
    const all = (number: number) =>
      driver.txn({
        compare: [{ key: b("p/"), rangeEnd: b("p0"), target: "version", result: "equal", number }],
        success: [],
        failure: [],
      }).succeeded;
    assert.equal(all(1), true);
    driver.put("p/2", "again");
    assert.equal(all(1), false);
  });

  test("a comparison over an empty range compares as one missing key", () => {
    const driver = new Driver();
    const holds = (fields: Fields) =>
      driver.txn({ compare: [{ key: b("e/"), rangeEnd: b("e0"), ...fields }], success: [], failure: [] })
        .succeeded;
    assert.equal(holds({ target: "version", result: "equal", number: 0 }), true);
    assert.equal(holds({ target: "version", result: "greater", number: 0 }), false);
    assert.equal(holds({ target: "value", result: "notEqual", value: b("x") }), false);
  });

  test("all writes of a transaction share one revision and later reads in it see earlier writes", () => {
    const driver = new Driver();
    driver.put("gone", "x");
    const response = driver.txn({
      compare: [],
      success: [put("a", "1"), put("b", "2"), { type: "deleteRange", request: { key: b("gone") } }, {
        type: "range",
        request: { key: b("a"), rangeEnd: b("z") },
      }],
      failure: [],
    });
    assert.equal(response.header.revision, 3);
    assert.equal(driver.get("a")!.modRevision, 3);
    assert.equal(driver.get("b")!.modRevision, 3);
    const range = response.responses[3]!;
    assert.equal(range.type, "range");
    if (range.type === "range") assert.deepEqual(keysOf(range.response.kvs), ["a", "b"]);
  });

  test("the failure branch runs when a comparison fails, and a read-only transaction keeps the revision", () => {
    const driver = new Driver();
    const response = driver.txn({
      compare: [compare("a", { target: "version", result: "greater", number: 0 })],
      success: [put("a", "1")],
      failure: [{ type: "range", request: { key: b("a") } }],
    });
    assert.equal(response.succeeded, false);
    assert.equal(driver.store.revision, 1);
  });

  test("nested transactions decide their branch on the state before the outer transaction", () => {
    const driver = new Driver();
    const response = driver.txn({
      compare: [],
      success: [put("a", "1"), {
        type: "txn",
        request: {
          compare: [compare("a", { target: "version", result: "equal", number: 0 })],
          success: [put("seen-empty", "yes")],
          failure: [put("seen-a", "yes")],
        },
      }],
      failure: [],
    });
    assert.ok(driver.get("seen-empty") !== undefined);
    assert.equal(driver.get("seen-a"), undefined);
    const nested = response.responses[1]!;
    assert.ok(nested.type === "txn" && nested.response.succeeded && nested.response.header.revision === 2);
  });

  test("a transaction with more than 128 operations in a branch is rejected", () => {
    const driver = new Driver();
    const ops = Array.from({ length: TXN_OPS_MAX + 1 }, (_, i) => put(`k${i}`, "v"));
    assert.throws(() => driver.txn({ compare: [], success: ops, failure: [] }), (error: unknown) => {
      return error instanceof ValidationError &&
        error.etcdMessage === "etcdserver: too many operations in txn request";
    });
    const exact = Array.from({ length: TXN_OPS_MAX }, (_, i) => put(`k${i}`, "v"));
    driver.txn({ compare: [], success: exact, failure: [] });
    assert.equal(driver.store.range({ key: b("k"), rangeEnd: b("l") }).count, TXN_OPS_MAX);
  });

  test("a key put twice, or put and deleted, in one transaction is rejected", () => {
    const driver = new Driver();
    const duplicate = (ops: RequestOp[]) =>
      assert.throws(() => driver.txn({ compare: [], success: ops, failure: [] }), (error: unknown) => {
        return error instanceof ValidationError &&
          error.etcdMessage === "etcdserver: duplicate key given in txn request";
      });
    duplicate([put("a", "1"), put("a", "2")]);
    duplicate([put("b", "1"), { type: "deleteRange", request: { key: b("a"), rangeEnd: b("c") } }]);
    duplicate([put("a", "1"), {
      type: "txn",
      request: { compare: [], success: [put("a", "2")], failure: [] },
    }]);
    // The two branches are exclusive, so they may write the same key.
    driver.txn({ compare: [], success: [put("a", "1")], failure: [put("a", "2")] });
    // Two deletes may overlap.
    driver.txn({
      compare: [],
      success: [{ type: "deleteRange", request: { key: b("a") } }, {
        type: "deleteRange",
        request: { key: b("a"), rangeEnd: b("b") },
      }],
      failure: [],
    });
  });

  test("a transaction whose chosen branch would fail applies nothing", () => {
    const driver = new Driver();
    assert.throws(
      () =>
        driver.txn({
          compare: [],
          success: [put("a", "1"), { type: "put", request: { key: b("b"), value: b("2"), lease: 77 } }],
          failure: [],
        }),
      LeaseNotFoundError,
    );
    assert.equal(driver.get("a"), undefined);
    assert.equal(driver.store.revision, 1);
  });
});
