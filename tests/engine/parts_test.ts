import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LeaseNotFoundError } from "../../src/kv/errors.ts";
import { NotLeaderError } from "../../src/raft/errors.ts";
import { decodeConfChange } from "../../src/raft/conf_change_codec.ts";
import { bootstrapEntries } from "../../src/engine/boot.ts";
import { Broadcast } from "../../src/engine/broadcast.ts";
import { EngineOptionsError } from "../../src/engine/errors.ts";
import {
  decodeForwardAnswer,
  decodeForwardRequest,
  encodeForwardAnswer,
  encodeForwardRequest,
} from "../../src/engine/forward_codec.ts";
import { nodeIdOf, parseAddress, resolveEngineOptions } from "../../src/engine/options.ts";
import { READ_ROUNDS_UNANSWERED_MAX, ReadRounds } from "../../src/engine/read_rounds.ts";
import type { ReadWaiter } from "../../src/engine/requests.ts";

describe("the forward codec", () => {
  test("carries a command and every kind of answer, domain errors included", () => {
    const command = new Uint8Array([1, 2, 3]);
    assert.deepEqual(decodeForwardRequest(encodeForwardRequest(command)), command);
    assert.equal(decodeForwardAnswer(encodeForwardAnswer({ kind: "notLeader" })).kind, "notLeader");
    assert.equal(decodeForwardAnswer(encodeForwardAnswer({ kind: "busy" })).kind, "busy");
    const failed = decodeForwardAnswer(
      encodeForwardAnswer({
        kind: "applied",
        result: { ok: false, error: new LeaseNotFoundError("revoke", 9) },
      }),
    );
    assert.ok(failed.kind === "applied" && !failed.result.ok);
    assert.ok(failed.result.error instanceof LeaseNotFoundError);
    assert.throws(() => decodeForwardRequest(new Uint8Array([7])), RangeError);
  });
});

describe("engine options", () => {
  test("give every member a stable, distinct id derived from its name", () => {
    assert.equal(nodeIdOf("n1"), nodeIdOf("n1"));
    assert.notEqual(nodeIdOf("n1"), nodeIdOf("n2"));
    assert.ok(Number.isSafeInteger(nodeIdOf("a-very-long-member-name")) && nodeIdOf("x") > 0);
  });

  test("resolve peers, the listen address and defaults", () => {
    const options = resolveEngineOptions({
      name: "n2",
      storage: "memory",
      peers: { n1: "127.0.0.1:2380", n2: "127.0.0.1:2480" },
    });
    assert.equal(options.id, nodeIdOf("n2"));
    assert.deepEqual(options.listen, { hostname: "127.0.0.1", port: 2480 });
    assert.equal(options.members.length, 2);
    assert.equal(options.tickIntervalMs, 100);
    assert.deepEqual(parseAddress("localhost:80"), { hostname: "localhost", port: 80 });
    assert.throws(() => parseAddress("no-port"), EngineOptionsError);
  });

  test("name the option that is wrong", () => {
    const optionOf = (input: unknown) => {
      try {
        resolveEngineOptions(input);
      } catch (error) {
        assert.ok(error instanceof EngineOptionsError);
        return error.option;
      }
      return "(accepted)";
    };
    assert.equal(optionOf({ storage: "memory", name: "n1", peers: { n2: "h:1", n3: "h:2" } }), "peers");
    assert.equal(
      optionOf({ storage: "memory", heartbeatIntervalTicks: 10, electionTimeoutTicks: 10 }),
      "heartbeatIntervalTicks",
    );
    assert.equal(optionOf({ storage: "memory", join: true }), "join");
    assert.equal(optionOf({ storage: "disk" }), "storage");
    assert.equal(optionOf({ storage: "memory" }), "(accepted)");
  });
});

describe("the bootstrap entries", () => {
  test("are identical on every founder: one voter per entry, sorted by id, naming it", () => {
    const founders = [
      { id: 30, name: "c", address: { hostname: "h", port: 3 } },
      { id: 10, name: "a", address: { hostname: "h", port: 1 } },
    ];
    const entries = bootstrapEntries(founders);
    assert.deepEqual(bootstrapEntries([...founders].reverse()), entries);
    assert.deepEqual(entries.map((entry) => [entry.index, entry.term]), [[1, 1], [2, 1]]);
    const first = decodeConfChange(entries[0]!.data);
    assert.deepEqual(first.changes, [{ type: "addVoter", nodeId: 10 }]);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(first.context)), { name: "a", address: "h:1" });
  });
});

describe("the latest-value broadcast", () => {
  test("gives a slow subscriber only the newest value and ends on abort", async () => {
    const channel = new Broadcast(1);
    const controller = new AbortController();
    const iterator = channel.subscribe(controller.signal);
    assert.equal((await iterator.next()).value, 1);
    channel.publish(2);
    channel.publish(3);
    assert.equal((await iterator.next()).value, 3);
    const pending = iterator.next();
    controller.abort();
    assert.equal((await pending).done, true);
  });
});

describe("read rounds", () => {
  function waiter(log: string[], name: string, deadlineMs = 1_000): ReadWaiter {
    return {
      deadlineMs,
      resolve: () => log.push(`${name} ok`),
      reject: (e) => log.push(`${name} ${e.message}`),
    };
  }

  test("serve every read queued before a round once applied reaches its index", () => {
    const rounds = new ReadRounds();
    const log: string[] = [];
    const contexts: Uint8Array[] = [];
    rounds.enqueue("safe", waiter(log, "a"));
    rounds.enqueue("safe", waiter(log, "b"));
    rounds.issue((context) => contexts.push(context), 1, 0);
    assert.equal(contexts.length, 1);
    rounds.accept([{ index: 5, requestContext: contexts[0]! }]);
    rounds.serve(4);
    assert.deepEqual(log, []);
    rounds.serve(5);
    assert.deepEqual(log, ["a ok", "b ok"]);
  });

  test("keep reads queued while there is no leader, re-issue lost rounds, and time them out", () => {
    const rounds = new ReadRounds();
    const log: string[] = [];
    rounds.enqueue("lease", waiter(log, "a", 100));
    rounds.issue(
      () => {
        throw new NotLeaderError("read index", 0);
      },
      0,
      0,
    );
    let issued = 0;
    rounds.issue(() => issued++, 2, 10);
    assert.equal(issued, 1);
    rounds.retry(3, 20, 1_000); // the leader changed: the round goes back to the queue
    rounds.issue(() => issued++, 3, 20);
    assert.equal(issued, 2);
    rounds.expire(100, () => new Error("timed out"));
    assert.deepEqual(log, ["a timed out"]);
    assert.equal(rounds.waiting, 0);
  });

  test("hold new reads while READ_ROUNDS_UNANSWERED_MAX rounds await their index, then batch them", () => {
    const rounds = new ReadRounds();
    const log: string[] = [];
    const contexts: Uint8Array[] = [];
    const issue = () => rounds.issue((context) => contexts.push(context), 1, 0);
    for (let i = 0; i < READ_ROUNDS_UNANSWERED_MAX; i++) {
      rounds.enqueue("safe", waiter(log, `r${i}`));
      issue();
    }
    rounds.enqueue("safe", waiter(log, "x"));
    rounds.enqueue("safe", waiter(log, "y"));
    issue();
    assert.equal(contexts.length, READ_ROUNDS_UNANSWERED_MAX);
    assert.equal(rounds.waiting, READ_ROUNDS_UNANSWERED_MAX + 2);
    rounds.accept([{ index: 3, requestContext: contexts[0]! }]);
    issue();
    assert.equal(contexts.length, READ_ROUNDS_UNANSWERED_MAX + 1, "x and y share one round");
    rounds.accept([{ index: 4, requestContext: contexts.at(-1)! }]);
    rounds.serve(4);
    assert.deepEqual(log, ["r0 ok", "x ok", "y ok"]);
    assert.equal(rounds.waiting, READ_ROUNDS_UNANSWERED_MAX - 1);
  });
});
