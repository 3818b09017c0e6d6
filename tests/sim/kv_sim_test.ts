import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { utf8, type WatchResponse } from "../../src/kv/mod.ts";
import { checkKvLinearizable, type KvHistoryOp } from "./kv_model.ts";
import { PLANTED_BUGS } from "./planted_bugs.ts";
import { stateMachineForSeed } from "./scenario.ts";
import { WatchChecker } from "./watch_checker.ts";
import { runSeed, World } from "./world.ts";

type OpFields = Pick<KvHistoryOp, "kind" | "callStamp" | "returnStamp"> & Partial<KvHistoryOp>;

let seqNext = 0;
function op(fields: OpFields): KvHistoryOp {
  return { clientId: 1, seq: ++seqNext, key: "k", value: "", expect: "", output: "", ...fields };
}

function events(revisionKeys: [number, string, "put" | "delete"][]): WatchResponse {
  return {
    watchId: 1,
    header: { revision: revisionKeys.at(-1)?.[0] ?? 1 },
    created: false,
    canceled: false,
    compactRevision: 0,
    cancelReason: "",
    events: revisionKeys.map(([revision, key, type]) => ({
      type,
      kv: {
        key: utf8(key),
        createRevision: revision,
        modRevision: revision,
        version: 1,
        value: utf8("v"),
        lease: 0,
      },
    })),
  };
}

function compactionCancel(compactRevision: number): WatchResponse {
  return { ...events([]), canceled: true, compactRevision, cancelReason: "compacted" };
}

describe("simulator on the real key-value store", () => {
  test("about half of the seeds run the real store", () => {
    const kvSeeds = Array.from({ length: 100 }, (_, i) => i + 1).filter((seed) =>
      stateMachineForSeed(seed) === "kv"
    );
    assert.equal(kvSeeds.length, 50);
  });

  test("twenty key-value seeds pass every checker, with watch events and compactions", () => {
    const failures: string[] = [];
    let ops = 0, eventsDelivered = 0, compactionCancels = 0;
    for (let seed = 2; seed <= 40; seed += 2) {
      const world = new World({ seed });
      assert.equal(world.scenario.stateMachine, "kv");
      try {
        world.run();
      } catch (error) {
        failures.push(`seed ${seed}: ${String(error)}`);
      }
      ops += world.kv!.history.filter((kvOp) => kvOp.returnStamp !== null).length;
      eventsDelivered += world.kv!.watch.eventsDelivered;
      compactionCancels += world.kv!.watch.compactionCancels;
    }
    assert.deepEqual(failures, []);
    assert.ok(ops > 20 * 10, `clients completed only ${ops} key-value operations`);
    assert.ok(eventsDelivered > ops, `watchers delivered only ${eventsDelivered} events`);
    assert.ok(compactionCancels > 0, "no watcher was ever cancelled for compaction");
  });

  test("the key-value model catches reads served without a quorum round on the real store", () => {
    const bug = PLANTED_BUGS.find((planted) => planted.name.startsWith("ReadIndex"))!;
    let failure: string | null = null;
    for (let seed = 1; seed <= 20 && failure === null; seed++) {
      failure = runSeed({
        seed,
        ...bug.options,
        adjustScenario: (scenario) => {
          bug.options.adjustScenario?.(scenario);
          scenario.stateMachine = "kv";
        },
      }).failure;
    }
    assert.match(failure ?? "", /^linearizability: kv key "a": no linearization exists/);
  });
});

describe("key-value linearizability model", () => {
  test("accepts put, get, delete and a successful compare-and-set in order", () => {
    const history = [
      op({ kind: "kvput", value: "a;", callStamp: 1, returnStamp: 2 }),
      op({ kind: "kvget", output: "a;", callStamp: 3, returnStamp: 4 }),
      op({ kind: "kvcas", expect: "a;", value: "b;", output: "1", callStamp: 5, returnStamp: 6 }),
      op({ kind: "kvdelete", output: "1", callStamp: 7, returnStamp: 8 }),
      op({ kind: "kvget", output: "", callStamp: 9, returnStamp: 10 }),
      op({ kind: "kvcas", expect: "", value: "c;", output: "1", callStamp: 11, returnStamp: 12 }),
    ];
    assert.equal(checkKvLinearizable(history).ok, true);
  });

  test("rejects a read that misses a put which returned before it", () => {
    const history = [
      op({ kind: "kvput", value: "a;", callStamp: 1, returnStamp: 2 }),
      op({ kind: "kvget", output: "", callStamp: 3, returnStamp: 4 }),
    ];
    assert.match(checkKvLinearizable(history).message, /kv key "k": no linearization exists/);
  });

  test("rejects a compare-and-set that succeeded against another value", () => {
    const history = [
      op({ kind: "kvput", value: "a;", callStamp: 1, returnStamp: 2 }),
      op({ kind: "kvcas", expect: "x;", value: "b;", output: "1", callStamp: 3, returnStamp: 4 }),
    ];
    assert.equal(checkKvLinearizable(history).ok, false);
  });

  test("rejects a delete that found nothing although the key existed", () => {
    const history = [
      op({ kind: "kvput", value: "a;", callStamp: 1, returnStamp: 2 }),
      op({ kind: "kvdelete", output: "0", callStamp: 3, returnStamp: 4 }),
    ];
    assert.equal(checkKvLinearizable(history).ok, false);
  });

  test("lets a concurrent compare-and-set and put take either order", () => {
    const history = [
      op({ kind: "kvcas", clientId: 1, expect: "", value: "a;", output: "0", callStamp: 1, returnStamp: 4 }),
      op({ kind: "kvput", clientId: 2, value: "b;", callStamp: 2, returnStamp: 3 }),
      op({ kind: "kvget", output: "b;", callStamp: 5, returnStamp: 6 }),
    ];
    assert.equal(checkKvLinearizable(history).ok, true);
  });

  test("drops a timed-out write that no node applied, so reading its value is rejected", () => {
    const pending = op({
      kind: "kvput",
      clientId: 2,
      value: "p;",
      callStamp: 1,
      returnStamp: null,
      output: null,
    });
    const history = [pending, op({ kind: "kvget", output: "p;", callStamp: 2, returnStamp: 3 })];
    assert.equal(checkKvLinearizable(history).ok, true);
    assert.equal(checkKvLinearizable(history, new Set([`2:${pending.seq}`])).ok, true);
    assert.equal(checkKvLinearizable(history, new Set()).ok, false);
  });
});

describe("watch checker", () => {
  test("accepts identical streams delivered in different batches, and a resume after compaction", () => {
    const checker = new WatchChecker();
    checker.observe(1, events([[2, "a", "put"], [3, "b", "put"]]), 0);
    checker.observe(1, events([[4, "a", "delete"]]), 0);
    checker.observe(2, events([[2, "a", "put"]]), 0);
    checker.observe(2, events([[3, "b", "put"], [4, "a", "delete"]]), 0);
    assert.equal(checker.observe(3, compactionCancel(4), 4), 4);
    checker.observe(3, events([[4, "a", "delete"]]), 4);
    assert.equal(checker.startRevision(3), 5);
    checker.finish();
    assert.equal(checker.compactionCancels, 1);
  });

  test("rejects events out of revision order", () => {
    const checker = new WatchChecker();
    checker.observe(1, events([[3, "a", "put"]]), 0);
    assert.throws(
      () => checker.observe(1, events([[2, "b", "put"]]), 0),
      /watch: node 1: event at revision 2 .* already delivered/,
    );
  });

  test("rejects a duplicated event", () => {
    const checker = new WatchChecker();
    assert.throws(() => checker.observe(1, events([[2, "a", "put"], [2, "a", "put"]]), 0), /delivered twice/);
  });

  test("rejects a revision split over two responses", () => {
    const checker = new WatchChecker();
    checker.observe(1, events([[2, "a", "put"]]), 0);
    assert.throws(() => checker.observe(1, events([[2, "b", "put"]]), 0), /already delivered/);
  });

  test("rejects nodes that disagree on a revision's events", () => {
    const checker = new WatchChecker();
    checker.observe(1, events([[2, "a", "put"]]), 0);
    assert.throws(() => checker.observe(2, events([[2, "b", "put"]]), 0), /another node saw/);
  });

  test("rejects a stream that skips a revision another node delivered", () => {
    const checker = new WatchChecker();
    checker.observe(1, events([[2, "a", "put"], [3, "b", "put"], [4, "a", "put"]]), 0);
    checker.observe(2, events([[2, "a", "put"], [4, "a", "put"]]), 0);
    assert.throws(() => checker.finish(), /skipped revisions 3/);
  });

  test("rejects a compaction cancel without the store's compact revision", () => {
    const checker = new WatchChecker();
    assert.throws(() => checker.observe(1, compactionCancel(3), 5), /compact revision 3/);
  });
});
