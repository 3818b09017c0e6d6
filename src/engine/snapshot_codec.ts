/**
 * The engine's snapshot data: the store's snapshot plus the member registry (names and peer addresses),
 * so a node that restarts from a snapshot, or installs one from the leader, still knows how to reach
 * members whose configuration entries were compacted away.
 *
 * Layout: magic `DGS1`, u32 length of the members JSON, the JSON, then the store's snapshot bytes.
 *
 * @module
 */

import type { MemberConfig } from "./options.ts";

const MAGIC = [0x44, 0x47, 0x53, 0x31];
const HEADER_BYTES = 8;
/** Largest members section accepted when decoding (bounds a corrupt length). */
export const SNAPSHOT_MEMBERS_BYTES_MAX = 16 * 1024 * 1024;

/** What a snapshot holds. */
export interface EngineSnapshotData {
  members: MemberConfig[];
  store: Uint8Array;
}

/**
 * @param data The members and the store's snapshot.
 * @returns The bytes.
 * @example
 * ```ts
 * import { decodeEngineSnapshot, encodeEngineSnapshot } from "./snapshot_codec.ts";
 * const bytes = encodeEngineSnapshot({ members: [], store: new Uint8Array([1]) });
 * console.log(decodeEngineSnapshot(bytes).store[0]); // 1
 * ```
 */
export function encodeEngineSnapshot(data: EngineSnapshotData): Uint8Array {
  const members = new TextEncoder().encode(JSON.stringify(data.members));
  const bytes = new Uint8Array(HEADER_BYTES + members.length + data.store.length);
  bytes.set(MAGIC, 0);
  new DataView(bytes.buffer).setUint32(4, members.length);
  bytes.set(members, HEADER_BYTES);
  bytes.set(data.store, HEADER_BYTES + members.length);
  return bytes;
}

/**
 * @param bytes Bytes from {@link encodeEngineSnapshot}.
 * @returns The members and the store's snapshot (a view into `bytes`).
 * @throws {RangeError} When the bytes are not an engine snapshot.
 * @example
 * ```ts
 * import { decodeEngineSnapshot } from "./snapshot_codec.ts";
 * try {
 *   decodeEngineSnapshot(new Uint8Array(3));
 * } catch (error) {
 *   console.log((error as Error).name); // "RangeError"
 * }
 * ```
 */
export function decodeEngineSnapshot(bytes: Uint8Array): EngineSnapshotData {
  const fail = (why: string): never => {
    throw new RangeError(`Cannot decode an engine snapshot of ${bytes.length} bytes: ${why}`);
  };
  if (bytes.length < HEADER_BYTES || MAGIC.some((byte, i) => bytes[i] !== byte)) fail("bad header");
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4);
  if (length > SNAPSHOT_MEMBERS_BYTES_MAX || HEADER_BYTES + length > bytes.length) fail("bad members length");
  const json = new TextDecoder().decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + length));
  const members = JSON.parse(json) as MemberConfig[];
  if (!Array.isArray(members)) fail("members are not a list");
  return { members, store: bytes.subarray(HEADER_BYTES + length) };
}
