/**
 * The leader's side of snapshot streaming: a Snap message from the core becomes an offer to the follower,
 * which then pulls the data chunk by chunk. The leader reports the outcome to the core (`reportSnapshot`)
 * when the follower says it is done, or as a failure when the follower goes silent, so the core probes
 * again and offers a fresh stream rather than waiting forever.
 *
 * @module
 */

import { checksum32 } from "../kv/byte_codec.ts";
import type { AppFrame } from "../ports/transport.ts";
import type { Message, NodeId } from "../raft/types.ts";
import { assert } from "../util/assert.ts";
import {
  encodeSnapshotChunk,
  encodeSnapshotOffer,
  SNAPSHOT_CHUNK_BYTES_MAX,
  type SnapshotDone,
  type SnapshotFetch,
} from "./snapshot_stream_codec.ts";

/** What the sender works with. */
export interface SnapshotSenderParts {
  sendApp(to: NodeId, frame: AppFrame): boolean;
  nextCorrelationId(): number;
  /** Tells the core how a stream to a follower ended. */
  report(to: NodeId, ok: boolean): void;
  /** Bytes per chunk (at most {@link SNAPSHOT_CHUNK_BYTES_MAX}). */
  chunkBytes: number;
  /** A stream with no fetch for this long is given up (reported as failed). */
  idleTimeoutMs: number;
  /** The first stream id (random, so ids of a restarted leader do not match old ones). */
  firstStreamId: number;
}

/** Counters of the streams this node sent. */
export interface SnapshotSendStats {
  /** Streams offered. */
  offered: number;
  /** Streams the follower finished and verified. */
  completed: number;
  /** Streams given up: follower silent, checksum mismatch, leadership lost. */
  failed: number;
  chunksSent: number;
}

interface OutboundStream {
  id: number;
  data: Uint8Array;
  lastActivityMs: number;
}

/**
 * The streams in flight from this node, at most one per follower.
 *
 * @example
 * ```ts ignore
 * sender.start(snapMessage, nowMs);
 * sender.onFetch(from, correlationId, fetch, nowMs);
 * ```
 */
export class SnapshotSender {
  readonly #parts: SnapshotSenderParts;
  readonly #streams = new Map<NodeId, OutboundStream>();
  readonly #checksums = new WeakMap<Uint8Array, number>();
  readonly stats: SnapshotSendStats = { offered: 0, completed: 0, failed: 0, chunksSent: 0 };
  #streamNext: number;

  /** @param parts The ports and limits. */
  constructor(parts: SnapshotSenderParts) {
    assert(
      parts.chunkBytes > 0 && parts.chunkBytes <= SNAPSHOT_CHUNK_BYTES_MAX,
      () => `snapshot chunk size ${parts.chunkBytes} is outside 1..${SNAPSHOT_CHUNK_BYTES_MAX}`,
    );
    this.#parts = parts;
    this.#streamNext = parts.firstStreamId;
  }

  /**
   * Offers a snapshot to its follower (replacing a stream still open to it).
   *
   * @param message The core's Snap message.
   * @param nowMs The time.
   */
  start(message: Message, nowMs: number): void {
    const snapshot = message.snapshot;
    assert(snapshot !== null, () => `a Snap message to ${message.to} carries no snapshot`);
    const data = snapshot.data;
    let checksum = this.#checksums.get(data);
    if (checksum === undefined) {
      checksum = checksum32(data);
      this.#checksums.set(data, checksum);
    }
    const id = this.#streamNext++;
    this.#streams.set(message.to, { id, data, lastActivityMs: nowMs });
    this.stats.offered++;
    const payload = encodeSnapshotOffer({
      streamId: id,
      totalBytes: data.length,
      chunkBytes: this.#parts.chunkBytes,
      checksum,
      header: message,
    });
    // A lost offer is a silent follower: the stream idles out and the core offers again.
    this.#parts.sendApp(message.to, {
      kind: "request",
      correlationId: this.#parts.nextCorrelationId(),
      payload,
    });
  }

  /**
   * Answers a follower's fetch with the chunk, or "gone" for a stream that is not open.
   *
   * @param from The follower.
   * @param correlationId The fetch's correlation id.
   * @param fetch What it asks for.
   * @param nowMs The time.
   * @param leading Whether this node still leads (a former leader's streams are gone).
   */
  onFetch(from: NodeId, correlationId: number, fetch: SnapshotFetch, nowMs: number, leading: boolean): void {
    const stream = this.#streams.get(from);
    const chunkBytes = this.#parts.chunkBytes;
    const start = fetch.chunkIndex * chunkBytes;
    let chunk: Uint8Array | null = null;
    if (leading && stream !== undefined && stream.id === fetch.streamId && start < stream.data.length) {
      chunk = stream.data.subarray(start, Math.min(start + chunkBytes, stream.data.length));
      stream.lastActivityMs = nowMs;
      this.stats.chunksSent++;
    }
    this.#parts.sendApp(from, { kind: "response", correlationId, payload: encodeSnapshotChunk(chunk) });
  }

  /**
   * @param from The follower.
   * @param done Its outcome for a stream.
   */
  onDone(from: NodeId, done: SnapshotDone): void {
    const stream = this.#streams.get(from);
    if (stream === undefined || stream.id !== done.streamId) return;
    this.#streams.delete(from);
    if (done.ok) this.stats.completed++;
    else this.stats.failed++;
    this.#parts.report(from, done.ok);
  }

  /** @param nowMs Gives up streams idle since before `nowMs - idleTimeoutMs`. */
  expire(nowMs: number): void {
    for (const [to, stream] of this.#streams) {
      if (nowMs - stream.lastActivityMs < this.#parts.idleTimeoutMs) continue;
      this.#streams.delete(to);
      this.stats.failed++;
      this.#parts.report(to, false);
    }
  }

  /** Drops every stream (this node stopped leading; the core forgets snapshot states itself). */
  dropAll(): void {
    this.stats.failed += this.#streams.size;
    this.#streams.clear();
  }

  /** @returns The number of open streams. */
  get size(): number {
    return this.#streams.size;
  }
}
