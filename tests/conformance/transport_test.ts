import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { makeMessage, MessageType } from "../../src/raft/types.ts";
import { ByteWriter, encodeFrame, PROTOCOL_VERSION } from "../../src/transport/codec.ts";
import { transportKits } from "./_transport_kits.ts";
import {
  closeAll,
  raftTags,
  sleep,
  startNode,
  tagged,
  type TestNode,
  waitFor,
  within,
} from "./_transport_harness.ts";

const MESSAGES_IN_ORDER = 2000;
const SNAPSHOT_BYTES = 6 * 1024 * 1024;

function helloBytes(from: number, to: number, clusterId: string): Uint8Array {
  const writer = new ByteWriter();
  encodeFrame(writer, { kind: "hello", version: PROTOCOL_VERSION, nodeId: from, to, clusterId });
  return writer.take();
}

/** A, B started and A knows B; the caller closes them. */
async function pair(kit: Parameters<typeof startNode>[0]): Promise<[TestNode, TestNode]> {
  await kit.ready();
  const a = await startNode(kit, 1);
  const b = await startNode(kit, 2);
  a.transport.addPeer(2, b.address);
  b.transport.addPeer(1, a.address);
  return [a, b];
}

for (const kit of transportKits()) {
  describe(`the ${kit.name} transport`, () => {
    test("delivers frames to one peer in the order they were sent", { skip: kit.skip }, async () => {
      const [a, b] = await pair(kit);
      try {
        for (let i = 0; i < MESSAGES_IN_ORDER; i++) {
          assert.equal(a.transport.send(2, tagged(1, 2, i, i % 7 === 0 ? 300 : 0)), true);
          if (i % 250 === 0) await sleep(0);
        }
        a.transport.flush();
        await waitFor("every message", () => raftTags(b, 1).length === MESSAGES_IN_ORDER);
        assert.deepEqual(raftTags(b, 1), Array.from({ length: MESSAGES_IN_ORDER }, (_, i) => i));
        const withEntry = b.received[7]!.frame;
        assert.equal(withEntry.kind, "raft");
        if (withEntry.kind === "raft") assert.deepEqual(withEntry.message, tagged(1, 2, 7, 300));
        const stats = a.transport.stats();
        assert.equal(stats.framesSent, MESSAGES_IN_ORDER);
        assert.equal(b.transport.stats().framesReceived, MESSAGES_IN_ORDER);
      } finally {
        await closeAll(a, b);
      }
    });

    test(
      "answers a request with a response carrying the same correlation id",
      { skip: kit.skip },
      async () => {
        await kit.ready();
        const a = await startNode(kit, 1);
        const b = await startNode(kit, 2, {
          onFrame: (node, from, frame) => {
            if (frame.kind !== "request") return;
            const payload = new Uint8Array([...frame.payload].reverse());
            node.transport.sendApp(from, { kind: "response", correlationId: frame.correlationId, payload });
          },
        });
        try {
          a.transport.addPeer(2, b.address);
          b.transport.addPeer(1, a.address);
          a.transport.sendApp(2, {
            kind: "request",
            correlationId: 2 ** 40 + 3,
            payload: new Uint8Array([1, 2, 3]),
          });
          await waitFor("the response", () => a.received.length === 1);
          assert.deepEqual(a.received[0], {
            from: 2,
            frame: { kind: "response", correlationId: 2 ** 40 + 3, payload: new Uint8Array([3, 2, 1]) },
          });
        } finally {
          await closeAll(a, b);
        }
      },
    );

    test("reconnects to a peer that restarts on the same address", { skip: kit.skip }, async () => {
      const [a, b] = await pair(kit);
      let restarted: TestNode | null = null;
      try {
        a.transport.send(2, tagged(1, 2, 1));
        await waitFor("the first message", () => raftTags(b, 1).length === 1);
        await waitFor("peer 2 reported up", () => a.peerEvents.includes("2 up"));
        await b.transport.close();
        await waitFor("peer 2 reported down", () => a.peerEvents.includes("2 down"));
        restarted = await startNode(kit, 2, { listen: b.address });
        const node = restarted;
        // Frames written into the dead connection are lost (allowed); keep sending until one arrives.
        await waitFor("a message after the restart", () => raftTags(node, 1).length > 0, () => {
          a.transport.send(2, tagged(1, 2, 2));
        });
        assert.deepEqual(a.peerEvents.slice(0, 2), ["2 up", "2 down"]);
        await waitFor("peer 2 reported up again", () => a.peerEvents.at(-1) === "2 up");
      } finally {
        await closeAll(a, b, restarted);
      }
    });

    test("carries a several-MiB snapshot intact", { skip: kit.skip }, async () => {
      const [a, b] = await pair(kit);
      try {
        const data = new Uint8Array(SNAPSHOT_BYTES);
        for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >>> 11)) & 0xff;
        const confState = {
          voters: [1, 2, 3],
          learners: [4],
          votersOutgoing: [],
          learnersNext: [],
          autoLeave: false,
        };
        const snapshot = { metadata: { index: 900, term: 4, confState }, data };
        const message = makeMessage({ type: MessageType.Snap, to: 2, from: 1, term: 4, snapshot });
        assert.equal(a.transport.send(2, message), true);
        assert.equal(a.transport.send(2, tagged(1, 2, 901)), true);
        await waitFor("the snapshot and the message after it", () => b.received.length === 2);
        const first = b.received[0]!.frame;
        assert.equal(first.kind, "raft");
        if (first.kind === "raft") assert.deepEqual(first.message, message);
        assert.deepEqual(raftTags(b, 1), [0, 901]);
      } finally {
        await closeAll(a, b);
      }
    });

    test("keeps serving after a peer vanishes in the middle of a frame", { skip: kit.skip }, async () => {
      const [a, b] = await pair(kit);
      try {
        const raw = await kit.rawConnect(b.address);
        const frame = new ByteWriter();
        encodeFrame(frame, { kind: "raft", message: tagged(9, 2, 5, 1000) });
        const bytes = frame.take();
        raw.write(helloBytes(9, 2, "conformance"));
        raw.write(bytes.subarray(0, bytes.length >> 1));
        await sleep(20);
        raw.destroy();
        await within("the vanished connection to close", raw.closed);
        a.transport.send(2, tagged(1, 2, 77));
        await waitFor("a message from a healthy peer", () => raftTags(b, 1).length === 1);
        assert.deepEqual(raftTags(b, 9), []);
      } finally {
        await closeAll(a, b);
      }
    });

    test("closes a connection that sends garbage and keeps serving others", { skip: kit.skip }, async () => {
      const [a, b] = await pair(kit);
      try {
        for (
          const garbage of [new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), garbageBytes(4096)]
        ) {
          const raw = await kit.rawConnect(b.address);
          raw.write(garbage);
          await within("the node to close the garbage connection", raw.closed);
        }
        const afterHello = await kit.rawConnect(b.address);
        afterHello.write(helloBytes(9, 2, "conformance"));
        afterHello.write(new Uint8Array([0xff, 0xff, 0xff, 0x7f, 2])); // a 2 GiB length
        await within("the node to close the oversized frame's connection", afterHello.closed);
        a.transport.send(2, tagged(1, 2, 1));
        await waitFor("a message from a healthy peer", () => raftTags(b, 1).length === 1);
        if (!kit.tls) assert.equal(b.transport.stats().connectionsRejected, 3);
      } finally {
        await closeAll(a, b);
      }
    });

    test(
      "drops and counts frames beyond the send queue bound instead of blocking",
      { skip: kit.skip },
      async () => {
        await kit.ready();
        const a = await startNode(kit, 1, {
          config: { queue: { framesMax: 5, bytesMax: 4096, frameBytesMax: 2048 } },
        });
        const absent = await startNode(kit, 2);
        const address = absent.address;
        await absent.transport.close();
        try {
          a.transport.addPeer(2, address);
          for (let i = 0; i < 5; i++) assert.equal(a.transport.send(2, tagged(1, 2, i)), true);
          assert.equal(a.transport.send(2, tagged(1, 2, 5)), false);
          a.transport.removePeer(2);
          a.transport.addPeer(2, address);
          assert.equal(a.transport.send(2, tagged(1, 2, 6, 1500)), true);
          assert.equal(a.transport.send(2, tagged(1, 2, 7, 1500)), true);
          assert.equal(a.transport.send(2, tagged(1, 2, 8, 1500)), false);
          assert.throws(() => a.transport.send(2, tagged(1, 2, 9, 3000)), RangeError);
          const dropped = a.transport.stats().dropped;
          assert.equal(dropped.queueFull, 2);
          assert.equal(dropped.discarded, 5);
        } finally {
          await closeAll(a);
        }
      },
    );

    test("refuses a peer from another cluster or with another node id", { skip: kit.skip }, async () => {
      await kit.ready();
      const a = await startNode(kit, 1, { clusterId: "blue" });
      const b = await startNode(kit, 2, { clusterId: "green" });
      const c = await startNode(kit, 3, { clusterId: "blue" });
      try {
        a.transport.addPeer(2, b.address);
        c.transport.addPeer(1, b.address); // c believes node 1 listens at b's address
        await waitFor("both handshakes refused", () => b.transport.stats().connectionsRejected >= 2, () => {
          a.transport.send(2, tagged(1, 2, 1));
          c.transport.send(1, tagged(3, 1, 1));
        });
        assert.equal(b.received.length, 0);
        assert.deepEqual(a.peerEvents, []);
        assert.equal(b.transport.stats().connectionsOpened, 0);
      } finally {
        await closeAll(a, b, c);
      }
    });

    test("closes an accepted connection that never says hello", { skip: kit.skip }, async () => {
      await kit.ready();
      const b = await startNode(kit, 2, { config: { handshakeTimeoutMs: 50 } });
      try {
        const silent = await kit.rawConnect(b.address);
        await within("the node to close the silent connection", silent.closed);
        if (!kit.tls) assert.equal(b.transport.stats().connectionsRejected, 1);
      } finally {
        await closeAll(b);
      }
    });

    test("counts sends to unknown peers and after close as drops", { skip: kit.skip }, async () => {
      await kit.ready();
      const a = await startNode(kit, 1);
      assert.equal(a.transport.send(5, tagged(1, 5, 1)), false);
      assert.equal(
        a.transport.sendApp(5, { kind: "request", correlationId: 1, payload: new Uint8Array(0) }),
        false,
      );
      await a.transport.close();
      assert.equal(a.transport.send(5, tagged(1, 5, 1)), false);
      assert.deepEqual(a.transport.stats().dropped, {
        queueFull: 0,
        unknownPeer: 2,
        closed: 1,
        filtered: 0,
        discarded: 0,
      });
      await a.transport.close();
    });
  });
}

function garbageBytes(count: number): Uint8Array {
  const bytes = new Uint8Array(count);
  let state = 0x2545f491;
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  bytes[4] = 0xee; // an unknown frame type, whatever the length says
  return bytes;
}
