import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { InboundFrame } from "../../src/ports/transport.ts";
import { type Entry, makeMessage, type Message, MessageType, type Snapshot } from "../../src/raft/types.ts";
import {
  BACKOFF_LIMITS_DEFAULT,
  jitteredDelayMs,
  nextReconnectDelayMs,
} from "../../src/transport/backoff.ts";
import {
  ByteWriter,
  decodeFrame,
  decodeMessage,
  encodeFrame,
  encodeMessage,
  FRAME_BYTES_MAX,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  FrameError,
  FrameType,
  isLocalMessageType,
  messageEncodedBytes,
  type WireFrame,
} from "../../src/transport/codec.ts";
import { SendQueue } from "../../src/transport/send_queue.ts";

const NETWORK_MESSAGE_TYPES = Object.values(MessageType).filter((type) => !isLocalMessageType(type));

const safeInteger = fc.maxSafeNat();
/** fc.record builds null-prototype objects; decoded frames are plain ones. */
function record<T extends object>(fields: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(fields).map((value) => ({ ...value }) as T);
}
const bytes = fc.uint8Array({ maxLength: 48 });
const ids = fc.array(fc.integer({ min: 1, max: 2 ** 40 }), { maxLength: 5 });
const entry: fc.Arbitrary<Entry> = record({
  term: safeInteger,
  index: safeInteger,
  type: fc.constantFrom(0 as const, 1 as const),
  data: bytes,
});
const snapshot: fc.Arbitrary<Snapshot> = record({
  metadata: record({
    index: safeInteger,
    term: safeInteger,
    confState: record({
      voters: ids,
      learners: ids,
      votersOutgoing: ids,
      learnersNext: ids,
      autoLeave: fc.boolean(),
    }),
  }),
  data: bytes,
});
const message: fc.Arbitrary<Message> = record({
  type: fc.constantFrom(...NETWORK_MESSAGE_TYPES),
  to: safeInteger,
  from: safeInteger,
  term: safeInteger,
  logTerm: safeInteger,
  index: safeInteger,
  entries: fc.array(entry, { maxLength: 6 }),
  commit: safeInteger,
  snapshot: fc.option(snapshot, { nil: null }),
  reject: fc.boolean(),
  rejectHint: safeInteger,
  context: bytes,
});
const frame: fc.Arbitrary<WireFrame> = fc.oneof(
  message.map((m): WireFrame => ({ kind: "raft", message: m })),
  record({
    kind: fc.constantFrom("request" as const, "response" as const),
    correlationId: safeInteger,
    payload: bytes,
  }),
  record({
    kind: fc.constant("hello" as const),
    version: fc.nat({ max: 0xffff_ffff }),
    nodeId: safeInteger,
    to: safeInteger,
    clusterId: fc.string({ minLength: 1, maxLength: 40 }),
  }),
);

/** Decodes a byte stream fed in the given chunks. */
function decodeStream(stream: Uint8Array, cuts: number[]): WireFrame[] {
  const frames: WireFrame[] = [];
  const decoder = new FrameDecoder((type, payload) => frames.push(decodeFrame(type, payload)));
  const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1)))].sort((a, b) => a - b);
  let start = 0;
  for (const point of [...points, stream.length]) {
    decoder.push(stream.subarray(start, point));
    start = point;
  }
  assert.equal(decoder.midFrame, false);
  return frames;
}

describe("the peer codec", () => {
  test("a message survives encoding and decoding with every field", () => {
    fc.assert(fc.property(message, (original) => {
      const writer = new ByteWriter(0);
      encodeMessage(writer, original);
      assert.equal(writer.length, messageEncodedBytes(original));
      assert.deepEqual(decodeMessage(writer.take()), original);
    }));
  });

  test("frames survive a stream cut at arbitrary points", () => {
    fc.assert(
      fc.property(
        fc.array(frame, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (frames, cuts) => {
          const writer = new ByteWriter();
          for (const each of frames) encodeFrame(writer, each);
          assert.deepEqual(decodeStream(writer.take(), cuts), frames);
        },
      ),
    );
  });

  test("arbitrary bytes either decode or fail with a FrameError, never anything else", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 200 }), (noise, cut) => {
      const decoder = new FrameDecoder((type, payload) => void decodeFrame(type, payload));
      try {
        decoder.push(noise.subarray(0, cut));
        decoder.push(noise.subarray(cut));
      } catch (error) {
        assert.ok(error instanceof FrameError, String(error));
      }
    }));
  });

  test("a payload with a flipped byte decodes or fails with a FrameError", () => {
    fc.assert(fc.property(message, fc.nat(), fc.integer({ min: 1, max: 255 }), (original, at, flip) => {
      const writer = new ByteWriter();
      encodeMessage(writer, original);
      const payload = writer.take();
      payload[at % payload.length]! ^= flip;
      try {
        decodeMessage(payload);
      } catch (error) {
        assert.ok(error instanceof FrameError, String(error));
      }
    }));
  });

  test("the decoder refuses an unknown type and a length above its limit", () => {
    assert.throws(() => new FrameDecoder(() => {}).push(new Uint8Array([0, 0, 0, 0, 9])), FrameError);
    const tooLong = new Uint8Array([0, 0, 0, 0, FrameType.Raft]);
    new DataView(tooLong.buffer).setUint32(0, FRAME_BYTES_MAX - FRAME_HEADER_BYTES + 1, true);
    assert.throws(() => new FrameDecoder(() => {}).push(tooLong), new RegExp(`limit is ${FRAME_BYTES_MAX}$`));
    const small = new FrameDecoder(() => {}, 16);
    assert.throws(() => small.push(new Uint8Array([12, 0, 0, 0, FrameType.Request])), FrameError);
  });

  test("the decoder delivers many frames from one chunk and one frame from many chunks", () => {
    const writer = new ByteWriter();
    for (let i = 0; i < 100; i++) {
      encodeFrame(writer, { kind: "request", correlationId: i, payload: new Uint8Array(i) });
    }
    const stream = writer.take();
    const whole: number[] = [];
    new FrameDecoder((_type, payload) => whole.push(payload.length)).push(stream);
    assert.equal(whole.length, 100);
    const byteByByte: WireFrame[] = [];
    const decoder = new FrameDecoder((type, payload) => byteByByte.push(decodeFrame(type, payload)));
    for (let i = 0; i < stream.length; i++) decoder.push(stream.subarray(i, i + 1));
    assert.deepEqual(
      byteByByte.map((f) => f.kind === "request" ? f.correlationId : -1),
      whole.map((_, i) => i),
    );
  });

  test("a decoded payload does not alias the chunk it came from", () => {
    const writer = new ByteWriter();
    encodeFrame(writer, { kind: "request", correlationId: 1, payload: new Uint8Array([1, 2, 3]) });
    const chunk = writer.take();
    let kept: InboundFrame | null = null;
    new FrameDecoder((type, payload) => kept = decodeFrame(type, payload) as InboundFrame).push(chunk);
    chunk.fill(0);
    assert.deepEqual(kept, { kind: "request", correlationId: 1, payload: new Uint8Array([1, 2, 3]) });
  });

  test("local-only messages and unsafe integers are refused", () => {
    const writer = new ByteWriter();
    assert.throws(
      () => encodeMessage(writer, makeMessage({ type: MessageType.Hup, to: 1, from: 1 })),
      RangeError,
    );
    assert.throws(
      () => encodeMessage(writer, makeMessage({ type: MessageType.App, to: 1, from: 1, term: -1 })),
      RangeError,
    );
    assert.throws(
      () => encodeMessage(writer, makeMessage({ type: MessageType.App, to: 1.5, from: 1 })),
      RangeError,
    );
    encodeMessage(writer, makeMessage({ type: MessageType.App, to: 2, from: 1 }));
    const payload = writer.take();
    payload[0] = MessageType.Beat;
    assert.throws(() => decodeMessage(payload), /not a network message type/);
    payload[0] = MessageType.App;
    payload[2 + 7] = 0xff; // the high byte of `to`: above 2^53
    assert.throws(() => decodeMessage(payload), /exceeds 2\^53/);
  });

  test("a frame over the size limit is refused and leaves the writer as it was", () => {
    const writer = new ByteWriter();
    encodeFrame(writer, { kind: "request", correlationId: 1, payload: new Uint8Array(4) });
    const before = writer.length;
    assert.throws(
      () => encodeFrame(writer, { kind: "request", correlationId: 2, payload: new Uint8Array(100) }, 64),
      /limit is 64/,
    );
    assert.equal(writer.length, before);
  });
});

describe("the send queue and the backoff", () => {
  test("the send queue stops at its frame and byte bounds", () => {
    const queue = new SendQueue({ framesMax: 3, bytesMax: 200, frameBytesMax: 150 });
    const small = { kind: "request" as const, correlationId: 1, payload: new Uint8Array(10) };
    assert.equal(queue.push(small), 27);
    assert.equal(queue.push({ ...small, payload: new Uint8Array(120) }), 137);
    assert.equal(queue.push({ ...small, payload: new Uint8Array(40) }), 0); // 27 + 137 + 57 > 200
    assert.equal(queue.push(small), 27);
    assert.equal(queue.push(small), 0); // 3 frames
    const batch = queue.take();
    assert.deepEqual([batch.frames, batch.bytes.length, queue.frames, queue.bytes], [3, 191, 0, 0]);
    assert.throws(() => queue.push({ ...small, payload: new Uint8Array(140) }), RangeError);
  });

  test("the reconnect delay doubles from its minimum up to its maximum and jitter halves at most", () => {
    const delays: number[] = [];
    let delay = 0;
    for (let i = 0; i < 12; i++) delays.push(delay = nextReconnectDelayMs(delay, BACKOFF_LIMITS_DEFAULT));
    assert.equal(delays[0], BACKOFF_LIMITS_DEFAULT.delayMsMin);
    assert.equal(delays[1], BACKOFF_LIMITS_DEFAULT.delayMsMin * 2);
    assert.equal(delays.at(-1), BACKOFF_LIMITS_DEFAULT.delayMsMax);
    assert.ok(delays.every((d, i) => i === 0 || d >= delays[i - 1]!));
    assert.equal(jitteredDelayMs(100, 0), 50);
    assert.ok(jitteredDelayMs(100, 0.999) < 100);
  });
});
