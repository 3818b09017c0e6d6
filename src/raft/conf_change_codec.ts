/**
 * The binary encoding of a {@link ConfChange} inside a log entry's data (hand-written, versioned):
 *
 * ```
 * u8 version(1) | u8 transition | u32 changeCount | changeCount x (u8 type | u32 idHigh | u32 idLow)
 * | u32 contextLength | context bytes
 * ```
 * All integers are big-endian.
 *
 * @module
 */

import type { ConfChange, ConfChangeSingleType } from "./types.ts";

/** The most single changes one ConfChange may carry. */
export const CONF_CHANGES_PER_ENTRY_MAX = 256;
/** The largest context a ConfChange may carry. */
export const CONF_CHANGE_CONTEXT_BYTES_MAX = 64 * 1024;

const VERSION = 1;
const HEADER_BYTES = 6;
const CHANGE_BYTES = 9;
const TRANSITIONS = ["auto", "joint-implicit", "joint-explicit"] as const;
const TYPES: readonly ConfChangeSingleType[] = ["addVoter", "addLearner", "remove"];

/**
 * Encodes a change for a ConfChange entry.
 *
 * @param change The change.
 * @returns Its bytes.
 * @throws {RangeError} When it exceeds the limits or a node id is not a non-negative safe integer.
 * @example
 * ```ts
 * import { decodeConfChange, encodeConfChange } from "./conf_change_codec.ts";
 * const bytes = encodeConfChange({ transition: "auto", changes: [{ type: "addVoter", nodeId: 4 }], context: new Uint8Array() });
 * console.log(decodeConfChange(bytes).changes[0]?.nodeId); // 4
 * ```
 */
export function encodeConfChange(change: ConfChange): Uint8Array {
  const count = change.changes.length;
  if (count > CONF_CHANGES_PER_ENTRY_MAX) {
    throw new RangeError(
      `Cannot encode ConfChange: ${count} changes, the limit is ${CONF_CHANGES_PER_ENTRY_MAX}`,
    );
  }
  const contextBytes = change.context.byteLength;
  if (contextBytes > CONF_CHANGE_CONTEXT_BYTES_MAX) {
    throw new RangeError(
      `Cannot encode ConfChange: context is ${contextBytes} bytes, the limit is ${CONF_CHANGE_CONTEXT_BYTES_MAX}`,
    );
  }
  const out = new Uint8Array(HEADER_BYTES + count * CHANGE_BYTES + 4 + contextBytes);
  const view = new DataView(out.buffer);
  view.setUint8(0, VERSION);
  view.setUint8(1, TRANSITIONS.indexOf(change.transition));
  view.setUint32(2, count);
  let at = HEADER_BYTES;
  for (const single of change.changes) {
    const id = single.nodeId;
    if (!Number.isSafeInteger(id) || id < 0) {
      throw new RangeError(`Cannot encode ConfChange: node id ${id} is not a non-negative safe integer`);
    }
    const type = TYPES.indexOf(single.type);
    if (type < 0) {
      throw new RangeError(`Cannot encode ConfChange: unknown change type ${String(single.type)}`);
    }
    view.setUint8(at, type);
    view.setUint32(at + 1, Math.floor(id / 0x1_0000_0000));
    view.setUint32(at + 5, id >>> 0);
    at += CHANGE_BYTES;
  }
  view.setUint32(at, contextBytes);
  out.set(change.context, at + 4);
  return out;
}

/**
 * Decodes a ConfChange entry's data.
 *
 * @param bytes The entry data.
 * @returns The change (its context is a copy).
 * @throws {RangeError} When the bytes are not a valid encoding.
 * @example
 * ```ts
 * import { decodeConfChange, encodeConfChange } from "./conf_change_codec.ts";
 * const change = decodeConfChange(encodeConfChange({ transition: "joint-explicit", changes: [], context: new Uint8Array([7]) }));
 * console.log(change.transition, change.context[0]); // "joint-explicit" 7
 * ```
 */
export function decodeConfChange(bytes: Uint8Array): ConfChange {
  const fail = (why: string): never => {
    throw new RangeError(`Cannot decode ConfChange of ${bytes.byteLength} bytes: ${why}`);
  };
  if (bytes.byteLength < HEADER_BYTES + 4) fail("too short for the header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  if (version !== VERSION) fail(`unknown version ${version}`);
  const transition = TRANSITIONS[view.getUint8(1)] ?? fail(`unknown transition ${view.getUint8(1)}`);
  const count = view.getUint32(2);
  if (count > CONF_CHANGES_PER_ENTRY_MAX) {
    fail(`${count} changes, the limit is ${CONF_CHANGES_PER_ENTRY_MAX}`);
  }
  let at = HEADER_BYTES;
  if (bytes.byteLength < at + count * CHANGE_BYTES + 4) fail(`too short for ${count} changes`);
  const changes = [];
  for (let i = 0; i < count; i++) {
    const type = TYPES[view.getUint8(at)] ?? fail(`unknown change type ${view.getUint8(at)}`);
    const high = view.getUint32(at + 1);
    if (high > 0x1f_ffff) fail(`node id above the safe integer range`);
    changes.push({ type, nodeId: high * 0x1_0000_0000 + view.getUint32(at + 5) });
    at += CHANGE_BYTES;
  }
  const contextBytes = view.getUint32(at);
  if (contextBytes > CONF_CHANGE_CONTEXT_BYTES_MAX) {
    fail(`context of ${contextBytes} bytes exceeds the limit`);
  }
  if (bytes.byteLength !== at + 4 + contextBytes) {
    fail(`length does not match a context of ${contextBytes} bytes`);
  }
  return { transition, changes, context: bytes.slice(at + 4) };
}
