/**
 * The pure peer codec: frames (hello, Raft message, application request/response) to bytes and back.
 * No runtime globals, no JSON; adapters feed it sockets' bytes through {@link FrameDecoder}.
 *
 * @module
 */

import type { InboundFrame } from "../ports/transport.ts";
import { ByteReader, type ByteWriter } from "./bytes.ts";
import {
  CLUSTER_ID_BYTES_MAX,
  FRAME_BYTES_MAX,
  FRAME_HEADER_BYTES,
  FrameError,
  FrameType,
  HELLO_MAGIC,
  type HelloFrame,
} from "./frame.ts";
import { decodeMessage, encodeMessage } from "./message_codec.ts";

export { ByteReader, ByteWriter } from "./bytes.ts";
export { FrameDecoder } from "./decoder.ts";
export * from "./frame.ts";
export { decodeMessage, encodeMessage, isLocalMessageType, messageEncodedBytes } from "./message_codec.ts";

/** Any frame that can be written: the handshake or what a transport carries. */
export type WireFrame = HelloFrame | InboundFrame;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes a cluster id, checking its size.
 *
 * @param clusterId The id.
 * @returns Its UTF-8 bytes.
 * @throws {RangeError} When it is empty or longer than {@link CLUSTER_ID_BYTES_MAX} bytes.
 * @example
 * ```ts
 * import { encodeClusterId } from "./codec.ts";
 * console.log(encodeClusterId("prod").length); // 4
 * ```
 */
export function encodeClusterId(clusterId: string): Uint8Array {
  const bytes = utf8Encoder.encode(clusterId);
  if (bytes.length === 0 || bytes.length > CLUSTER_ID_BYTES_MAX) {
    throw new RangeError(
      `Cannot use cluster id "${clusterId}": it is ${bytes.length} bytes, it must be 1 to ${CLUSTER_ID_BYTES_MAX}`,
    );
  }
  return bytes;
}

/**
 * Appends one whole frame (header and payload) to `writer`. On failure nothing is left in the writer.
 *
 * @param writer The buffer to append to.
 * @param frame The frame.
 * @param frameBytesMax The size limit of the whole frame.
 * @returns The frame's size in bytes, header included.
 * @throws {RangeError} When the frame exceeds `frameBytesMax` or a field cannot be encoded.
 * @example
 * ```ts
 * import { ByteWriter, encodeFrame } from "./codec.ts";
 * const writer = new ByteWriter();
 * const size = encodeFrame(writer, { kind: "request", correlationId: 7, payload: new Uint8Array(3) });
 * console.log(size); // 5 + 8 + 4 + 3 = 20
 * ```
 */
export function encodeFrame(
  writer: ByteWriter,
  frame: WireFrame,
  frameBytesMax: number = FRAME_BYTES_MAX,
): number {
  const start = writer.length;
  try {
    writer.ensure(FRAME_HEADER_BYTES);
    writer.u32(0);
    writer.u8(frameTypeOf(frame));
    encodePayload(writer, frame);
  } catch (error) {
    writer.truncate(start);
    throw error;
  }
  const size = writer.length - start;
  if (size > frameBytesMax) {
    writer.truncate(start);
    throw new RangeError(
      `Cannot send ${frame.kind} frame: it is ${size} bytes, the limit is ${frameBytesMax}`,
    );
  }
  writer.patchU32(start, size - FRAME_HEADER_BYTES);
  return size;
}

function frameTypeOf(frame: WireFrame): FrameType {
  switch (frame.kind) {
    case "hello":
      return FrameType.Hello;
    case "raft":
      return FrameType.Raft;
    case "request":
      return FrameType.Request;
    case "response":
      return FrameType.Response;
  }
}

function encodePayload(writer: ByteWriter, frame: WireFrame): void {
  switch (frame.kind) {
    case "raft":
      encodeMessage(writer, frame.message);
      return;
    case "request":
    case "response":
      writer.ensure(12 + frame.payload.length);
      writer.u64(frame.correlationId);
      writer.lengthPrefixed(frame.payload);
      return;
    case "hello": {
      const clusterId = encodeClusterId(frame.clusterId);
      writer.ensure(4 + 4 + 8 + 8 + 4 + clusterId.length);
      writer.u32(HELLO_MAGIC);
      writer.u32(frame.version);
      writer.u64(frame.nodeId);
      writer.u64(frame.to);
      writer.lengthPrefixed(clusterId);
      return;
    }
  }
}

/**
 * Decodes one frame's payload.
 *
 * @param type The frame type from the header (already checked by the decoder).
 * @param payload The payload, owned by the frame (views into it are returned).
 * @returns The frame.
 * @throws {FrameError} When the payload is malformed.
 * @example
 * ```ts
 * import { ByteWriter, decodeFrame, encodeFrame, FRAME_HEADER_BYTES, FrameType } from "./codec.ts";
 * const writer = new ByteWriter();
 * encodeFrame(writer, { kind: "response", correlationId: 1, payload: new Uint8Array([9]) });
 * const frame = decodeFrame(FrameType.Response, writer.take().subarray(FRAME_HEADER_BYTES));
 * console.log(frame.kind); // "response"
 * ```
 */
export function decodeFrame(type: FrameType, payload: Uint8Array): WireFrame {
  switch (type) {
    case FrameType.Raft:
      return { kind: "raft", message: decodeMessage(payload) };
    case FrameType.Request:
    case FrameType.Response: {
      const reader = new ByteReader(payload);
      const correlationId = reader.u64();
      const bytes = reader.lengthPrefixed();
      reader.end("application frame");
      return type === FrameType.Request
        ? { kind: "request", correlationId, payload: bytes }
        : { kind: "response", correlationId, payload: bytes };
    }
    case FrameType.Hello:
      return decodeHello(payload);
  }
}

function decodeHello(payload: Uint8Array): HelloFrame {
  const reader = new ByteReader(payload);
  const magic = reader.u32();
  if (magic !== HELLO_MAGIC) throw new FrameError(`Cannot decode hello: magic is 0x${magic.toString(16)}`);
  const version = reader.u32();
  const nodeId = reader.u64();
  const to = reader.u64();
  const clusterIdBytes = reader.lengthPrefixed();
  reader.end("hello");
  if (clusterIdBytes.length === 0 || clusterIdBytes.length > CLUSTER_ID_BYTES_MAX) {
    throw new FrameError(`Cannot decode hello: cluster id is ${clusterIdBytes.length} bytes`);
  }
  let clusterId: string;
  try {
    clusterId = utf8Decoder.decode(clusterIdBytes);
  } catch {
    throw new FrameError("Cannot decode hello: cluster id is not UTF-8");
  }
  return { kind: "hello", version, nodeId, to, clusterId };
}
