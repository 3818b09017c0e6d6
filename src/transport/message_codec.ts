/**
 * The hand-written binary encoding of a Raft {@link Message}: every field, its entries and its snapshot.
 *
 * Layout (little-endian): u8 type, u8 flags (1 = reject, 2 = has snapshot), u64 to, from, term, logTerm,
 * index, commit, rejectHint, u32-prefixed context, u32 entry count then per entry (u64 term, u64 index,
 * u8 type, u32-prefixed data), then if flagged the snapshot (u64 index, u64 term, four u32-counted u64 lists:
 * voters, learners, votersOutgoing, learnersNext, u8 autoLeave, u32-prefixed data).
 *
 * @module
 */

import type { ConfState, Entry, EntryType, Message, MessageType, Snapshot } from "../raft/types.ts";
import { MessageType as MessageTypes } from "../raft/types.ts";
import { ByteReader, type ByteWriter } from "./bytes.ts";
import { FrameError } from "./frame.ts";

const FLAG_REJECT = 1;
const FLAG_SNAPSHOT = 2;
const MESSAGE_FIXED_BYTES = 2 + 7 * 8 + 4 + 4;
const ENTRY_FIXED_BYTES = 8 + 8 + 1 + 4;
const SNAPSHOT_FIXED_BYTES = 8 + 8 + 4 * 4 + 1 + 4;
const MESSAGE_TYPE_MAX = MessageTypes.PreVoteResp;

/**
 * Whether a message type only ever travels inside one node (the driver steps it into its own core). Such a
 * message arriving from the network would let a peer trigger an election or fake a report, so it is refused.
 *
 * @param type A message type.
 * @returns True for Hup, Beat, SnapStatus and Unreachable.
 * @example
 * ```ts
 * import { isLocalMessageType } from "./message_codec.ts";
 * import { MessageType } from "../raft/types.ts";
 * console.log(isLocalMessageType(MessageType.Hup)); // true
 * ```
 */
export function isLocalMessageType(type: number): boolean {
  return type === MessageTypes.Hup || type === MessageTypes.Beat || type === MessageTypes.SnapStatus ||
    type === MessageTypes.Unreachable;
}

/**
 * The exact number of bytes {@link encodeMessage} writes for a message.
 *
 * @param message The message.
 * @returns Its encoded size in bytes.
 * @example
 * ```ts
 * import { messageEncodedBytes } from "./message_codec.ts";
 * import { makeMessage, MessageType } from "../raft/types.ts";
 * console.log(messageEncodedBytes(makeMessage({ type: MessageType.Heartbeat, to: 2, from: 1 }))); // 66
 * ```
 */
export function messageEncodedBytes(message: Message): number {
  let bytes = MESSAGE_FIXED_BYTES + message.context.length + message.entries.length * ENTRY_FIXED_BYTES;
  for (const entry of message.entries) bytes += entry.data.length;
  const snapshot = message.snapshot;
  if (snapshot !== null) {
    const conf = snapshot.metadata.confState;
    bytes += SNAPSHOT_FIXED_BYTES + snapshot.data.length +
      8 * (conf.voters.length + conf.learners.length + conf.votersOutgoing.length + conf.learnersNext.length);
  }
  return bytes;
}

/**
 * Appends a message's encoding to `writer` (no frame header).
 *
 * @param writer The buffer to append to.
 * @param message The message; a local-only type (see {@link isLocalMessageType}) is refused.
 * @throws {RangeError} When the type is local-only or a number is not a non-negative safe integer.
 * @example
 * ```ts
 * import { ByteWriter } from "./bytes.ts";
 * import { encodeMessage } from "./message_codec.ts";
 * import { makeMessage, MessageType } from "../raft/types.ts";
 * const writer = new ByteWriter();
 * encodeMessage(writer, makeMessage({ type: MessageType.Vote, to: 2, from: 1, term: 3 }));
 * console.log(writer.length); // 66
 * ```
 */
export function encodeMessage(writer: ByteWriter, message: Message): void {
  if (isLocalMessageType(message.type) || !(message.type >= 0 && message.type <= MESSAGE_TYPE_MAX)) {
    throw new RangeError(`Cannot encode message of type ${message.type}: it never leaves its node`);
  }
  writer.ensure(messageEncodedBytes(message));
  writer.u8(message.type);
  writer.u8((message.reject ? FLAG_REJECT : 0) | (message.snapshot !== null ? FLAG_SNAPSHOT : 0));
  writer.u64(message.to);
  writer.u64(message.from);
  writer.u64(message.term);
  writer.u64(message.logTerm);
  writer.u64(message.index);
  writer.u64(message.commit);
  writer.u64(message.rejectHint);
  writer.lengthPrefixed(message.context);
  const entries = message.entries;
  writer.u32(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    writer.u64(entry.term);
    writer.u64(entry.index);
    writer.u8(entry.type);
    writer.lengthPrefixed(entry.data);
  }
  if (message.snapshot !== null) encodeSnapshot(writer, message.snapshot);
}

function encodeSnapshot(writer: ByteWriter, snapshot: Snapshot): void {
  writer.u64(snapshot.metadata.index);
  writer.u64(snapshot.metadata.term);
  const conf = snapshot.metadata.confState;
  for (const list of [conf.voters, conf.learners, conf.votersOutgoing, conf.learnersNext]) {
    writer.u32(list.length);
    for (const id of list) writer.u64(id);
  }
  writer.u8(conf.autoLeave ? 1 : 0);
  writer.lengthPrefixed(snapshot.data);
}

/**
 * Decodes a message from a Raft frame's payload. Byte fields are views into `payload` (no copies).
 *
 * @param payload Exactly one encoded message.
 * @returns The message, in the one fixed shape of {@link Message}.
 * @throws {FrameError} When the payload is truncated, has trailing bytes or holds an invalid value.
 * @example
 * ```ts
 * import { ByteWriter } from "./bytes.ts";
 * import { decodeMessage, encodeMessage } from "./message_codec.ts";
 * import { makeMessage, MessageType } from "../raft/types.ts";
 * const writer = new ByteWriter();
 * encodeMessage(writer, makeMessage({ type: MessageType.Vote, to: 2, from: 1, term: 3 }));
 * console.log(decodeMessage(writer.take()).term); // 3
 * ```
 */
export function decodeMessage(payload: Uint8Array): Message {
  const reader = new ByteReader(payload);
  const type = reader.u8();
  if (type > MESSAGE_TYPE_MAX || isLocalMessageType(type)) {
    throw new FrameError(`Cannot decode message: type ${type} is not a network message type`);
  }
  const flags = reader.u8();
  if ((flags & ~(FLAG_REJECT | FLAG_SNAPSHOT)) !== 0) {
    throw new FrameError(`Cannot decode message: unknown flags ${flags}`);
  }
  const message: Message = {
    type: type as MessageType,
    to: reader.u64(),
    from: reader.u64(),
    term: reader.u64(),
    logTerm: reader.u64(),
    index: reader.u64(),
    entries: [],
    commit: reader.u64(),
    snapshot: null,
    reject: (flags & FLAG_REJECT) !== 0,
    rejectHint: reader.u64(),
    context: reader.lengthPrefixed(),
  };
  message.entries = decodeEntries(reader);
  if ((flags & FLAG_SNAPSHOT) !== 0) message.snapshot = decodeSnapshot(reader);
  reader.end("message");
  return message;
}

function decodeEntries(reader: ByteReader): Entry[] {
  const count = reader.u32();
  reader.need(count * ENTRY_FIXED_BYTES);
  const entries: Entry[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const term = reader.u64();
    const index = reader.u64();
    const type = reader.u8();
    if (type > 1) throw new FrameError(`Cannot decode entry ${index}: unknown entry type ${type}`);
    entries[i] = { term, index, type: type as EntryType, data: reader.lengthPrefixed() };
  }
  return entries;
}

function decodeSnapshot(reader: ByteReader): Snapshot {
  const index = reader.u64();
  const term = reader.u64();
  const confState: ConfState = {
    voters: decodeIds(reader),
    learners: decodeIds(reader),
    votersOutgoing: decodeIds(reader),
    learnersNext: decodeIds(reader),
    autoLeave: false,
  };
  const autoLeave = reader.u8();
  if (autoLeave > 1) throw new FrameError(`Cannot decode snapshot: autoLeave byte is ${autoLeave}`);
  confState.autoLeave = autoLeave === 1;
  return { metadata: { index, term, confState }, data: reader.lengthPrefixed() };
}

function decodeIds(reader: ByteReader): number[] {
  const count = reader.u32();
  reader.need(count * 8);
  const ids: number[] = new Array(count);
  for (let i = 0; i < count; i++) ids[i] = reader.u64();
  return ids;
}
