/**
 * The incremental frame decoder: turns a byte stream, cut anywhere, into whole frames.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { FRAME_BYTES_MAX, FRAME_HEADER_BYTES, FrameError, type FrameType, isFrameType } from "./frame.ts";

/** Receives each complete frame: its type and a payload the receiver owns. */
export type FrameSink = (type: FrameType, payload: Uint8Array) => void;

const EMPTY_PAYLOAD = new Uint8Array(0);

/**
 * Splits a byte stream into frames. Handles partial reads (a header or payload cut across chunks) and many
 * frames per chunk. Each payload is copied out of the chunk once, so the caller may reuse its read buffer as
 * soon as {@link FrameDecoder.push} returns, and the payload may be kept.
 *
 * After a {@link FrameError} the stream is unusable (its framing is lost): close the connection.
 *
 * @example
 * ```ts
 * import { FrameDecoder } from "./decoder.ts";
 * const seen: number[] = [];
 * const decoder = new FrameDecoder((type, payload) => seen.push(type, payload.length));
 * decoder.push(new Uint8Array([1, 0, 0, 0, 3]));
 * decoder.push(new Uint8Array([42]));
 * console.log(seen); // [3, 1]
 * ```
 */
export class FrameDecoder {
  /** The largest whole frame accepted; lowered before a handshake so a stranger cannot make us buffer much. */
  frameBytesMax: number;
  readonly #sink: FrameSink;
  readonly #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerFilled = 0;
  /** The payload being filled, or null while reading a header. */
  #payload: Uint8Array | null = null;
  #payloadFilled = 0;
  #type: FrameType = 1;
  #failed = false;

  /**
   * @param sink Called for each complete frame, synchronously from {@link FrameDecoder.push}.
   * @param frameBytesMax The largest whole frame accepted.
   */
  constructor(sink: FrameSink, frameBytesMax: number = FRAME_BYTES_MAX) {
    this.#sink = sink;
    this.frameBytesMax = frameBytesMax;
  }

  /** Whether a frame has been started but not finished (a peer that vanishes here left half a frame). */
  get midFrame(): boolean {
    return this.#headerFilled > 0 || this.#payload !== null;
  }

  /**
   * Feeds the next bytes of the stream.
   *
   * @param chunk Bytes as read; not retained.
   * @throws {FrameError} When a header names an unknown type or a length above {@link frameBytesMax}.
   */
  push(chunk: Uint8Array): void {
    assert(!this.#failed, "FrameDecoder used after a FrameError");
    let offset = 0;
    try {
      while (offset < chunk.length) {
        offset = this.#payload === null ? this.#readHeader(chunk, offset) : this.#readPayload(chunk, offset);
      }
    } catch (error) {
      this.#failed = true;
      throw error;
    }
  }

  #readHeader(chunk: Uint8Array, offset: number): number {
    let payloadBytes: number;
    let type: number;
    if (this.#headerFilled === 0 && chunk.length - offset >= FRAME_HEADER_BYTES) {
      payloadBytes = (chunk[offset]! | (chunk[offset + 1]! << 8) | (chunk[offset + 2]! << 16)) +
        chunk[offset + 3]! * 0x100_0000;
      type = chunk[offset + 4]!;
      offset += FRAME_HEADER_BYTES;
    } else {
      const take = Math.min(FRAME_HEADER_BYTES - this.#headerFilled, chunk.length - offset);
      this.#header.set(chunk.subarray(offset, offset + take), this.#headerFilled);
      this.#headerFilled += take;
      offset += take;
      if (this.#headerFilled < FRAME_HEADER_BYTES) return offset;
      const header = this.#header;
      payloadBytes = (header[0]! | (header[1]! << 8) | (header[2]! << 16)) + header[3]! * 0x100_0000;
      type = header[4]!;
      this.#headerFilled = 0;
    }
    if (!isFrameType(type)) throw new FrameError(`Cannot decode frame: unknown type ${type}`);
    if (payloadBytes + FRAME_HEADER_BYTES > this.frameBytesMax) {
      throw new FrameError(
        `Cannot decode frame: it is ${
          payloadBytes + FRAME_HEADER_BYTES
        } bytes, the limit is ${this.frameBytesMax}`,
      );
    }
    this.#type = type;
    if (payloadBytes === 0) {
      this.#sink(type, EMPTY_PAYLOAD);
    } else if (chunk.length - offset >= payloadBytes) {
      // A copy, not chunk.slice(): on a node Buffer slice() is a view into a buffer the runtime may reuse.
      const payload = new Uint8Array(payloadBytes);
      payload.set(chunk.subarray(offset, offset + payloadBytes));
      offset += payloadBytes;
      this.#sink(type, payload);
    } else {
      this.#payload = new Uint8Array(payloadBytes);
      this.#payloadFilled = 0;
    }
    return offset;
  }

  #readPayload(chunk: Uint8Array, offset: number): number {
    const payload = this.#payload!;
    const take = Math.min(payload.length - this.#payloadFilled, chunk.length - offset);
    payload.set(chunk.subarray(offset, offset + take), this.#payloadFilled);
    this.#payloadFilled += take;
    if (this.#payloadFilled === payload.length) {
      this.#payload = null;
      this.#sink(this.#type, payload);
    }
    return offset + take;
  }
}
