/**
 * A small binary codec for what the storage adapters persist: entries, hard states, configurations and
 * snapshots. Integers are unsigned, big-endian; 64-bit ones are safe integers written as two 32-bit halves.
 *
 * @module
 */

import type { ConfState, Entry, EntryType, HardState, NodeId, Snapshot } from "../../src/raft/types.ts";

const TWO_POW_32 = 0x1_0000_0000;

/** Bytes of an encoded entry besides its data: index, term (8 each), type (1), data length (4). */
export const ENTRY_HEADER_BYTES = 21;
/** Bytes of an encoded hard state. */
export const HARD_STATE_BYTES = 24;
/** The largest node-id list a configuration may hold when decoding (guards against garbage lengths). */
export const CONF_STATE_IDS_MAX = 1024;

/**
 * Appends fields to a growing byte buffer.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./codec.ts";
 * const writer = new ByteWriter(8);
 * writer.u64(2 ** 40);
 * console.log(writer.finish().length); // 8
 * ```
 */
export class ByteWriter {
  #bytes: Uint8Array;
  #view: DataView;
  /** Bytes written so far. */
  offset = 0;

  /** @param capacityBytes Initial capacity; grows as needed. */
  constructor(capacityBytes: number) {
    this.#bytes = new Uint8Array(Math.max(16, capacityBytes));
    this.#view = new DataView(this.#bytes.buffer);
  }

  /** @param count Bytes about to be written. */
  ensure(count: number): void {
    if (this.offset + count <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.offset + count));
    grown.set(this.#bytes.subarray(0, this.offset));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }

  /** @param value A byte. */
  u8(value: number): void {
    this.ensure(1);
    this.#view.setUint8(this.offset, value);
    this.offset += 1;
  }

  /** @param value An unsigned 32-bit integer. */
  u32(value: number): void {
    this.ensure(4);
    this.#view.setUint32(this.offset, value);
    this.offset += 4;
  }

  /**
   * @param value A non-negative safe integer.
   * @throws {RangeError} When it is not one.
   */
  u64(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`Cannot encode ${value}: not a non-negative safe integer`);
    }
    this.ensure(8);
    this.#view.setUint32(this.offset, Math.floor(value / TWO_POW_32));
    this.#view.setUint32(this.offset + 4, value % TWO_POW_32);
    this.offset += 8;
  }

  /** @param bytes Raw bytes, written as they are. */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.#bytes.set(bytes, this.offset);
    this.offset += bytes.length;
  }

  /** @param count Zero bytes to write. */
  zeros(count: number): void {
    this.ensure(count);
    this.#bytes.fill(0, this.offset, this.offset + count);
    this.offset += count;
  }

  /** @returns The underlying buffer (valid up to {@link ByteWriter.offset}); later writes may replace it. */
  buffer(): Uint8Array {
    return this.#bytes;
  }

  /** @returns A view of the bytes written. */
  finish(): Uint8Array {
    return this.#bytes.subarray(0, this.offset);
  }
}

/**
 * Reads fields from bytes; every read checks the remaining length.
 *
 * @example
 * ```ts
 * import { ByteReader } from "./codec.ts";
 * const reader = new ByteReader(new Uint8Array([0, 0, 0, 7]));
 * console.log(reader.u32()); // 7
 * ```
 */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  /** Position of the next read. */
  offset: number;
  readonly #end: number;

  /**
   * @param bytes The bytes to read.
   * @param start First byte to read.
   * @param end One past the last byte.
   */
  constructor(bytes: Uint8Array, start = 0, end: number = bytes.length) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = start;
    this.#end = end;
  }

  #need(count: number): void {
    if (this.offset + count > this.#end) {
      throw new RangeError(
        `Cannot decode ${count} bytes at offset ${this.offset}: only ${this.#end - this.offset} left`,
      );
    }
  }

  /** @returns A byte. */
  u8(): number {
    this.#need(1);
    return this.#view.getUint8(this.offset++);
  }

  /** @returns An unsigned 32-bit integer. */
  u32(): number {
    this.#need(4);
    const value = this.#view.getUint32(this.offset);
    this.offset += 4;
    return value;
  }

  /** @returns A safe integer. @throws {RangeError} When the value exceeds 2^53 - 1. */
  u64(): number {
    this.#need(8);
    const high = this.#view.getUint32(this.offset);
    const low = this.#view.getUint32(this.offset + 4);
    this.offset += 8;
    if (high > 0x1f_ffff) {
      throw new RangeError(`Cannot decode a 64-bit value with high word ${high}: not safe`);
    }
    return high * TWO_POW_32 + low;
  }

  /** @param count Bytes to take. @returns A copy of them. */
  bytes(count: number): Uint8Array {
    this.#need(count);
    const copy = this.#bytes.slice(this.offset, this.offset + count);
    this.offset += count;
    return copy;
  }

  /** @returns Bytes left to read. */
  remaining(): number {
    return this.#end - this.offset;
  }
}

/**
 * Writes one entry.
 *
 * @param writer Destination.
 * @param entry The entry.
 * @example
 * ```ts
 * import { ByteReader, ByteWriter, readEntry, writeEntry } from "./codec.ts";
 * const writer = new ByteWriter(32);
 * writeEntry(writer, { index: 3, term: 2, type: 0, data: new Uint8Array([9]) });
 * console.log(readEntry(new ByteReader(writer.finish())).index); // 3
 * ```
 */
export function writeEntry(writer: ByteWriter, entry: Entry): void {
  writer.u64(entry.index);
  writer.u64(entry.term);
  writer.u8(entry.type);
  writer.u32(entry.data.byteLength);
  writer.raw(entry.data);
}

/**
 * Reads one entry written by {@link writeEntry}.
 *
 * @param reader Source.
 * @returns The entry (its data is a copy).
 * @throws {RangeError} When the bytes are truncated or the type is unknown.
 * @example
 * ```ts
 * import { ByteReader, ByteWriter, readEntry, writeEntry } from "./codec.ts";
 * const writer = new ByteWriter(32);
 * writeEntry(writer, { index: 1, term: 1, type: 1, data: new Uint8Array() });
 * console.log(readEntry(new ByteReader(writer.finish())).type); // 1
 * ```
 */
export function readEntry(reader: ByteReader): Entry {
  const index = reader.u64();
  const term = reader.u64();
  const type = reader.u8();
  if (type !== 0 && type !== 1) throw new RangeError(`Cannot decode entry ${index}: unknown type ${type}`);
  const length = reader.u32();
  return { index, term, type: type as EntryType, data: reader.bytes(length) };
}

/**
 * Writes a hard state.
 *
 * @param writer Destination.
 * @param hardState The hard state.
 * @example
 * ```ts
 * import { ByteReader, ByteWriter, readHardState, writeHardState } from "./codec.ts";
 * const writer = new ByteWriter(24);
 * writeHardState(writer, { term: 4, vote: 2, commit: 9 });
 * console.log(readHardState(new ByteReader(writer.finish())).vote); // 2
 * ```
 */
export function writeHardState(writer: ByteWriter, hardState: HardState): void {
  writer.u64(hardState.term);
  writer.u64(hardState.vote);
  writer.u64(hardState.commit);
}

/**
 * Reads a hard state written by {@link writeHardState}.
 *
 * @param reader Source.
 * @returns The hard state.
 * @throws {RangeError} When the bytes are truncated.
 * @example
 * ```ts
 * import { ByteReader, readHardState } from "./codec.ts";
 * console.log(readHardState(new ByteReader(new Uint8Array(24))).term); // 0
 * ```
 */
export function readHardState(reader: ByteReader): HardState {
  const term = reader.u64();
  const vote = reader.u64();
  const commit = reader.u64();
  return { term, vote, commit };
}

function writeIds(writer: ByteWriter, ids: readonly NodeId[]): void {
  writer.u32(ids.length);
  for (const id of ids) writer.u64(id);
}

function readIds(reader: ByteReader): NodeId[] {
  const count = reader.u32();
  if (count > CONF_STATE_IDS_MAX) {
    throw new RangeError(`Cannot decode ${count} node ids: the limit is ${CONF_STATE_IDS_MAX}`);
  }
  const ids: NodeId[] = [];
  for (let i = 0; i < count; i++) ids.push(reader.u64());
  return ids;
}

/**
 * Writes a snapshot (metadata, configuration, data).
 *
 * @param writer Destination.
 * @param snapshot The snapshot.
 * @example
 * ```ts
 * import { ByteReader, ByteWriter, readSnapshot, writeSnapshot } from "./codec.ts";
 * import { emptyConfState } from "../../src/raft/types.ts";
 * const writer = new ByteWriter(64);
 * writeSnapshot(writer, { metadata: { index: 5, term: 2, confState: emptyConfState() }, data: new Uint8Array([1]) });
 * console.log(readSnapshot(new ByteReader(writer.finish())).metadata.index); // 5
 * ```
 */
export function writeSnapshot(writer: ByteWriter, snapshot: Snapshot): void {
  const { index, term, confState } = snapshot.metadata;
  writer.u64(index);
  writer.u64(term);
  writeConfState(writer, confState);
  writer.u32(snapshot.data.byteLength);
  writer.raw(snapshot.data);
}

/**
 * Reads a snapshot written by {@link writeSnapshot}.
 *
 * @param reader Source.
 * @returns The snapshot.
 * @throws {RangeError} When the bytes are truncated or malformed.
 * @example
 * ```ts
 * import { ByteReader, ByteWriter, readSnapshot, writeSnapshot } from "./codec.ts";
 * import { emptyConfState } from "../../src/raft/types.ts";
 * const writer = new ByteWriter(64);
 * writeSnapshot(writer, { metadata: { index: 1, term: 1, confState: emptyConfState() }, data: new Uint8Array() });
 * console.log(readSnapshot(new ByteReader(writer.finish())).data.length); // 0
 * ```
 */
export function readSnapshot(reader: ByteReader): Snapshot {
  const index = reader.u64();
  const term = reader.u64();
  const confState = readConfState(reader);
  const length = reader.u32();
  return { metadata: { index, term, confState }, data: reader.bytes(length) };
}

function writeConfState(writer: ByteWriter, confState: ConfState): void {
  writeIds(writer, confState.voters);
  writeIds(writer, confState.learners);
  writeIds(writer, confState.votersOutgoing);
  writeIds(writer, confState.learnersNext);
  writer.u8(confState.autoLeave ? 1 : 0);
}

function readConfState(reader: ByteReader): ConfState {
  const voters = readIds(reader);
  const learners = readIds(reader);
  const votersOutgoing = readIds(reader);
  const learnersNext = readIds(reader);
  const autoLeave = reader.u8() === 1;
  return { voters, learners, votersOutgoing, learnersNext, autoLeave };
}
