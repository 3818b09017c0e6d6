import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CodecError,
  type Command,
  CompactedError,
  type Compare,
  decodeApplyResult,
  decodeCommand,
  encodeApplyResult,
  encodeCommand,
  KvStore,
  type RangeRequest,
  type RequestOp,
  type TxnRequest,
  ValidationError,
} from "../../src/kv/mod.ts";
import { b, Driver } from "./helpers.ts";

const bytesArb = fc.uint8Array({ maxLength: 8 });
const uintArb = fc.oneof(fc.nat(300), fc.maxSafeNat());
const rangeArb: fc.Arbitrary<RangeRequest> = fc.record({
  key: bytesArb,
  rangeEnd: bytesArb,
  limit: uintArb,
  revision: uintArb,
  sortOrder: fc.constantFrom("none" as const, "ascend" as const, "descend" as const),
  sortTarget: fc.constantFrom(
    "key" as const,
    "version" as const,
    "create" as const,
    "mod" as const,
    "value" as const,
  ),
  keysOnly: fc.boolean(),
  countOnly: fc.boolean(),
  minModRevision: uintArb,
  maxModRevision: uintArb,
  minCreateRevision: uintArb,
  maxCreateRevision: uintArb,
});
const putArb = fc.record({
  key: bytesArb,
  value: bytesArb,
  lease: uintArb,
  prevKv: fc.boolean(),
  ignoreValue: fc.boolean(),
  ignoreLease: fc.boolean(),
});
const deleteArb = fc.record({ key: bytesArb, rangeEnd: bytesArb, prevKv: fc.boolean() });
const compareArb: fc.Arbitrary<Compare> = fc.oneof(
  fc.record({
    key: bytesArb,
    rangeEnd: bytesArb,
    result: fc.constantFrom("equal" as const, "greater" as const, "less" as const, "notEqual" as const),
    target: fc.constant("value" as const),
    value: bytesArb,
  }),
  fc.record({
    key: bytesArb,
    rangeEnd: bytesArb,
    result: fc.constantFrom("equal" as const, "greater" as const, "less" as const, "notEqual" as const),
    target: fc.constantFrom("version" as const, "create" as const, "mod" as const, "lease" as const),
    number: uintArb,
  }),
);
const { txn: txnArb } = fc.letrec<{ txn: TxnRequest; op: RequestOp }>((tie) => ({
  txn: fc.record({
    compare: fc.array(compareArb, { maxLength: 3 }),
    success: fc.array(tie("op"), { maxLength: 3 }),
    failure: fc.array(tie("op"), { maxLength: 3 }),
  }),
  op: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ type: fc.constant("range" as const), request: rangeArb }),
    fc.record({ type: fc.constant("put" as const), request: putArb }),
    fc.record({ type: fc.constant("deleteRange" as const), request: deleteArb }),
    fc.record({ type: fc.constant("txn" as const), request: tie("txn") }),
  ),
}));
const clockArb = fc.record({ term: uintArb, nowMs: fc.double({ noNaN: true }) });
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ type: fc.constant("put" as const), request: putArb }),
  fc.record({ type: fc.constant("deleteRange" as const), request: deleteArb }),
  fc.record({ type: fc.constant("txn" as const), request: txnArb }),
  fc.record({ type: fc.constant("compact" as const), revision: uintArb }),
  fc.record({ type: fc.constant("leaseGrant" as const), id: uintArb, ttlSeconds: uintArb, clock: clockArb }),
  fc.record({ type: fc.constant("leaseRevoke" as const), id: uintArb }),
  fc.record({ type: fc.constant("leaseKeepAlive" as const), id: uintArb, clock: clockArb }),
  fc.record({
    type: fc.constant("leaseCheckpoint" as const),
    checkpoints: fc.array(fc.record({ id: uintArb, remainingTtlMs: uintArb }), { maxLength: 4 }),
  }),
);

describe("command codec", () => {
  test("every command decodes to itself with its dedup identity", () => {
    fc.assert(
      fc.property(commandArb, uintArb, uintArb, (command, clientId, sequence) => {
        const bytes = encodeCommand(command, { clientId, sequence });
        const decoded = decodeCommand(bytes);
        assert.deepEqual(decoded, structuredClone({ command, clientId, sequence }));
        assert.deepEqual(encodeCommand(decoded.command, { clientId, sequence }), bytes);
      }),
      { numRuns: 300 },
    );
  });

  test("every truncation of an encoding is refused with a codec error", () => {
    fc.assert(
      fc.property(commandArb, (command) => {
        const bytes = encodeCommand(command);
        for (let length = 0; length < bytes.length; length++) {
          assert.throws(() => decodeCommand(bytes.subarray(0, length)), CodecError);
        }
      }),
      { numRuns: 100 },
    );
  });

  test("a negative or fractional number is refused at encoding, naming the field", () => {
    assert.throws(
      () => encodeCommand({ type: "put", request: { key: b("k"), value: b("v"), lease: -1 } }),
      (error: unknown) => error instanceof ValidationError && error.field === "lease",
    );
    assert.throws(
      () => encodeCommand({ type: "compact", revision: 1.5 }),
      (error: unknown) => error instanceof ValidationError && error.field === "revision",
    );
  });

  test("trailing bytes and unknown versions or tags are refused", () => {
    const bytes = encodeCommand({ type: "leaseRevoke", id: 1 });
    assert.throws(() => decodeCommand(new Uint8Array([...bytes, 0])), CodecError);
    assert.throws(() => decodeCommand(new Uint8Array([9, ...bytes.subarray(1)])), CodecError);
    assert.throws(() => decodeCommand(new Uint8Array([1, 0, 0, 200, 1])), CodecError);
  });
});

describe("snapshot codec", () => {
  test("a snapshot restores exactly, including leases, history and the dedup table", () => {
    const driver = new Driver();
    const lease = driver.grant(30).id;
    driver.put("a", "1", { lease });
    driver.put("b", "2");
    driver.run({ type: "put", request: { key: b("c"), value: b("3"), prevKv: true } }, {
      clientId: 9,
      sequence: 4,
    });
    driver.del("b");
    driver.compact(3);
    driver.put("a", "again", { lease });
    const restored = new KvStore();
    restored.restoreSnapshot(driver.store.snapshot());
    assert.deepEqual(restored.snapshot(), driver.store.snapshot());
    assert.equal(restored.appliedIndex, driver.index);
    const retry = restored.apply(
      restored.appliedIndex + 1,
      encodeCommand({ type: "put", request: { key: b("c"), value: b("3") } }, { clientId: 9, sequence: 4 }),
    );
    assert.ok(retry.ok && retry.duplicate);
    assert.equal(restored.revision, driver.store.revision);
    assert.deepEqual(restored.leaseTimeToLive(lease, { keys: true }).keys, [b("a")]);
  });

  test("a corrupted snapshot is refused and the store is left unchanged", () => {
    const driver = new Driver();
    driver.put("a", "1");
    const snapshot = driver.store.snapshot();
    const target = new Driver();
    target.put("z", "9");
    const before = target.store.snapshot();
    for (const position of [0, 5, snapshot.length - 6, snapshot.length - 1]) {
      const corrupted = snapshot.slice();
      corrupted[position] = corrupted[position]! ^ 0xff;
      assert.throws(() => target.store.restoreSnapshot(corrupted), CodecError);
    }
    assert.throws(() => target.store.restoreSnapshot(snapshot.subarray(0, 10)), CodecError);
    assert.deepEqual(target.store.snapshot(), before);
  });

  test("watchers survive a restore and a watcher behind the restored compaction is cancelled", () => {
    const source = new Driver();
    for (let i = 0; i < 5; i++) source.put("k", `${i}`);
    source.compact(5);
    const target = new Driver();
    target.put("k", "x");
    const behind = target.store.watch({ key: b("k"), startRevision: 2 });
    behind.poll();
    target.store.restoreSnapshot(source.store.snapshot());
    const response = behind.poll()!;
    assert.equal(response.canceled, true);
    assert.equal(response.compactRevision, 5);
  });
});

describe("apply result codec", () => {
  test("answers and domain errors survive encoding with their class and fields", () => {
    const driver = new Driver();
    driver.put("a", "1");
    driver.put("a", "2");
    driver.compact(3);
    const answer = driver.store.apply(
      ++driver.index,
      encodeCommand({
        type: "txn",
        request: { compare: [], success: [{ type: "range", request: { key: b("a") } }], failure: [] },
      }),
    );
    assert.deepEqual(decodeApplyResult(encodeApplyResult(answer)), answer);
    const failure = driver.store.apply(++driver.index, encodeCommand({ type: "compact", revision: 2 }));
    assert.ok(!failure.ok);
    const decoded = decodeApplyResult(encodeApplyResult(failure));
    assert.ok(!decoded.ok);
    assert.ok(decoded.error instanceof CompactedError);
    assert.equal(decoded.error.compactRevision, 3);
    assert.equal(decoded.error.message, failure.error.message);
    assert.equal(decoded.error.etcdMessage, failure.error.etcdMessage);
    assert.equal(decoded.error.grpcCode, failure.error.grpcCode);
  });
});
