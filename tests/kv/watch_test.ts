import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  prefixEnd,
  TooManyWatchersError,
  toText,
  WATCH_SCAN_REVISIONS_MAX,
  type Watcher,
  type WatchResponse,
} from "../../src/kv/mod.ts";
import { b, Driver, keysOf } from "./helpers.ts";

function drain(watcher: Watcher): WatchResponse[] {
  const responses: WatchResponse[] = [];
  for (let response = watcher.poll(); response !== null; response = watcher.poll()) responses.push(response);
  return responses;
}

function eventRevisions(responses: WatchResponse[]): number[] {
  return responses.flatMap((response) => response.events.map((event) => event.kv.modRevision));
}

describe("watch", () => {
  test("the first response says created, then live events follow", () => {
    const driver = new Driver();
    const watcher = driver.store.watch({ key: b("a") });
    const created = watcher.poll()!;
    assert.equal(created.created, true);
    assert.equal(watcher.poll(), null);
    driver.put("a", "1");
    driver.put("b", "1");
    const [events] = drain(watcher);
    assert.equal(events!.events.length, 1);
    assert.equal(events!.events[0]!.type, "put");
    assert.equal(toText(events!.events[0]!.kv.value), "1");
  });

  test("a start revision replays history then continues live, without gaps or duplicates", () => {
    const driver = new Driver();
    for (let i = 0; i < 5; i++) driver.put("k", `${i}`); // 2..6
    const watcher = driver.store.watch({ key: b("k"), startRevision: 3 });
    const first = drain(watcher);
    driver.put("k", "live"); // 7
    const second = drain(watcher);
    assert.deepEqual(eventRevisions([...first, ...second]), [3, 4, 5, 6, 7]);
  });

  test("a prefix watch with prevKv reports deletes with the previous value", () => {
    const driver = new Driver();
    driver.put("p/a", "1");
    const watcher = driver.store.watch({ key: b("p/"), rangeEnd: prefixEnd(b("p/")), prevKv: true });
    watcher.poll();
    driver.put("p/a", "2");
    driver.del("p/a");
    driver.put("q", "outside");
    const events = drain(watcher).flatMap((response) => response.events);
    assert.deepEqual(events.map((event) => event.type), ["put", "delete"]);
    assert.equal(toText(events[0]!.prevKv!.value), "1");
    assert.equal(toText(events[1]!.prevKv!.value), "2");
    assert.equal(events[1]!.kv.version, 0);
    assert.equal(events[1]!.kv.modRevision, 4);
  });

  test("filters drop puts or deletes", () => {
    const driver = new Driver();
    const noPut = driver.store.watch({ key: b("a"), noPut: true });
    const noDelete = driver.store.watch({ key: b("a"), noDelete: true });
    driver.put("a", "1");
    driver.del("a");
    assert.deepEqual(drain(noPut).flatMap((r) => r.events.map((e) => e.type)), ["delete"]);
    assert.deepEqual(drain(noDelete).flatMap((r) => r.events.map((e) => e.type)), ["put"]);
  });

  test("all events of one revision arrive in one response even beyond the per-response limit", () => {
    const driver = new Driver();
    const watcher = driver.store.watch({
      key: b("t/"),
      rangeEnd: prefixEnd(b("t/")),
      eventsPerResponseMax: 2,
    });
    watcher.poll();
    driver.txn({
      compare: [],
      success: ["t/1", "t/2", "t/3"].map((key) => ({
        type: "put" as const,
        request: { key: b(key), value: b("v") },
      })),
      failure: [],
    });
    driver.put("t/4", "v");
    const responses = drain(watcher);
    assert.deepEqual(responses.map((response) => response.events.length), [3, 1]);
    assert.deepEqual(keysOf(responses[0]!.events.map((event) => event.kv)), ["t/1", "t/2", "t/3"]);
  });

  test("a progress notification comes only once everything up to the revision was delivered", () => {
    const driver = new Driver();
    const watcher = driver.store.watch({ key: b("a"), progressNotify: true });
    watcher.poll();
    driver.put("a", "1");
    driver.store.notifyProgress();
    const responses = drain(watcher);
    assert.equal(responses.length, 2);
    assert.equal(responses[0]!.events.length, 1);
    assert.equal(responses[1]!.events.length, 0);
    assert.equal(responses[1]!.created || responses[1]!.canceled, false);
    assert.equal(responses[1]!.header.revision, 2);
  });

  test("a start below the compaction is created then cancelled with the compact revision", () => {
    const driver = new Driver();
    for (let i = 0; i < 4; i++) driver.put("a", `${i}`);
    driver.compact(4);
    const watcher = driver.store.watch({ key: b("a"), startRevision: 2 });
    const responses = drain(watcher);
    assert.equal(responses[0]!.created, true);
    assert.equal(responses[1]!.canceled, true);
    assert.equal(responses[1]!.compactRevision, 4);
    assert.equal(watcher.closed, true);
    const atCompaction = driver.store.watch({ key: b("a"), startRevision: 4 });
    assert.deepEqual(eventRevisions(drain(atCompaction)), [4, 5]);
  });

  test("a watcher left behind by a compaction is cancelled with the compact revision, never skipping", () => {
    const driver = new Driver();
    const watcher = driver.store.watch({ key: b("a"), startRevision: 1 });
    watcher.poll();
    driver.put("a", "1");
    driver.put("a", "2");
    driver.compact(3);
    const [response] = drain(watcher);
    assert.equal(response!.canceled, true);
    assert.equal(response!.compactRevision, 3);
  });

  test("a slow watcher is cancelled with a reason and can resume from its next revision", () => {
    const driver = new Driver();
    const watcher = driver.store.watch({ key: b("k"), pendingEventsMax: 3 });
    watcher.poll();
    driver.put("k", "0"); // 2
    assert.deepEqual(eventRevisions(drain(watcher)), [2]);
    for (let i = 1; i <= 4; i++) driver.put("k", `${i}`); // 3..6
    const [cancel] = drain(watcher);
    assert.equal(cancel!.canceled, true);
    assert.match(cancel!.cancelReason, /too slow.*more than 3 events.*from revision 3/);
    const resumed = driver.store.watch({ key: b("k"), startRevision: watcher.nextRevision });
    assert.deepEqual(eventRevisions(drain(resumed)), [3, 4, 5, 6]);
  });

  test("onReady is called when a watcher has something to deliver", () => {
    const driver = new Driver();
    const watcher = driver.store.watch({ key: b("a") });
    watcher.poll();
    let calls = 0;
    watcher.onReady = () => calls++;
    driver.put("b", "ignored");
    assert.equal(calls, 0);
    driver.put("a", "1");
    assert.equal(calls, 1);
    assert.equal(watcher.hasPending, true);
  });

  test("the store refuses watchers beyond its limit", () => {
    const driver = new Driver({ watchersMax: 2 });
    driver.store.watch({ key: b("a") });
    const second = driver.store.watch({ key: b("a") });
    assert.throws(() => driver.store.watch({ key: b("a") }), TooManyWatchersError);
    second.cancel();
    driver.store.watch({ key: b("a") });
  });

  test("a future start revision waits for that revision", () => {
    const driver = new Driver();
    const watcher = driver.store.watch({ key: b("a"), startRevision: 4 });
    watcher.poll();
    driver.put("a", "1"); // 2
    driver.put("a", "2"); // 3
    assert.equal(watcher.poll(), null);
    driver.put("a", "3"); // 4
    assert.deepEqual(eventRevisions(drain(watcher)), [4]);
  });

  test("a replay over more revisions than one poll scans still delivers everything in order", () => {
    const driver = new Driver();
    driver.put("x", "first");
    for (let i = 0; i < WATCH_SCAN_REVISIONS_MAX + 5; i++) driver.put("other", `${i}`);
    driver.put("x", "last");
    const watcher = driver.store.watch({ key: b("x"), startRevision: 1 });
    const events: string[] = [];
    let polls = 0;
    while (watcher.hasPending) {
      polls++;
      const response = watcher.poll();
      if (response !== null) events.push(...response.events.map((event) => toText(event.kv.value)));
    }
    assert.deepEqual(events, ["first", "last"]);
    assert.ok(polls >= 3, `${polls} polls`);
    assert.equal(watcher.nextRevision, driver.store.revision + 1);
  });
});

test("a watcher open across a snapshot install delivers the restored revisions after its creation", () => {
  const source = new Driver();
  for (const value of ["1", "2", "3"]) source.put("k", value);
  const target = new Driver();
  const watcher = target.store.watch({ key: b("k"), startRevision: 1 });
  assert.equal(watcher.poll()?.created, true);
  target.store.restoreSnapshot(source.store.snapshot());
  target.index = source.index;
  assert.deepEqual(eventRevisions(drain(watcher)), [2, 3, 4]);
  target.put("k", "4");
  assert.deepEqual(eventRevisions(drain(watcher)), [5]);
});
