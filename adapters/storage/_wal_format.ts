/**
 * The record framing of the file WAL. Each record: a 24-byte header, a payload, zero padding to 8 bytes.
 *
 * Header: payload length (u32), CRC-32C of bytes 8..end of payload (u32), type (u8), flags (u8, bit 0: last
 * record of its batch), magic (u16), reserved zero (u32), batch sequence number (u64). Records of one batch
 * (one write + one fdatasync) share the sequence number; batches are numbered consecutively, which is how
 * recovery tells a torn final batch from damage to an earlier, synced one.
 *
 * @module
 */

import { crc32c } from "./crc32c.ts";
import type { ByteWriter } from "./codec.ts";
import { ENTRY_HEADER_BYTES } from "./codec.ts";
import type { Entry } from "../../src/raft/types.ts";
import { ENTRY_DATA_BYTES_MAX } from "./_log_state.ts";

/** Bytes of a record header. */
export const RECORD_HEADER_BYTES = 24;
/** Records start at multiples of this. */
export const RECORD_ALIGN_BYTES = 8;
/** Identifies a record header (guards the forward scan against chance matches). */
export const RECORD_MAGIC = 0xd3e7;
/** The largest payload a record may declare. */
export const RECORD_PAYLOAD_BYTES_MAX = ENTRY_DATA_BYTES_MAX + 64;
/** Flag: this record is the last of its batch. */
export const FLAG_BATCH_END = 1;

/** Record types. */
export const RecordType = {
  /** First record of a segment: segment number, hard state and compacted boundary at its creation. */
  SegmentHeader: 1,
  Entry: 2,
  HardState: 3,
  Truncate: 4,
  Compact: 5,
  /** Last record of a full segment. */
  Seal: 6,
} as const;

/** One of {@link RecordType}'s values. */
export type RecordType = typeof RecordType[keyof typeof RecordType];

/** A record found intact. */
export interface ParsedRecord {
  type: RecordType;
  flags: number;
  batchSeq: number;
  payloadStart: number;
  payloadEnd: number;
  /** Offset of the next record. */
  nextOffset: number;
}

/**
 * @param payloadBytes Payload length.
 * @returns Bytes the whole record occupies, padding included.
 * @example
 * ```ts
 * import { recordBytes } from "./_wal_format.ts";
 * console.log(recordBytes(1)); // 32
 * ```
 */
export function recordBytes(payloadBytes: number): number {
  return RECORD_HEADER_BYTES + ((payloadBytes + RECORD_ALIGN_BYTES - 1) & ~(RECORD_ALIGN_BYTES - 1));
}

/**
 * Appends a record to `writer`: reserves the header, lets `writePayload` write the payload, then fills the
 * header and padding.
 *
 * @param writer Destination (its offset must be 8-aligned).
 * @param type Record type.
 * @param batchSeq The batch sequence number.
 * @param writePayload Writes the payload.
 * @returns The record's offset within the writer.
 * @example
 * ```ts
 * import { ByteWriter } from "./codec.ts";
 * import { encodeRecord, parseRecord, RecordType } from "./_wal_format.ts";
 * const writer = new ByteWriter(64);
 * encodeRecord(writer, RecordType.Truncate, 1, (w) => w.u64(5));
 * console.log(parseRecord(writer.finish(), 0)?.type); // 4
 * ```
 */
export function encodeRecord(
  writer: ByteWriter,
  type: RecordType,
  batchSeq: number,
  writePayload: (writer: ByteWriter) => void,
): number {
  const start = writer.offset;
  writer.zeros(RECORD_HEADER_BYTES);
  writePayload(writer);
  const payloadBytes = writer.offset - start - RECORD_HEADER_BYTES;
  writer.zeros(recordBytes(payloadBytes) - RECORD_HEADER_BYTES - payloadBytes);
  const bytes = writer.buffer();
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  view.setUint32(start, payloadBytes);
  view.setUint8(start + 8, type);
  view.setUint8(start + 9, 0);
  view.setUint16(start + 10, RECORD_MAGIC);
  view.setUint32(start + 16, Math.floor(batchSeq / 0x1_0000_0000));
  view.setUint32(start + 20, batchSeq % 0x1_0000_0000);
  sealRecordChecksum(bytes, start);
  return start;
}

/**
 * Writes an entry record straight into `bytes` (the hot path: no closures, one shared DataView). The layout is
 * the one {@link encodeRecord} produces with `writeEntry` as the payload writer.
 *
 * @param bytes Destination, large enough for {@link recordBytes}`(ENTRY_HEADER_BYTES + data length)` at `start`.
 * @param view A DataView over `bytes`.
 * @param start Offset of the record (8-aligned).
 * @param entry The entry.
 * @param batchSeq The batch number.
 * @returns The offset after the record (padding included).
 * @example
 * ```ts
 * import { parseRecord, recordBytes, writeEntryRecord } from "./_wal_format.ts";
 * const bytes = new Uint8Array(recordBytes(21 + 1));
 * writeEntryRecord(bytes, new DataView(bytes.buffer), 0, { index: 1, term: 1, type: 0, data: new Uint8Array([9]) }, 1);
 * console.log(parseRecord(bytes, 0)?.type); // 2
 * ```
 */
export function writeEntryRecord(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  entry: Entry,
  batchSeq: number,
): number {
  const dataBytes = entry.data.byteLength;
  const payloadBytes = ENTRY_HEADER_BYTES + dataBytes;
  const end = start + recordBytes(payloadBytes);
  view.setUint32(start, payloadBytes);
  view.setUint8(start + 8, RecordType.Entry);
  view.setUint8(start + 9, 0);
  view.setUint16(start + 10, RECORD_MAGIC);
  view.setUint32(start + 12, 0);
  view.setUint32(start + 16, Math.floor(batchSeq / 0x1_0000_0000));
  view.setUint32(start + 20, batchSeq % 0x1_0000_0000);
  const payload = start + RECORD_HEADER_BYTES;
  view.setUint32(payload, Math.floor(entry.index / 0x1_0000_0000));
  view.setUint32(payload + 4, entry.index % 0x1_0000_0000);
  view.setUint32(payload + 8, Math.floor(entry.term / 0x1_0000_0000));
  view.setUint32(payload + 12, entry.term % 0x1_0000_0000);
  view.setUint8(payload + 16, entry.type);
  view.setUint32(payload + 17, dataBytes);
  bytes.set(entry.data, payload + ENTRY_HEADER_BYTES);
  bytes.fill(0, payload + payloadBytes, end);
  view.setUint32(start + 4, crc32c(bytes, start + 8, payload + payloadBytes));
  return end;
}

/**
 * Marks the record at `start` as the last of its batch and recomputes its checksum.
 *
 * @param bytes The buffer holding the record.
 * @param start The record's offset.
 * @example
 * ```ts
 * import { ByteWriter } from "./codec.ts";
 * import { encodeRecord, markBatchEnd, parseRecord, RecordType } from "./_wal_format.ts";
 * const writer = new ByteWriter(64);
 * const at = encodeRecord(writer, RecordType.Seal, 1, (w) => w.u64(1));
 * markBatchEnd(writer.buffer(), at);
 * console.log(parseRecord(writer.finish(), 0)?.flags); // 1
 * ```
 */
export function markBatchEnd(bytes: Uint8Array, start: number): void {
  bytes[start + 9] = FLAG_BATCH_END;
  sealRecordChecksum(bytes, start);
}

function sealRecordChecksum(bytes: Uint8Array, start: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const payloadBytes = view.getUint32(start);
  view.setUint32(start + 4, crc32c(bytes, start + 8, start + RECORD_HEADER_BYTES + payloadBytes));
}

/**
 * Parses the record at `offset`, or returns null when there is none intact there (zeros, a torn or corrupt
 * record, an impossible length).
 *
 * @param bytes The segment's bytes.
 * @param offset Where the record should start (8-aligned).
 * @returns The record, or null.
 * @example
 * ```ts
 * import { parseRecord } from "./_wal_format.ts";
 * console.log(parseRecord(new Uint8Array(64), 0)); // null
 * ```
 */
export function parseRecord(bytes: Uint8Array, offset: number): ParsedRecord | null {
  if (offset + RECORD_HEADER_BYTES > bytes.length) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(offset + 10) !== RECORD_MAGIC) return null;
  const payloadBytes = view.getUint32(offset);
  const type = view.getUint8(offset + 8);
  if (type < RecordType.SegmentHeader || type > RecordType.Seal) return null;
  if (payloadBytes > RECORD_PAYLOAD_BYTES_MAX) return null;
  const payloadEnd = offset + RECORD_HEADER_BYTES + payloadBytes;
  if (payloadEnd > bytes.length) return null;
  if (crc32c(bytes, offset + 8, payloadEnd) !== view.getUint32(offset + 4)) return null;
  const high = view.getUint32(offset + 16);
  if (high > 0x1f_ffff) return null;
  return {
    type: type as RecordType,
    flags: view.getUint8(offset + 9),
    batchSeq: high * 0x1_0000_0000 + view.getUint32(offset + 20),
    payloadStart: offset + RECORD_HEADER_BYTES,
    payloadEnd,
    nextOffset: offset + recordBytes(payloadBytes),
  };
}

/**
 * @param bytes A segment's bytes.
 * @param from Where to start (inclusive).
 * @returns One past the last non-zero byte at or after `from`, or `from` when all are zero.
 * @example
 * ```ts
 * import { nonZeroEnd } from "./_wal_format.ts";
 * console.log(nonZeroEnd(new Uint8Array([0, 5, 0, 0]), 0)); // 2
 * ```
 */
export function nonZeroEnd(bytes: Uint8Array, from: number): number {
  for (let i = bytes.length - 1; i >= from; i--) if (bytes[i] !== 0) return i + 1;
  return from;
}
