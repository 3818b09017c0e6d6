import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tls from "node:tls";
import { createTransport, currentRuntime } from "../../adapters/transport/factory.ts";
import { MemoryNetwork } from "../../adapters/transport/memory.ts";
import type { StreamDriver } from "../../adapters/transport/stream_driver.ts";
import { StreamTransport } from "../../adapters/transport/stream_transport.ts";
import { ByteWriter, encodeFrame, PROTOCOL_VERSION } from "../../src/transport/codec.ts";
import type { MutualTlsOptions } from "../../adapters/transport/node_net.ts";
import { clusterCertificates, makeTestCertificates } from "./_transport_certs.ts";
import { transportKits } from "./_transport_kits.ts";
import { closeAll, raftTags, startNode, tagged, waitFor, within } from "./_transport_harness.ts";

const memoryKit = transportKits().find((kit) => kit.name === "memory")!;
const tlsKit = transportKits().find((kit) => kit.name === "node_net with mutual TLS")!;

describe("the memory network's fault hooks", () => {
  test("a partition cuts a link until it heals, then frames flow again", async () => {
    const network = new MemoryNetwork();
    const kit = { ...memoryKit, create: network.createTransport.bind(network) };
    const a = await startNode(kit, 1);
    const b = await startNode(kit, 2);
    try {
      a.transport.addPeer(2, b.address);
      a.transport.send(2, tagged(1, 2, 1));
      await waitFor("the first message", () => raftTags(b, 1).length === 1);
      network.partition(a.address.port, b.address.port);
      await waitFor("peer 2 reported down", () => a.peerEvents.at(-1) === "2 down");
      network.heal();
      await waitFor("a message after healing", () => raftTags(b, 1).length >= 2, () => {
        a.transport.send(2, tagged(1, 2, 2));
      });
      assert.equal(raftTags(b, 1)[1], 2);
    } finally {
      await closeAll(a, b);
    }
  });

  test("a frame filter drops exactly the frames it rejects and counts them", async () => {
    const network = new MemoryNetwork();
    const kit = { ...memoryKit, create: network.createTransport.bind(network) };
    const a = await startNode(kit, 1);
    const b = await startNode(kit, 2);
    try {
      network.setFilter((_from, _to, frame) => frame.kind !== "raft" || frame.message.index % 2 === 0);
      a.transport.addPeer(2, b.address);
      for (let i = 0; i < 10; i++) a.transport.send(2, tagged(1, 2, i));
      await waitFor("the even messages", () => raftTags(b, 1).length === 5);
      a.transport.send(2, tagged(1, 2, 10));
      await waitFor("the last message", () => raftTags(b, 1).at(-1) === 10);
      assert.deepEqual(raftTags(b, 1), [0, 2, 4, 6, 8, 10]);
      assert.equal(a.transport.stats().dropped.filtered, 5);
    } finally {
      await closeAll(a, b);
    }
  });
});

describe("the stream transport core", () => {
  test("everything queued in one turn leaves in one write per peer", async () => {
    const network = new MemoryNetwork();
    const writes: number[] = [];
    const base = network.driver();
    const counting: StreamDriver = {
      listen: (address, accept) => base.listen(address, accept),
      connect: async (address, events) => {
        const stream = await base.connect(address, events);
        return {
          write: (bytes) => (writes.push(bytes.length), stream.write(bytes)),
          close: () => stream.close(),
        };
      },
    };
    const kit = { ...memoryKit, create: () => new StreamTransport("memory", counting, {}) };
    const a = await startNode(kit, 1);
    const b = await startNode({ ...memoryKit, create: network.createTransport.bind(network) }, 2);
    try {
      a.transport.addPeer(2, b.address);
      await waitFor("peer 2 up", () => a.peerEvents.includes("2 up"));
      assert.equal(writes.length, 1); // the hello
      for (let i = 0; i < 100; i++) a.transport.send(2, tagged(1, 2, i));
      a.transport.sendApp(2, { kind: "request", correlationId: 1, payload: new Uint8Array(5) });
      assert.equal(writes.length, 1); // nothing written before the turn ends
      await waitFor("101 frames", () => b.received.length === 101);
      assert.equal(writes.length, 2);
      for (let i = 0; i < 10; i++) a.transport.send(2, tagged(1, 2, 100 + i));
      a.transport.flush();
      assert.equal(writes.length, 3);
      await waitFor("111 frames", () => b.received.length === 111);
      assert.deepEqual(raftTags(b, 1), Array.from({ length: 110 }, (_, i) => i));
    } finally {
      await closeAll(a, b);
    }
  });
});

describe("the transport factory", () => {
  test("the native kind picks the runtime's own sockets", () => {
    const expected = { deno: "deno_tcp", bun: "bun_tcp", node: "node_net" }[currentRuntime()];
    assert.equal(createTransport("native").kind, expected);
    assert.equal(createTransport("memory", { network: new MemoryNetwork() }).kind, "memory");
    assert.throws(
      () => createTransport(currentRuntime() === "bun" ? "deno_tcp" : "bun_tcp"),
      /Cannot create/,
    );
  });
});

function helloBytes(): Uint8Array {
  const writer = new ByteWriter();
  encodeFrame(writer, {
    kind: "hello",
    version: PROTOCOL_VERSION,
    nodeId: 7,
    to: 2,
    clusterId: "conformance",
  });
  return writer.take();
}

/** Dials with raw TLS, sends a hello, and reports whether the node answered before closing. */
function dialTls(port: number, options: tls.ConnectionOptions): Promise<"answered" | "closed"> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ...options });
    socket.on("error", () => {});
    socket.on("secureConnect", () => socket.write(helloBytes()));
    socket.on("data", () => {
      resolve("answered");
      socket.destroy();
    });
    socket.on("close", () => resolve("closed"));
  });
}

describe("mutual TLS on node_net", () => {
  const otherAuthority = makeTestCertificates();

  test("accepts a member's certificate and refuses a stranger's or none", { skip: tlsKit.skip }, async () => {
    await tlsKit.ready();
    const b = await startNode(tlsKit, 2);
    try {
      const stranger: MutualTlsOptions = await otherAuthority.load();
      const member = await clusterCertificates.load();
      const port = b.address.port;
      assert.equal(await within("a member's dial", dialTls(port, { ...member })), "answered");
      const trustingButUnknown = { key: stranger.key, cert: stranger.cert, ca: member.ca };
      assert.equal(await within("a stranger's dial", dialTls(port, trustingButUnknown)), "closed");
      assert.equal(await within("a dial without certificate", dialTls(port, { ca: member.ca })), "closed");
    } finally {
      await closeAll(b);
    }
  });
});
