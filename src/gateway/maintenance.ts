/**
 * The pieces of the maintenance routes that do not depend on a backend: the store hash etcd's `hash` route
 * reports (CRC-32C, as etcd uses), the snapshot stream's chunks, and the NOSPACE alarm a backend raises when
 * a write is refused for space.
 *
 * @module
 */

import { QuotaExceededError } from "../kv/errors.ts";
import type { GatewayAlarm } from "./backend.ts";
import { encodeBase64 } from "./base64.ts";

/** Bytes per snapshot chunk (etcd's gateway sends 32 KiB blobs). */
export const SNAPSHOT_CHUNK_BYTES = 32 * 1024;

const CASTAGNOLI_REVERSED = 0x82f63b78;
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ CASTAGNOLI_REVERSED : crc >>> 1;
    table[byte] = crc >>> 0;
  }
  return table;
})();

/**
 * CRC-32C (Castagnoli) of some bytes.
 *
 * @param bytes The bytes.
 * @returns The checksum as an unsigned 32-bit number.
 * @example
 * ```ts
 * import { crc32c } from "./maintenance.ts";
 * console.log(crc32c(new TextEncoder().encode("123456789")).toString(16)); // "e3069283"
 * ```
 */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The lines of etcd's snapshot stream: the bytes in {@link SNAPSHOT_CHUNK_BYTES} blobs, each with the bytes
 * still to come (`remaining_bytes`, omitted at 0), then one blob with the SHA-256 of all of them, which
 * `etcdctl snapshot restore` checks.
 *
 * @param bytes The snapshot.
 * @returns The `{"result":...}` lines, each ending in a newline.
 * @example
 * ```ts
 * import { snapshotLines } from "./maintenance.ts";
 * const lines = [];
 * for await (const line of snapshotLines(new Uint8Array(10))) lines.push(line);
 * console.log(lines.length); // 2
 * ```
 */
export async function* snapshotLines(bytes: Uint8Array): AsyncGenerator<string> {
  for (let offset = 0; offset < bytes.length; offset += SNAPSHOT_CHUNK_BYTES) {
    const chunk = bytes.subarray(offset, offset + SNAPSHOT_CHUNK_BYTES);
    const remainingBytes = bytes.length - offset - chunk.length;
    const result: Record<string, string> = {};
    if (remainingBytes > 0) result["remaining_bytes"] = String(remainingBytes);
    result["blob"] = encodeBase64(chunk);
    yield JSON.stringify({ result }) + "\n";
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes.slice()));
  yield JSON.stringify({ result: { blob: encodeBase64(digest) } }) + "\n";
}

/**
 * The NOSPACE alarm of one member, raised as etcd raises it: when a write is refused because the store is
 * over its quota. It stays raised until disarmed.
 *
 * @example
 * ```ts
 * import { NoSpaceAlarm } from "./maintenance.ts";
 * const alarm = new NoSpaceAlarm(1n);
 * console.log(alarm.list()); // []
 * ```
 */
export class NoSpaceAlarm {
  readonly #memberId: bigint;
  #raised = false;

  /** @param memberId The member the alarm is reported on. */
  constructor(memberId: bigint) {
    this.#memberId = memberId;
  }

  /**
   * Raises the alarm when `error` is a refusal for space.
   *
   * @param error What a write threw.
   * @returns The same error, for the caller to rethrow.
   */
  note(error: unknown): unknown {
    if (error instanceof QuotaExceededError) this.#raised = true;
    return error;
  }

  /** @returns The raised alarms (none, or NOSPACE). */
  list(): GatewayAlarm[] {
    return this.#raised ? [{ memberId: this.#memberId, alarm: "NOSPACE" }] : [];
  }

  /**
   * Clears the alarm when it matches.
   *
   * @param alarm The alarm to clear.
   * @returns It when it was raised, else null.
   */
  disarm(alarm: GatewayAlarm): GatewayAlarm | null {
    if (!this.#raised || alarm.alarm !== "NOSPACE" || alarm.memberId !== this.#memberId) return null;
    this.#raised = false;
    return alarm;
  }
}
