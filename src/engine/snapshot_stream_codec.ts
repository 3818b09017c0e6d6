/**
 * The application frames that stream a snapshot from the leader to a follower in chunks (a snapshot may be
 * far larger than one transport frame). The leader offers a stream (the Snap message without its data, the
 * data's size and checksum, the chunk size); the follower pulls chunks with fetch requests, a few at a time,
 * and tells the leader when it is done. Every request payload starts with its kind byte, shared with the
 * forwarded-write requests of `forward_codec.ts`.
 *
 * @module
 */

import { ByteReader, ByteWriter } from "../transport/bytes.ts";
import { decodeMessage, encodeMessage } from "../transport/message_codec.ts";
import { EMPTY_BYTES, type Message, MessageType } from "../raft/types.ts";

/** The default and the largest snapshot chunk a leader sends (well below the transport's frame limit). */
export const SNAPSHOT_CHUNK_BYTES_MAX = 1024 * 1024;
/** The largest snapshot a follower accepts to reassemble (its buffer is allocated at the offer). */
export const SNAPSHOT_BYTES_MAX = 4 * 1024 * 1024 * 1024;

/** Kind bytes of application requests (1 is a forwarded write, see `forward_codec.ts`). */
export const AppRequestKind = {
  Write: 1,
  SnapshotOffer: 2,
  SnapshotFetch: 3,
  SnapshotDone: 4,
  Admin: 5,
  TransferLeadership: 6,
} as const;

/** A leader's offer of a snapshot stream. */
export interface SnapshotOffer {
  streamId: number;
  totalBytes: number;
  chunkBytes: number;
  checksum: number;
  /** The Snap message with empty snapshot data. */
  header: Message;
}

/** A follower's request for one chunk. */
export interface SnapshotFetch {
  streamId: number;
  chunkIndex: number;
}

/** A follower's last word on a stream. */
export interface SnapshotDone {
  streamId: number;
  ok: boolean;
}

/** The leader's answer to a fetch: the chunk, or null when the stream is gone. */
export type SnapshotChunk = Uint8Array | null;

const CHUNK_OK = 0;
const CHUNK_GONE = 1;

/**
 * @param offer The offer (its header must be a Snap message; its snapshot data is not sent).
 * @returns The request payload.
 * @example
 * ```ts ignore
 * const payload = encodeSnapshotOffer({ streamId: 1, totalBytes: 10, chunkBytes: 4, checksum: 7, header });
 * ```
 */
export function encodeSnapshotOffer(offer: SnapshotOffer): Uint8Array {
  const snapshot = offer.header.snapshot;
  if (offer.header.type !== MessageType.Snap || snapshot === null) {
    throw new RangeError(`Cannot offer a snapshot stream: message type ${offer.header.type} is not Snap`);
  }
  const writer = new ByteWriter(256);
  writer.ensure(1 + 8 * 3 + 4);
  writer.u8(AppRequestKind.SnapshotOffer);
  writer.u64(offer.streamId);
  writer.u64(offer.totalBytes);
  writer.u64(offer.chunkBytes);
  writer.u32(offer.checksum);
  encodeMessage(writer, { ...offer.header, snapshot: { ...snapshot, data: EMPTY_BYTES } });
  return writer.take();
}

/**
 * @param payload A request payload of kind SnapshotOffer.
 * @returns The offer.
 * @throws {FrameError} When malformed.
 * @throws {RangeError} When the header is not a Snap message.
 * @example
 * ```ts ignore
 * const offer = decodeSnapshotOffer(payload);
 * ```
 */
export function decodeSnapshotOffer(payload: Uint8Array): SnapshotOffer {
  const reader = new ByteReader(payload);
  reader.u8();
  const streamId = reader.u64();
  const totalBytes = reader.u64();
  const chunkBytes = reader.u64();
  const checksum = reader.u32();
  const header = decodeMessage(payload.subarray(payload.length - reader.remaining));
  if (header.type !== MessageType.Snap || header.snapshot === null) {
    throw new RangeError(`Cannot decode a snapshot offer: its message has type ${header.type}`);
  }
  return { streamId, totalBytes, chunkBytes, checksum, header };
}

/**
 * @param fetch The chunk wanted.
 * @returns The request payload.
 * @example
 * ```ts
 * import { decodeSnapshotFetch, encodeSnapshotFetch } from "./snapshot_stream_codec.ts";
 * console.log(decodeSnapshotFetch(encodeSnapshotFetch({ streamId: 3, chunkIndex: 2 })).chunkIndex); // 2
 * ```
 */
export function encodeSnapshotFetch(fetch: SnapshotFetch): Uint8Array {
  const writer = new ByteWriter(16);
  writer.ensure(13);
  writer.u8(AppRequestKind.SnapshotFetch);
  writer.u64(fetch.streamId);
  writer.u32(fetch.chunkIndex);
  return writer.take();
}

/**
 * @param payload A request payload of kind SnapshotFetch.
 * @returns The fetch.
 * @throws {FrameError} When malformed.
 * @example
 * ```ts
 * import { decodeSnapshotFetch, encodeSnapshotFetch } from "./snapshot_stream_codec.ts";
 * console.log(decodeSnapshotFetch(encodeSnapshotFetch({ streamId: 3, chunkIndex: 2 })).streamId); // 3
 * ```
 */
export function decodeSnapshotFetch(payload: Uint8Array): SnapshotFetch {
  const reader = new ByteReader(payload);
  reader.u8();
  const fetch = { streamId: reader.u64(), chunkIndex: reader.u32() };
  reader.end("snapshot fetch");
  return fetch;
}

/**
 * @param done The outcome.
 * @returns The request payload.
 * @example
 * ```ts
 * import { decodeSnapshotDone, encodeSnapshotDone } from "./snapshot_stream_codec.ts";
 * console.log(decodeSnapshotDone(encodeSnapshotDone({ streamId: 3, ok: true })).ok); // true
 * ```
 */
export function encodeSnapshotDone(done: SnapshotDone): Uint8Array {
  const writer = new ByteWriter(16);
  writer.ensure(10);
  writer.u8(AppRequestKind.SnapshotDone);
  writer.u64(done.streamId);
  writer.u8(done.ok ? 1 : 0);
  return writer.take();
}

/**
 * @param payload A request payload of kind SnapshotDone.
 * @returns The outcome.
 * @throws {FrameError} When malformed.
 * @example
 * ```ts
 * import { decodeSnapshotDone, encodeSnapshotDone } from "./snapshot_stream_codec.ts";
 * console.log(decodeSnapshotDone(encodeSnapshotDone({ streamId: 3, ok: false })).streamId); // 3
 * ```
 */
export function decodeSnapshotDone(payload: Uint8Array): SnapshotDone {
  const reader = new ByteReader(payload);
  reader.u8();
  const done = { streamId: reader.u64(), ok: reader.u8() === 1 };
  reader.end("snapshot done");
  return done;
}

/**
 * @param chunk The chunk's bytes, or null when the stream is gone.
 * @returns The response payload.
 * @example
 * ```ts
 * import { decodeSnapshotChunk, encodeSnapshotChunk } from "./snapshot_stream_codec.ts";
 * console.log(decodeSnapshotChunk(encodeSnapshotChunk(new Uint8Array([5])))?.[0]); // 5
 * ```
 */
export function encodeSnapshotChunk(chunk: SnapshotChunk): Uint8Array {
  if (chunk === null) return Uint8Array.of(CHUNK_GONE);
  const payload = new Uint8Array(chunk.length + 1);
  payload[0] = CHUNK_OK;
  payload.set(chunk, 1);
  return payload;
}

/**
 * @param payload A response payload to a fetch.
 * @returns The chunk (a view into `payload`), or null when the stream is gone.
 * @throws {RangeError} For an unknown status.
 * @example
 * ```ts
 * import { decodeSnapshotChunk, encodeSnapshotChunk } from "./snapshot_stream_codec.ts";
 * console.log(decodeSnapshotChunk(encodeSnapshotChunk(null))); // null
 * ```
 */
export function decodeSnapshotChunk(payload: Uint8Array): SnapshotChunk {
  if (payload[0] === CHUNK_GONE && payload.length === 1) return null;
  if (payload[0] !== CHUNK_OK) {
    throw new RangeError(`Cannot decode a snapshot chunk: unknown status ${payload[0]}`);
  }
  return payload.subarray(1);
}
