import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { AppFrame } from "../../src/ports/transport.ts";
import { emptyConfState, makeMessage, type Message, MessageType } from "../../src/raft/types.ts";
import { SnapshotSender, type SnapshotSendStats } from "../../src/engine/snapshot_sender.ts";
import { SNAPSHOT_FETCH_ATTEMPTS_MAX, SnapshotReceiver } from "../../src/engine/snapshot_receiver.ts";
import { FRAME_BYTES_MAX } from "../../src/transport/frame.ts";
import {
  AppRequestKind,
  decodeSnapshotDone,
  decodeSnapshotFetch,
  decodeSnapshotOffer,
  SNAPSHOT_CHUNK_BYTES_MAX,
} from "../../src/engine/snapshot_stream_codec.ts";
import { nodeIdOf, toText } from "../../mod.ts";
import { TestCluster, waitFor } from "./_helpers.ts";

const LEADER = 1;
const FOLLOWER = 2;

function snapMessage(data: Uint8Array): Message {
  return makeMessage({
    type: MessageType.Snap,
    to: FOLLOWER,
    from: LEADER,
    term: 3,
    snapshot: { metadata: { index: 40, term: 3, confState: emptyConfState() }, data },
  });
}

/** A leader's sender and a follower's receiver joined by two frame queues that a test can tamper with. */
function streamPair(options: { chunkBytes: number; bytesMax?: number }) {
  const toFollower: AppFrame[] = [];
  const toLeader: AppFrame[] = [];
  const delivered: Message[] = [];
  const reports: boolean[] = [];
  let correlationNext = 1;
  const sender = new SnapshotSender({
    sendApp: (_to, frame) => (toFollower.push(frame), true),
    nextCorrelationId: () => correlationNext++,
    report: (_to, ok) => reports.push(ok),
    chunkBytes: options.chunkBytes,
    idleTimeoutMs: 400,
    firstStreamId: 1,
  });
  const receiver = new SnapshotReceiver({
    sendApp: (_to, frame) => (toLeader.push(frame), true),
    nextCorrelationId: () => correlationNext++,
    deliver: (message) => delivered.push(message),
    fetchTimeoutMs: 100,
    ...(options.bytesMax === undefined ? {} : { bytesMax: options.bytesMax }),
  });
  /** Delivers queued frames both ways until none are left; `drop` discards a frame instead. */
  const pump = (nowMs: number, drop: (frame: AppFrame) => boolean = () => false) => {
    while (toFollower.length > 0 || toLeader.length > 0) {
      for (const frame of toFollower.splice(0)) {
        if (drop(frame)) continue;
        if (frame.kind === "response") receiver.onChunk(frame.correlationId, frame.payload, nowMs);
        else receiver.onOffer(LEADER, decodeSnapshotOffer(frame.payload), nowMs);
      }
      for (const frame of toLeader.splice(0)) {
        if (drop(frame)) continue;
        assert.equal(frame.kind, "request");
        if (frame.payload[0] === AppRequestKind.SnapshotFetch) {
          sender.onFetch(FOLLOWER, frame.correlationId, decodeSnapshotFetch(frame.payload), nowMs, true);
        } else sender.onDone(FOLLOWER, decodeSnapshotDone(frame.payload));
      }
    }
  };
  return { sender, receiver, delivered, reports, pump, toFollower };
}

function patterned(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + 7) & 0xff);
}

describe("a snapshot streamed in chunks", () => {
  test("is reassembled byte for byte and only then handed to the core", () => {
    const pair = streamPair({ chunkBytes: 100 });
    const data = patterned(1_050);
    pair.sender.start(snapMessage(data), 0);
    pair.pump(0);
    assert.equal(pair.delivered.length, 1);
    const message = pair.delivered[0]!;
    assert.equal(message.type, MessageType.Snap);
    assert.equal(message.snapshot!.metadata.index, 40);
    assert.deepEqual(message.snapshot!.data, data);
    assert.deepEqual(pair.reports, [true]);
    assert.equal(pair.sender.stats.chunksSent, 11);
    assert.equal(pair.sender.size, 0);
  });

  test("asks again for a chunk whose answer was lost", () => {
    const pair = streamPair({ chunkBytes: 64 });
    const data = patterned(640);
    pair.sender.start(snapMessage(data), 0);
    let dropped = 0;
    pair.pump(0, (frame) => frame.kind === "response" && dropped++ === 2);
    assert.equal(pair.delivered.length, 0, "delivered with a chunk missing");
    pair.receiver.tick(150);
    pair.pump(150);
    assert.equal(pair.receiver.stats.fetchRetries, 1);
    assert.deepEqual(pair.delivered[0]?.snapshot?.data, data);
    assert.deepEqual(pair.reports, [true]);
  });

  test("gives up when the sender stays silent, and the sender reports the failure", () => {
    const pair = streamPair({ chunkBytes: 64 });
    pair.sender.start(snapMessage(patterned(640)), 0);
    pair.pump(0, (frame) => frame.kind === "response");
    for (let attempt = 1; attempt <= SNAPSHOT_FETCH_ATTEMPTS_MAX; attempt++) {
      pair.receiver.tick(attempt * 150);
      pair.pump(attempt * 150, (frame) => frame.kind === "response" || frame.kind === "request");
    }
    assert.equal(pair.receiver.receiving, false);
    assert.equal(pair.receiver.stats.failed, 1);
    assert.equal(pair.delivered.length, 0);
    pair.sender.expire(1_000);
    assert.deepEqual(pair.reports, [false]);
  });

  test("rejects data whose checksum does not match", () => {
    const pair = streamPair({ chunkBytes: 64 });
    pair.sender.start(snapMessage(patterned(300)), 0);
    pair.pump(0, (frame) => {
      if (frame.kind === "response" && frame.payload.length > 10) frame.payload[5]! ^= 0xff;
      return false;
    });
    assert.equal(pair.delivered.length, 0);
    assert.equal(pair.receiver.stats.failed, 1);
    assert.deepEqual(pair.reports, [false]);
  });

  test("refuses an offer larger than the receiver's bound without allocating it", () => {
    const pair = streamPair({ chunkBytes: 64, bytesMax: 200 });
    pair.sender.start(snapMessage(patterned(300)), 0);
    pair.pump(0);
    assert.equal(pair.receiver.receiving, false);
    assert.equal(pair.delivered.length, 0);
    assert.deepEqual(pair.reports, [false]);
  });
});

/** Streams sent by every running member (leadership may move during a test). */
function sentByAll(cluster: TestCluster): SnapshotSendStats {
  const total = { offered: 0, completed: 0, failed: 0, chunksSent: 0 };
  for (const engine of cluster.engines.values()) {
    const sent = engine.status().snapshotTransfers.sent;
    total.offered += sent.offered;
    total.completed += sent.completed;
    total.failed += sent.failed;
    total.chunksSent += sent.chunksSent;
  }
  return total;
}

async function lagBehindCompactedLog(cluster: TestCluster) {
  await cluster.startAll();
  const { name, engine: leader } = await cluster.leader();
  const lagging = cluster.names.find((other) => other !== name)!;
  await cluster.stop(lagging);
  for (let batch = 0; batch < 4; batch++) {
    await Promise.all(
      Array.from({ length: 25 }, (_, i) => leader.client.put(`snap/${batch * 25 + i}`, "v".repeat(100))),
    );
  }
  return { leaderName: name, leader, lagging };
}

describe("a follower behind a compacted log", () => {
  test("catches up from a snapshot streamed in many chunks", async () => {
    const cluster = new TestCluster(3, {
      snapshotEntries: 20,
      snapshotKeepEntries: 5,
      snapshotChunkBytes: 512,
    });
    try {
      const { leader, lagging } = await lagBehindCompactedLog(cluster);
      const restarted = await cluster.start(lagging);
      await waitFor(
        "the lagging node to catch up",
        () => restarted.status().appliedIndex >= leader.status().commitIndex,
      );
      assert.ok(restarted.status().snapshotsInstalled >= 1, "caught up without a snapshot");
      const sent = sentByAll(cluster);
      assert.ok(sent.completed >= 1, `no stream completed: ${JSON.stringify(sent)}`);
      assert.ok(sent.chunksSent > 10, `the snapshot went in ${sent.chunksSent} chunks`);
      const count = await restarted.client.range("snap/", { prefix: true, countOnly: true });
      assert.equal(count.count, 100);
      assert.equal(toText((await restarted.client.get("snap/99"))!.value), "v".repeat(100));
    } finally {
      await cluster.destroy();
    }
  });

  test("catches up from a snapshot larger than the transport's largest frame", async () => {
    const snapshotEntries = 50;
    const cluster = new TestCluster(3, { snapshotEntries, snapshotKeepEntries: 10 });
    try {
      await cluster.startAll();
      const { name, engine: leader } = await cluster.leader();
      const lagging = cluster.names.find((other) => other !== name)!;
      await cluster.stop(lagging);
      const value = new Uint8Array(64 * 1024).fill(7);
      // The newest snapshot may lag the last write by snapshotEntries plus one batch: write that much more.
      const keys = Math.ceil((FRAME_BYTES_MAX + 2 * SNAPSHOT_CHUNK_BYTES_MAX) / value.length) +
        snapshotEntries + 16;
      for (let start = 0; start < keys; start += 16) {
        await Promise.all(
          Array.from(
            { length: Math.min(16, keys - start) },
            (_, i) => leader.client.put(`big/${start + i}`, value),
          ),
        );
      }
      const restarted = await cluster.start(lagging);
      await waitFor(
        "the lagging node to catch up",
        () => restarted.status().appliedIndex >= leader.status().commitIndex,
      );
      assert.ok(restarted.status().snapshotsInstalled >= 1, "caught up without a snapshot");
      // Under this load leadership may move: count what every member sent.
      const sent = sentByAll(cluster);
      assert.ok(sent.chunksSent > FRAME_BYTES_MAX / SNAPSHOT_CHUNK_BYTES_MAX, JSON.stringify(sent));
      const count = await restarted.client.range("big/", { prefix: true, countOnly: true });
      assert.equal(count.count, keys);
    } finally {
      await cluster.destroy();
    }
  });

  test("gets a fresh stream after the first one's chunks are all lost", async () => {
    const cluster = new TestCluster(3, {
      snapshotEntries: 20,
      snapshotKeepEntries: 5,
      snapshotChunkBytes: 512,
    });
    try {
      const { leader, lagging } = await lagBehindCompactedLog(cluster);
      const laggingId = nodeIdOf(lagging);
      cluster.network.setFilter((_from, to, frame) => !(to === laggingId && frame.kind === "response"));
      const restarted = await cluster.start(lagging);
      await waitFor("the first stream to fail", () => sentByAll(cluster).failed >= 1);
      assert.equal(restarted.status().snapshotsInstalled, 0);
      cluster.network.setFilter(null);
      await waitFor(
        "the lagging node to catch up",
        () => restarted.status().appliedIndex >= leader.status().commitIndex,
      );
      assert.ok(restarted.status().snapshotsInstalled >= 1);
      assert.ok(sentByAll(cluster).offered >= 2);
      assert.ok(restarted.status().snapshotTransfers.received.fetchRetries >= 1);
      assert.equal(toText((await restarted.client.get("snap/42"))!.value), "v".repeat(100));
    } finally {
      cluster.network.setFilter(null);
      await cluster.destroy();
    }
  });
});
