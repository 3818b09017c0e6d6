/**
 * Standard base64 (RFC 4648 section 4), strict on input, as etcd's JSON gateway encodes `bytes` fields.
 *
 * @module
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DECODE_TABLE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE_TABLE[ALPHABET.charCodeAt(i)] = i;
// URL-safe letters decode too, as Go's jsonpb falls back to the URL alphabet.
DECODE_TABLE["-".charCodeAt(0)] = 62;
DECODE_TABLE["_".charCodeAt(0)] = 63;

/**
 * @param bytes Bytes.
 * @returns Their standard base64 text, padded.
 * @example
 * ```ts
 * import { encodeBase64 } from "./base64.ts";
 * console.log(encodeBase64(new Uint8Array([97]))); // "YQ=="
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + "==";
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + "=";
  }
  return out;
}

/**
 * @param text Base64 text (padding optional).
 * @returns The bytes, or null when the text is not base64 (the offset of the first bad character is lost).
 * @example
 * ```ts
 * import { decodeBase64 } from "./base64.ts";
 * console.log(decodeBase64("YQ==")); // Uint8Array [97]
 * console.log(decodeBase64("!!")); // null
 * ```
 */
export function decodeBase64(text: string): Uint8Array | null {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61) end--;
  if (text.length - end > 2 || end % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let bitCount = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? DECODE_TABLE[code]! : -1;
    if (value < 0) return null;
    bits = (bits << 6) | value;
    bitCount += 6;
    if (bitCount >= 8) {
      bitCount -= 8;
      out[o++] = (bits >> bitCount) & 0xff;
    }
  }
  return out;
}
