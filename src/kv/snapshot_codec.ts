/**
 * The snapshot codec: the whole replicated state of a store (revisions, history since the compaction,
 * leases, the dedup table) in a compact binary form with a checksum.
 *
 * Layout: magic "DKVS", version, then the header numbers, base entries (each key's last revision below the
 * compact revision), the change log (revisions at or above it; a put's modRevision is its record's
 * revision, a delete carries only its key), leases, dedup entries, and a trailing FNV-1a checksum.
 *
 * @module
 */

import { ByteReader, ByteWriter, checksum32 } from "./byte_codec.ts";
import { EMPTY_BYTES } from "./bytes.ts";
import type { CommandResponse } from "./commands.ts";
import type { DedupEntry } from "./dedup.ts";
import type { RevisionEvent, RevisionRecord } from "./mvcc.ts";
import type { KeyValue } from "./types.ts";
import { readPlainValue, writePlainValue } from "./value_codec.ts";

const MAGIC = [0x44, 0x4b, 0x56, 0x53]; // "DKVS"
const SNAPSHOT_VERSION = 1;
const CHECKSUM_BYTES = 4;

/** A lease as snapshotted (its keys are derived from the key-values). */
export interface LeaseState {
  id: number;
  ttlSeconds: number;
  remainingTtlMs: number;
}

/** Everything a snapshot holds. */
export interface SnapshotState {
  appliedIndex: number;
  currentRevision: number;
  compactRevision: number;
  leaseIdNext: number;
  base: KeyValue[];
  records: RevisionRecord[];
  leases: LeaseState[];
  dedup: DedupEntry<CommandResponse>[];
}

/**
 * Encodes a snapshot.
 *
 * @param state The state.
 * @returns The bytes.
 * @example
 * ```ts
 * import { decodeSnapshot, encodeSnapshot } from "./snapshot_codec.ts";
 * const bytes = encodeSnapshot({
 *   appliedIndex: 0, currentRevision: 1, compactRevision: 0, leaseIdNext: 1, base: [], records: [], leases: [], dedup: [],
 * });
 * console.log(decodeSnapshot(bytes).currentRevision); // 1
 * ```
 */
export function encodeSnapshot(state: SnapshotState): Uint8Array {
  const writer = new ByteWriter(4096);
  for (const byte of MAGIC) writer.byte(byte);
  writer.byte(SNAPSHOT_VERSION);
  writer.uint(state.appliedIndex);
  writer.uint(state.currentRevision);
  writer.uint(state.compactRevision);
  writer.uint(state.leaseIdNext);
  writer.uint(state.base.length);
  for (const kv of state.base) writeKv(writer, kv);
  writer.uint(state.records.length);
  for (const record of state.records) writeRecord(writer, record);
  writer.uint(state.leases.length);
  for (const lease of state.leases) {
    writer.uint(lease.id);
    writer.uint(lease.ttlSeconds);
    writer.uint(lease.remainingTtlMs);
  }
  writer.uint(state.dedup.length);
  for (const entry of state.dedup) {
    writer.uint(entry.clientId);
    writer.uint(entry.sequence);
    writer.uint(entry.index);
    writePlainValue(writer, entry.response);
  }
  const body = writer.finish();
  const sum = checksum32(body);
  const out = new Uint8Array(body.length + CHECKSUM_BYTES);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, sum, true);
  return out;
}

/**
 * Decodes a snapshot.
 *
 * @param bytes The bytes.
 * @returns The state.
 * @throws {CodecError} For a bad magic, version or checksum, or malformed content.
 * @example
 * ```ts
 * import { decodeSnapshot } from "./snapshot_codec.ts";
 * try { decodeSnapshot(new Uint8Array(3)); } catch (error) { console.log((error as Error).name); } // "CodecError"
 * ```
 */
export function decodeSnapshot(bytes: Uint8Array): SnapshotState {
  const outer = new ByteReader(bytes, "snapshot");
  if (bytes.length < MAGIC.length + 1 + CHECKSUM_BYTES) throw outer.fail("too short for a snapshot");
  const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES);
  const sum = new DataView(bytes.buffer, bytes.byteOffset + body.length, CHECKSUM_BYTES).getUint32(0, true);
  const reader = new ByteReader(body, "snapshot");
  for (const byte of MAGIC) {
    if (reader.byte() !== byte) throw reader.fail("not a dengine kv snapshot (bad magic)");
  }
  const version = reader.byte();
  if (version !== SNAPSHOT_VERSION) throw reader.fail(`unknown snapshot version ${version}`);
  if (checksum32(body) !== sum) throw reader.fail("checksum mismatch: the snapshot is corrupt");
  const state: SnapshotState = {
    appliedIndex: reader.uint(),
    currentRevision: reader.uint(),
    compactRevision: reader.uint(),
    leaseIdNext: reader.uint(),
    base: [],
    records: [],
    leases: [],
    dedup: [],
  };
  const baseCount = reader.count(6);
  for (let i = 0; i < baseCount; i++) state.base.push(readKv(reader));
  const recordCount = reader.count(2);
  for (let i = 0; i < recordCount; i++) state.records.push(readRecord(reader));
  const leaseCount = reader.count(3);
  for (let i = 0; i < leaseCount; i++) {
    state.leases.push({ id: reader.uint(), ttlSeconds: reader.uint(), remainingTtlMs: reader.uint() });
  }
  const dedupCount = reader.count(4);
  for (let i = 0; i < dedupCount; i++) {
    const clientId = reader.uint();
    const sequence = reader.uint();
    const index = reader.uint();
    const response = readPlainValue(reader) as unknown as CommandResponse;
    state.dedup.push({ clientId, sequence, index, response });
  }
  reader.end();
  return state;
}

function writeKv(writer: ByteWriter, kv: KeyValue): void {
  writer.bytes(kv.key);
  writer.uint(kv.createRevision);
  writer.uint(kv.modRevision);
  writer.uint(kv.version);
  writer.bytes(kv.value);
  writer.uint(kv.lease);
}

function readKv(reader: ByteReader): KeyValue {
  return {
    key: reader.bytes(),
    createRevision: reader.uint(),
    modRevision: reader.uint(),
    version: reader.uint(),
    value: reader.bytes(),
    lease: reader.uint(),
  };
}

function writeRecord(writer: ByteWriter, record: RevisionRecord): void {
  writer.uint(record.revision);
  writer.uint(record.events.length);
  for (const event of record.events) {
    writer.byte(event.type === "put" ? 1 : 0);
    writer.bytes(event.kv.key);
    if (event.type === "put") {
      writer.uint(event.kv.createRevision);
      writer.uint(event.kv.version);
      writer.bytes(event.kv.value);
      writer.uint(event.kv.lease);
    }
  }
}

function readRecord(reader: ByteReader): RevisionRecord {
  const revision = reader.uint();
  const count = reader.count(2);
  const events: RevisionEvent[] = [];
  for (let i = 0; i < count; i++) {
    const type = reader.byte();
    const key = reader.bytes();
    if (type === 0) {
      events.push({
        type: "delete",
        kv: { key, createRevision: 0, modRevision: revision, version: 0, value: EMPTY_BYTES, lease: 0 },
      });
    } else if (type === 1) {
      const createRevision = reader.uint();
      const version = reader.uint();
      const value = reader.bytes();
      events.push({
        type: "put",
        kv: { key, createRevision, modRevision: revision, version, value, lease: reader.uint() },
      });
    } else {
      throw reader.fail(`unknown event type ${type}`);
    }
  }
  return { revision, events };
}
