/**
 * A peer's bounded send queue: frames encoded back to back into one buffer, so a flush is one write.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { ByteWriter } from "./bytes.ts";
import { encodeFrame, type WireFrame } from "./codec.ts";
import { FRAME_BYTES_MAX } from "./frame.ts";

/** Frames a peer's queue holds before `send` starts dropping (Raft resends what is lost). */
export const SEND_QUEUE_FRAMES_MAX = 8192;

/** Bytes a peer's queue holds before `send` starts dropping: room for two of the largest frames. */
export const SEND_QUEUE_BYTES_MAX = 2 * FRAME_BYTES_MAX;

/** The bounds of one queue and of each frame in it. */
export interface SendQueueLimits {
  framesMax: number;
  bytesMax: number;
  /** The largest single frame; at most `bytesMax`, so an empty queue always takes a frame that fits. */
  frameBytesMax: number;
}

/** The default bounds. */
export const SEND_QUEUE_LIMITS_DEFAULT: Readonly<SendQueueLimits> = {
  framesMax: SEND_QUEUE_FRAMES_MAX,
  bytesMax: SEND_QUEUE_BYTES_MAX,
  frameBytesMax: FRAME_BYTES_MAX,
};

/**
 * Encoded frames waiting for their peer's connection.
 *
 * @example
 * ```ts
 * import { SendQueue, SEND_QUEUE_LIMITS_DEFAULT } from "./send_queue.ts";
 * const queue = new SendQueue(SEND_QUEUE_LIMITS_DEFAULT);
 * queue.push({ kind: "request", correlationId: 1, payload: new Uint8Array(10) });
 * const batch = queue.take();
 * console.log(batch.frames, batch.bytes.length); // 1 27
 * ```
 */
export class SendQueue {
  readonly #limits: SendQueueLimits;
  readonly #writer = new ByteWriter(4096);
  #frames = 0;

  /**
   * @param limits The bounds.
   * @throws {AssertionError} When the bounds are inconsistent.
   */
  constructor(limits: SendQueueLimits) {
    assert(limits.framesMax >= 1, () => `framesMax ${limits.framesMax} < 1`);
    assert(
      limits.frameBytesMax <= limits.bytesMax,
      () => `frame ${limits.frameBytesMax} > queue ${limits.bytesMax}`,
    );
    this.#limits = limits;
  }

  /** Frames queued. */
  get frames(): number {
    return this.#frames;
  }

  /** Bytes queued. */
  get bytes(): number {
    return this.#writer.length;
  }

  /**
   * Encodes a frame at the end of the queue, unless the queue is at a bound.
   *
   * @param frame The frame.
   * @returns The frame's size in bytes, or 0 when the queue is full (nothing was queued).
   * @throws {RangeError} When the frame alone exceeds `frameBytesMax` (a caller's bug, not congestion).
   */
  push(frame: WireFrame): number {
    if (this.#frames >= this.#limits.framesMax) return 0;
    const before = this.#writer.length;
    const size = encodeFrame(this.#writer, frame, this.#limits.frameBytesMax);
    if (this.#writer.length > this.#limits.bytesMax) {
      this.#writer.truncate(before);
      return 0;
    }
    this.#frames += 1;
    return size;
  }

  /**
   * Hands over everything queued, emptying the queue.
   *
   * @returns The frames' bytes, back to back, and how many frames they are.
   */
  take(): { bytes: Uint8Array; frames: number } {
    const frames = this.#frames;
    this.#frames = 0;
    return { bytes: this.#writer.take(), frames };
  }

  /**
   * Discards everything queued.
   *
   * @returns How many frames were discarded.
   */
  clear(): number {
    const frames = this.#frames;
    this.#frames = 0;
    this.#writer.truncate(0);
    return frames;
  }
}
