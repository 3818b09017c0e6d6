/**
 * A tiny deterministic string/bytes hash (FNV-1a, 32 bits) for digests of entries and traces. Not for
 * cryptography: it only has to be identical on every runtime.
 *
 * @module
 */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * Hashes bytes with FNV-1a.
 *
 * @param bytes The bytes to hash.
 * @returns The hash as 8 lowercase hex digits.
 * @example
 * ```ts
 * import { hashBytes } from "./hash.ts";
 * console.log(hashBytes(new Uint8Array([1, 2, 3])).length); // 8
 * ```
 */
export function hashBytes(bytes: Uint8Array): string {
  let hash = FNV_OFFSET_BASIS;
  for (let i = 0; i < bytes.length; i++) {
    hash = Math.imul(hash ^ (bytes[i] as number), FNV_PRIME) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/**
 * Hashes a string's UTF-16 code units with FNV-1a.
 *
 * @param text The string to hash.
 * @returns The hash as 8 lowercase hex digits.
 * @example
 * ```ts
 * import { hashString } from "./hash.ts";
 * console.log(hashString("abc") === hashString("abc")); // true
 * ```
 */
export function hashString(text: string): string {
  let hash = FNV_OFFSET_BASIS;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}
