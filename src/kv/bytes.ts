/**
 * Byte-string helpers for keys and values: ordering, prefix ends and readable rendering for messages.
 *
 * @module
 */

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: false });

/** The empty byte string (shared; never mutated). */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/**
 * Compares two byte strings lexicographically (unsigned bytes, a shorter prefix sorts first).
 *
 * @param a The first byte string.
 * @param b The second byte string.
 * @returns A negative number when a < b, 0 when equal, a positive number when a > b.
 * @example
 * ```ts
 * import { compareBytes, utf8 } from "./bytes.ts";
 * console.log(compareBytes(utf8("a"), utf8("b")) < 0); // true
 * ```
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < length; i++) {
    const difference = a[i]! - b[i]!;
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

/**
 * Whether two byte strings hold the same bytes.
 *
 * @param a The first byte string.
 * @param b The second byte string.
 * @returns True when equal.
 * @example
 * ```ts
 * import { bytesEqual, utf8 } from "./bytes.ts";
 * console.log(bytesEqual(utf8("x"), utf8("x"))); // true
 * ```
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The smallest key greater than every key starting with `prefix` (etcd's `GetPrefixRangeEnd`); for a
 * prefix of only 0xff bytes (or empty) it is `[0]`, which as a range end means "to the end".
 *
 * @param prefix The key prefix.
 * @returns The exclusive range end covering the prefix.
 * @example
 * ```ts
 * import { prefixEnd, utf8, toText } from "./bytes.ts";
 * console.log(toText(prefixEnd(utf8("a/")))); // "a0"
 * ```
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) {
      const end = prefix.slice(0, i + 1);
      end[i] = end[i]! + 1;
      return end;
    }
  }
  return new Uint8Array([0]);
}

/**
 * The smallest key after `key` (the key followed by a zero byte); used to continue a range past a key.
 *
 * @param key A key.
 * @returns `key + "\0"`.
 * @example
 * ```ts
 * import { keySuccessor, utf8 } from "./bytes.ts";
 * console.log(keySuccessor(utf8("a")).length); // 2
 * ```
 */
export function keySuccessor(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1);
  next.set(key);
  return next;
}

/**
 * Encodes a string as UTF-8 bytes.
 *
 * @param text The text.
 * @returns Its UTF-8 encoding.
 * @example
 * ```ts
 * import { utf8 } from "./bytes.ts";
 * console.log(utf8("é").length); // 2
 * ```
 */
export function utf8(text: string): Uint8Array {
  return textEncoder.encode(text);
}

/**
 * Decodes UTF-8 bytes (invalid sequences become U+FFFD).
 *
 * @param bytes The bytes.
 * @returns The text.
 * @example
 * ```ts
 * import { toText, utf8 } from "./bytes.ts";
 * console.log(toText(utf8("key"))); // "key"
 * ```
 */
export function toText(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}

const DISPLAY_BYTES_MAX = 64;

/**
 * Renders a key for an error message: printable ASCII as is, other bytes as \xNN, long keys shortened.
 *
 * @param bytes The key.
 * @returns A short, quoted-safe rendering.
 * @example
 * ```ts
 * import { displayKey, utf8 } from "./bytes.ts";
 * console.log(displayKey(utf8("a/b"))); // "a/b"
 * ```
 */
export function displayKey(bytes: Uint8Array): string {
  let text = "";
  const shown = Math.min(bytes.length, DISPLAY_BYTES_MAX);
  for (let i = 0; i < shown; i++) {
    const byte = bytes[i]!;
    text += byte >= 0x20 && byte < 0x7f && byte !== 0x5c
      ? String.fromCharCode(byte)
      : `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  if (bytes.length > shown) text += `... (${bytes.length} bytes)`;
  return text;
}

/**
 * Renders a byte count for messages: "512 B", "1.5 KiB", "2 MiB".
 *
 * @param bytes A byte count.
 * @returns A short human rendering.
 * @example
 * ```ts
 * import { displaySize } from "./bytes.ts";
 * console.log(displaySize(1572864)); // "1.5 MiB"
 * ```
 */
export function displaySize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Number((bytes / 1024).toFixed(2))} KiB`;
  return `${Number((bytes / (1024 * 1024)).toFixed(2))} MiB`;
}
