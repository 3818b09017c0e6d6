/**
 * The follower's side of snapshot streaming: on a leader's offer it allocates one buffer of the announced
 * size (bounded), pulls the chunks a few at a time, fetches a chunk again when its answer is late, gives the
 * stream up when the leader stays silent, verifies the checksum of the whole, and only then hands the
 * complete Snap message to the core. One stream at a time: a newer offer replaces the current one.
 *
 * @module
 */

import { checksum32 } from "../kv/byte_codec.ts";
import type { AppFrame } from "../ports/transport.ts";
import type { Message, NodeId } from "../raft/types.ts";
import {
  decodeSnapshotChunk,
  encodeSnapshotDone,
  encodeSnapshotFetch,
  SNAPSHOT_BYTES_MAX,
  SNAPSHOT_CHUNK_BYTES_MAX,
  type SnapshotOffer,
} from "./snapshot_stream_codec.ts";

/** Chunks a follower asks for before the first of them arrives (the stream's window). */
export const SNAPSHOT_FETCHES_IN_FLIGHT_MAX = 4;
/** Times one chunk is asked for before the stream is given up. */
export const SNAPSHOT_FETCH_ATTEMPTS_MAX = 3;

/** What the receiver works with. */
export interface SnapshotReceiverParts {
  sendApp(to: NodeId, frame: AppFrame): boolean;
  nextCorrelationId(): number;
  /** Steps the complete, verified Snap message into the core. */
  deliver(message: Message): void;
  /** A fetch unanswered for this long is sent again. */
  fetchTimeoutMs: number;
  /** The largest snapshot accepted (default {@link SNAPSHOT_BYTES_MAX}). */
  bytesMax?: number;
}

/** Counters of the streams this node received. */
export interface SnapshotReceiveStats {
  /** Streams completed, verified and handed to the core. */
  completed: number;
  /** Streams given up: leader silent or gone, bad chunk, checksum mismatch, too large. */
  failed: number;
  /** Fetches sent again after their answer was late. */
  fetchRetries: number;
}

interface Fetch {
  chunkIndex: number;
  sentAtMs: number;
  attempts: number;
}

interface InboundStream {
  from: NodeId;
  offer: SnapshotOffer;
  buffer: Uint8Array;
  chunkCount: number;
  chunksReceived: number;
  /** The next chunk never asked for yet. */
  chunkNext: number;
  fetches: Map<number, Fetch>;
}

/**
 * The stream this node is receiving, if any.
 *
 * @example
 * ```ts ignore
 * receiver.onOffer(leaderId, offer, nowMs);
 * receiver.onChunk(correlationId, payload, nowMs); // for each answer
 * receiver.tick(nowMs); // resends late fetches
 * ```
 */
export class SnapshotReceiver {
  readonly #parts: SnapshotReceiverParts;
  #stream: InboundStream | null = null;
  readonly stats: SnapshotReceiveStats = { completed: 0, failed: 0, fetchRetries: 0 };

  /** @param parts The ports and limits. */
  constructor(parts: SnapshotReceiverParts) {
    this.#parts = parts;
  }

  /**
   * Starts receiving an offered stream (a repeated offer of the current stream is ignored).
   *
   * @param from The leader.
   * @param offer The offer.
   * @param nowMs The time.
   */
  onOffer(from: NodeId, offer: SnapshotOffer, nowMs: number): void {
    const current = this.#stream;
    if (current !== null && current.from === from && current.offer.streamId === offer.streamId) return;
    if (current !== null) this.#giveUp(current, false);
    const bytesMax = this.#parts.bytesMax ?? SNAPSHOT_BYTES_MAX;
    const valid = offer.header.from === from && offer.totalBytes <= bytesMax && offer.chunkBytes > 0 &&
      offer.chunkBytes <= SNAPSHOT_CHUNK_BYTES_MAX;
    if (!valid) {
      this.stats.failed++;
      this.#sendDone(from, offer.streamId, false);
      return;
    }
    const stream: InboundStream = {
      from,
      offer,
      buffer: new Uint8Array(offer.totalBytes),
      chunkCount: Math.ceil(offer.totalBytes / offer.chunkBytes),
      chunksReceived: 0,
      chunkNext: 0,
      fetches: new Map(),
    };
    this.#stream = stream;
    if (stream.chunkCount === 0) return this.#finish(stream);
    this.#fillWindow(stream, nowMs);
  }

  /**
   * Takes a leader's answer to a fetch.
   *
   * @param correlationId The answered fetch.
   * @param payload The answer.
   * @param nowMs The time.
   * @returns Whether the answer belonged to the current stream.
   */
  onChunk(correlationId: number, payload: Uint8Array, nowMs: number): boolean {
    const stream = this.#stream;
    const fetch = stream?.fetches.get(correlationId);
    if (stream === null || stream === undefined || fetch === undefined) return false;
    stream.fetches.delete(correlationId);
    let chunk: Uint8Array | null;
    try {
      chunk = decodeSnapshotChunk(payload);
    } catch {
      chunk = null;
    }
    const start = fetch.chunkIndex * stream.offer.chunkBytes;
    const expectedBytes = Math.min(stream.offer.chunkBytes, stream.buffer.length - start);
    if (chunk === null || chunk.length !== expectedBytes) {
      this.#giveUp(stream, true);
      return true;
    }
    stream.buffer.set(chunk, start);
    stream.chunksReceived++;
    if (stream.chunksReceived === stream.chunkCount) this.#finish(stream);
    else this.#fillWindow(stream, nowMs);
    return true;
  }

  /** @param nowMs Sends late fetches again; gives the stream up after too many attempts. */
  tick(nowMs: number): void {
    const stream = this.#stream;
    if (stream === null) return;
    for (const [correlationId, fetch] of [...stream.fetches]) {
      if (nowMs - fetch.sentAtMs < this.#parts.fetchTimeoutMs) continue;
      stream.fetches.delete(correlationId);
      if (fetch.attempts >= SNAPSHOT_FETCH_ATTEMPTS_MAX) return this.#giveUp(stream, true);
      this.stats.fetchRetries++;
      this.#fetch(stream, fetch.chunkIndex, nowMs, fetch.attempts + 1);
    }
  }

  /** Drops the stream in progress (the node stops). */
  abort(): void {
    this.#stream = null;
  }

  /** @returns Whether a stream is in progress. */
  get receiving(): boolean {
    return this.#stream !== null;
  }

  #fillWindow(stream: InboundStream, nowMs: number): void {
    while (stream.fetches.size < SNAPSHOT_FETCHES_IN_FLIGHT_MAX && stream.chunkNext < stream.chunkCount) {
      this.#fetch(stream, stream.chunkNext++, nowMs, 1);
    }
  }

  #fetch(stream: InboundStream, chunkIndex: number, nowMs: number, attempts: number): void {
    const correlationId = this.#parts.nextCorrelationId();
    stream.fetches.set(correlationId, { chunkIndex, sentAtMs: nowMs, attempts });
    // A refused send is a late answer: the tick asks again.
    this.#parts.sendApp(stream.from, {
      kind: "request",
      correlationId,
      payload: encodeSnapshotFetch({ streamId: stream.offer.streamId, chunkIndex }),
    });
  }

  #finish(stream: InboundStream): void {
    this.#stream = null;
    if (checksum32(stream.buffer) !== stream.offer.checksum) {
      this.stats.failed++;
      this.#sendDone(stream.from, stream.offer.streamId, false);
      return;
    }
    const header = stream.offer.header;
    this.#parts.deliver({ ...header, snapshot: { ...header.snapshot!, data: stream.buffer } });
    this.stats.completed++;
    this.#sendDone(stream.from, stream.offer.streamId, true);
  }

  #giveUp(stream: InboundStream, tellLeader: boolean): void {
    if (this.#stream === stream) this.#stream = null;
    this.stats.failed++;
    if (tellLeader) this.#sendDone(stream.from, stream.offer.streamId, false);
  }

  #sendDone(to: NodeId, streamId: number, ok: boolean): void {
    this.#parts.sendApp(to, {
      kind: "request",
      correlationId: this.#parts.nextCorrelationId(),
      payload: encodeSnapshotDone({ streamId, ok }),
    });
  }
}
