/**
 * The primitives of the hand-written binary codecs: a growable writer and a bounds-checked reader of
 * unsigned LEB128 integers (any safe integer), float64, bytes and strings.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { CodecError } from "./errors.ts";

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Appends encoded values to a growing buffer.
 *
 * @example
 * ```ts
 * import { ByteWriter, ByteReader } from "./byte_codec.ts";
 * const writer = new ByteWriter();
 * writer.uint(300);
 * console.log(new ByteReader(writer.finish(), "example").uint()); // 300
 * ```
 */
export class ByteWriter {
  #buffer: Uint8Array;
  #view: DataView;
  #length = 0;

  /** @param capacityBytes The initial capacity. */
  constructor(capacityBytes = 64) {
    this.#buffer = new Uint8Array(capacityBytes);
    this.#view = new DataView(this.#buffer.buffer);
  }

  /** @returns Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  #reserve(bytes: number): void {
    const needed = this.#length + bytes;
    if (needed <= this.#buffer.length) return;
    let capacity = this.#buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer);
  }

  /**
   * Writes one byte.
   * @param value 0..255.
   */
  byte(value: number): void {
    assert(Number.isInteger(value) && value >= 0 && value <= 255, () => `byte out of range: ${value}`);
    this.#reserve(1);
    this.#buffer[this.#length++] = value;
  }

  /**
   * Writes a non-negative safe integer as unsigned LEB128.
   * @param value The integer.
   */
  uint(value: number): void {
    assert(Number.isSafeInteger(value) && value >= 0, () => `uint out of range: ${value}`);
    this.#reserve(8);
    let rest = value;
    while (rest >= 0x80) {
      this.#buffer[this.#length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.#buffer[this.#length++] = rest;
  }

  /**
   * Writes a float64 (little-endian).
   * @param value Any number.
   */
  float(value: number): void {
    this.#reserve(8);
    this.#view.setFloat64(this.#length, value, true);
    this.#length += 8;
  }

  /**
   * Writes a length-prefixed byte string.
   * @param value The bytes.
   */
  bytes(value: Uint8Array): void {
    this.uint(value.length);
    this.#reserve(value.length);
    this.#buffer.set(value, this.#length);
    this.#length += value.length;
  }

  /**
   * Writes raw bytes with no length prefix.
   * @param value The bytes.
   */
  raw(value: Uint8Array): void {
    this.#reserve(value.length);
    this.#buffer.set(value, this.#length);
    this.#length += value.length;
  }

  /**
   * Writes a length-prefixed UTF-8 string.
   * @param value The string.
   */
  string(value: string): void {
    this.bytes(textEncoder.encode(value));
  }

  /** @returns The written bytes (a copy trimmed to length). */
  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}

/**
 * Reads values written by {@link ByteWriter}, failing with {@link CodecError} on malformed input.
 *
 * @example
 * ```ts
 * import { ByteReader } from "./byte_codec.ts";
 * const reader = new ByteReader(new Uint8Array([5]), "example");
 * console.log(reader.byte()); // 5
 * ```
 */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #what: string;
  #offset = 0;

  /**
   * @param bytes The encoding.
   * @param what What is being decoded, for error messages.
   */
  constructor(bytes: Uint8Array, what: string) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
  }

  /** @returns The current offset. */
  get offset(): number {
    return this.#offset;
  }

  /** @returns Bytes left to read. */
  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  /**
   * Builds an error at the current offset.
   * @param reason What is wrong.
   * @returns The error, to throw.
   */
  fail(reason: string): CodecError {
    return new CodecError(this.#what, this.#offset, reason);
  }

  #need(bytes: number): void {
    if (this.remaining < bytes) throw this.fail(`needs ${bytes} more bytes, ${this.remaining} left`);
  }

  /** @returns One byte. */
  byte(): number {
    this.#need(1);
    return this.#bytes[this.#offset++]!;
  }

  /** @returns A non-negative safe integer. */
  uint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) throw this.fail(`integer ${value} is not safe`);
        return value;
      }
      scale *= 0x80;
    }
    throw this.fail("integer longer than 8 bytes");
  }

  /**
   * Reads a count of following items, each at least `itemBytesMin` bytes, so a corrupt count cannot
   * make the decoder allocate beyond the input.
   * @param itemBytesMin The smallest encoding of one item.
   * @returns The count.
   */
  count(itemBytesMin = 1): number {
    const value = this.uint();
    if (value * itemBytesMin > this.remaining) throw this.fail(`count ${value} exceeds the remaining input`);
    return value;
  }

  /** @returns A float64. */
  float(): number {
    this.#need(8);
    const value = this.#view.getFloat64(this.#offset, true);
    this.#offset += 8;
    return value;
  }

  /** @returns A length-prefixed byte string (a copy, so it never pins the input buffer). */
  bytes(): Uint8Array {
    const length = this.uint();
    this.#need(length);
    const value = this.#bytes.slice(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  /**
   * Reads raw bytes.
   * @param length How many.
   * @returns A view into the input.
   */
  raw(length: number): Uint8Array {
    this.#need(length);
    const value = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  /** @returns A length-prefixed UTF-8 string. */
  string(): string {
    const bytes = this.bytes();
    try {
      return textDecoder.decode(bytes);
    } catch {
      throw this.fail("invalid UTF-8");
    }
  }

  /** Fails unless every byte was read. */
  end(): void {
    if (this.remaining !== 0) throw this.fail(`${this.remaining} trailing bytes`);
  }
}

/**
 * FNV-1a 32-bit checksum (detects corruption of snapshots; not cryptographic).
 *
 * @param bytes The data.
 * @returns The checksum.
 * @example
 * ```ts
 * import { checksum32 } from "./byte_codec.ts";
 * console.log(checksum32(new Uint8Array([1, 2])) !== checksum32(new Uint8Array([2, 1]))); // true
 * ```
 */
export function checksum32(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i]!;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
