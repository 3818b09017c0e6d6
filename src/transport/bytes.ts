/**
 * Little-endian byte writing and reading for the peer codec: a growable buffer with a DataView for encoding,
 * and a bounds-checked reader for decoding. Integers are non-negative safe integers, stored as u64.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { FrameError } from "./frame.ts";

const TWO_POW_32 = 0x1_0000_0000;
/** The high word of Number.MAX_SAFE_INTEGER: a u64 with a larger high word is not a safe integer. */
const SAFE_HIGH_WORD_MAX = 0x1f_ffff;
const WRITER_CAPACITY_BYTES_MIN = 256;

/**
 * An append-only little-endian byte buffer that grows by doubling.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./bytes.ts";
 * const writer = new ByteWriter(16);
 * writer.ensure(9);
 * writer.u8(7);
 * writer.u64(2 ** 40);
 * console.log(writer.length); // 9
 * ```
 */
export class ByteWriter {
  #bytes: Uint8Array;
  #view: DataView;
  #length = 0;

  /** @param capacityBytes The initial capacity. */
  constructor(capacityBytes: number = WRITER_CAPACITY_BYTES_MIN) {
    assert(Number.isSafeInteger(capacityBytes) && capacityBytes >= 0, () => `bad capacity ${capacityBytes}`);
    this.#bytes = new Uint8Array(Math.max(capacityBytes, WRITER_CAPACITY_BYTES_MIN));
    this.#view = new DataView(this.#bytes.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /**
   * Makes room for `count` more bytes; every write after it must stay within that room.
   *
   * @param count Bytes about to be written.
   */
  ensure(count: number): void {
    const needed = this.#length + count;
    if (needed <= this.#bytes.length) return;
    let capacity = this.#bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const bytes = new Uint8Array(capacity);
    bytes.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer);
  }

  /** @param value A byte (0..255). */
  u8(value: number): void {
    this.#view.setUint8(this.#length, value);
    this.#length += 1;
  }

  /** @param value An unsigned 32-bit integer. */
  u32(value: number): void {
    this.#view.setUint32(this.#length, value, true);
    this.#length += 4;
  }

  /**
   * @param value A non-negative safe integer, written as a little-endian u64.
   * @throws {RangeError} When the value is not a non-negative safe integer.
   */
  u64(value: number): void {
    if (!(value >= 0 && Number.isSafeInteger(value))) {
      throw new RangeError(`Cannot encode ${value}: not a non-negative safe integer`);
    }
    this.#view.setUint32(this.#length, value >>> 0, true);
    this.#view.setUint32(this.#length + 4, Math.floor(value / TWO_POW_32), true);
    this.#length += 8;
  }

  /** @param bytes Raw bytes, written as they are (no length prefix). */
  raw(bytes: Uint8Array): void {
    this.#bytes.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  /** @param bytes Bytes written with a u32 length prefix. */
  lengthPrefixed(bytes: Uint8Array): void {
    this.u32(bytes.length);
    this.raw(bytes);
  }

  /**
   * Overwrites a u32 written earlier (a frame's length, known only after its payload).
   *
   * @param offset Where the u32 starts.
   * @param value The value.
   */
  patchU32(offset: number, value: number): void {
    assert(offset >= 0 && offset + 4 <= this.#length, () => `patch at ${offset} outside ${this.#length}`);
    this.#view.setUint32(offset, value, true);
  }

  /**
   * Forgets everything written after `length` (undoes a frame that turned out too large).
   *
   * @param length The length to go back to.
   */
  truncate(length: number): void {
    assert(length >= 0 && length <= this.#length, () => `truncate to ${length} beyond ${this.#length}`);
    this.#length = length;
  }

  /**
   * Hands over the written bytes and starts a fresh buffer, so the caller may keep the returned view (a
   * socket write holds on to it) while the writer goes on.
   *
   * @returns The bytes written since the last take.
   */
  take(): Uint8Array {
    const written = this.#bytes.subarray(0, this.#length);
    const capacity = Math.max(WRITER_CAPACITY_BYTES_MIN, Math.min(this.#bytes.length, 1 << 20));
    this.#bytes = new Uint8Array(capacity);
    this.#view = new DataView(this.#bytes.buffer);
    this.#length = 0;
    return written;
  }
}

/**
 * A bounds-checked little-endian reader over one frame's payload. Every read past the end throws a
 * {@link FrameError}: a peer's bytes are never trusted.
 *
 * @example
 * ```ts
 * import { ByteReader } from "./bytes.ts";
 * const reader = new ByteReader(new Uint8Array([5, 0, 0, 0]));
 * console.log(reader.u32()); // 5
 * ```
 */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset = 0;

  /** @param bytes The payload to read. */
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  /**
   * @param count Bytes about to be read.
   * @throws {FrameError} When fewer remain.
   */
  need(count: number): void {
    if (count > this.#bytes.length - this.#offset) {
      throw new FrameError(
        `Cannot decode frame: needs ${count} bytes at offset ${this.#offset}, only ${this.remaining} remain`,
      );
    }
  }

  /** @returns The next byte. */
  u8(): number {
    this.need(1);
    return this.#view.getUint8(this.#offset++);
  }

  /** @returns The next u32. */
  u32(): number {
    this.need(4);
    const value = this.#view.getUint32(this.#offset, true);
    this.#offset += 4;
    return value;
  }

  /**
   * @returns The next u64 as a safe integer.
   * @throws {FrameError} When it does not fit in a safe integer.
   */
  u64(): number {
    this.need(8);
    const low = this.#view.getUint32(this.#offset, true);
    const high = this.#view.getUint32(this.#offset + 4, true);
    if (high > SAFE_HIGH_WORD_MAX) {
      throw new FrameError(`Cannot decode frame: integer at offset ${this.#offset} exceeds 2^53`);
    }
    this.#offset += 8;
    return high * TWO_POW_32 + low;
  }

  /**
   * @returns The next u32-length-prefixed bytes, as a view into the payload (no copy).
   * @throws {FrameError} When the length runs past the end.
   */
  lengthPrefixed(): Uint8Array {
    const length = this.u32();
    this.need(length);
    const bytes = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return bytes;
  }

  /**
   * Checks that the payload was consumed exactly.
   *
   * @param what The frame being decoded, for the message.
   * @throws {FrameError} When bytes are left over.
   */
  end(what: string): void {
    if (this.remaining !== 0) {
      throw new FrameError(`Cannot decode ${what}: ${this.remaining} trailing bytes`);
    }
  }
}
