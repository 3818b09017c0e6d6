/**
 * Recovery of the file WAL: replays every segment into a {@link LogState}, drops a torn final batch, and
 * reports any other damage as a {@link CorruptionError} (or, in repair mode, cuts the log there).
 *
 * Torn versus corrupt: batches are written one at a time, each followed by fdatasync, so only the last batch of
 * the last segment can be incomplete after a crash. Damage followed by an intact record of a LATER batch means a
 * synced batch was damaged: corruption. Damage followed by nothing newer is a torn tail.
 *
 * @module
 */

import { CorruptionError } from "../../src/ports/storage.ts";
import { ByteReader, readEntry, readHardState } from "./codec.ts";
import type { FileSystem } from "./fs_port.ts";
import { LogState } from "./_log_state.ts";
import { FLAG_BATCH_END, nonZeroEnd, parseRecord, RECORD_ALIGN_BYTES, RecordType } from "./_wal_format.ts";
import type { ParsedRecord } from "./_wal_format.ts";

/** A segment file. */
export interface SegmentFile {
  seq: number;
  name: string;
  path: string;
}

/** What recovery found. */
export interface WalRecovery {
  state: LogState<number>;
  segments: SegmentFile[];
  /** Where the next record goes in the last segment. */
  writeOffset: number;
  lastSealed: boolean;
  lastBatchSeq: number;
  /** Bytes of the last segment to zero before the next write (a torn tail's remains). */
  pendingZero: { offset: number; end: number } | null;
  /** Set when a torn final record was dropped. */
  tornTail: { file: string; offsetBytes: number; bytes: number } | null;
  /** Set in repair mode when the log was cut: what was dropped. */
  repairCut: {
    location: CorruptionError["location"];
    cutFile: string;
    cutOffsetBytes: number;
    droppedSegments: string[];
    problem: string;
  } | null;
}

/** Term marker for a compacted boundary whose term comes from a later record (see `replayEntry`). */
const TERM_UNKNOWN = -1;
const TWO_POW_32 = 0x1_0000_0000;
const SEGMENT_NAME = /^wal-([0-9a-f]{16})\.seg$/;

/**
 * @param seq A segment number.
 * @returns Its file name.
 * @example
 * ```ts
 * import { segmentName } from "./_wal_recovery.ts";
 * console.log(segmentName(1)); // "wal-0000000000000001.seg"
 * ```
 */
export function segmentName(seq: number): string {
  return `wal-${seq.toString(16).padStart(16, "0")}.seg`;
}

/**
 * @param seq Segment number (< 2^21).
 * @param offset Byte offset (< 2^32).
 * @returns Both packed in one safe integer.
 * @example
 * ```ts
 * import { packLocation } from "./_wal_recovery.ts";
 * console.log(packLocation(1, 8)); // 4294967304
 * ```
 */
export function packLocation(seq: number, offset: number): number {
  return seq * TWO_POW_32 + offset;
}

/**
 * @param directory The WAL directory.
 * @param fileSystem The file system.
 * @returns Its segment files, oldest first.
 * @example
 * ```ts
 * import { listSegments } from "./_wal_recovery.ts";
 * import { nodeFileSystem } from "./fs_port.ts";
 * console.log(listSegments("/tmp", nodeFileSystem).length >= 0); // true
 * ```
 */
export function listSegments(directory: string, fileSystem: FileSystem): SegmentFile[] {
  const segments: SegmentFile[] = [];
  for (const name of fileSystem.readdirSync(directory)) {
    const match = SEGMENT_NAME.exec(name);
    if (match) segments.push({ seq: parseInt(match[1]!, 16), name, path: `${directory}/${name}` });
  }
  return segments.sort((a, b) => a.seq - b.seq);
}

interface ScanState {
  state: LogState<number>;
  first: boolean;
  gapAllowed: boolean;
  /** Number of the last complete batch replayed. */
  lastSeq: number;
  sealed: boolean;
  /** End of the last complete batch in the current segment. */
  committedOffset: number;
  /** Entry records of the incomplete batch being read (for the index a corruption report names). */
  pendingEntries: number;
  /** Set when an intact record broke the log's rules while its batch was being applied (repair cannot cut). */
  halfApplied: boolean;
}

/**
 * Replays the WAL in `directory`.
 *
 * @param directory The WAL directory.
 * @param fileSystem The file system.
 * @param mode "strict" throws on corruption; "repair" cuts the log at the first corruption.
 * @returns What was recovered.
 * @throws {CorruptionError} In strict mode, on damage other than a torn tail.
 * @example
 * ```ts
 * import { recoverWal } from "./_wal_recovery.ts";
 * import { nodeFileSystem } from "./fs_port.ts";
 * import { mkdtempSync, rmSync } from "node:fs";
 * const dir = mkdtempSync("/tmp/dengine-recover-");
 * console.log(recoverWal(dir, nodeFileSystem, "strict").state.lastIndex()); // 0
 * rmSync(dir, { recursive: true });
 * ```
 */
export function recoverWal(
  directory: string,
  fileSystem: FileSystem,
  mode: "strict" | "repair",
): WalRecovery {
  const segments = listSegments(directory, fileSystem);
  const scan: ScanState = {
    state: new LogState<number>(),
    first: true,
    gapAllowed: true,
    lastSeq: 0,
    sealed: false,
    committedOffset: 0,
    pendingEntries: 0,
    halfApplied: false,
  };
  const result: WalRecovery = {
    state: scan.state,
    segments: [],
    writeOffset: 0,
    lastSealed: false,
    lastBatchSeq: 0,
    pendingZero: null,
    tornTail: null,
    repairCut: null,
  };
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const previous = segments[i - 1];
    if (previous && previous.seq + 1 !== segment.seq) {
      const missing = segmentName(previous.seq + 1);
      throw new CorruptionError(`segment ${missing} is missing`, {
        file: `${directory}/${missing}`,
        offsetBytes: 0,
        index: scan.state.lastIndex() + 1,
      });
    }
    const bytes = fileSystem.readFileSync(segment.path);
    const isLast = i === segments.length - 1;
    try {
      result.segments.push(segment);
      scan.sealed = false;
      const stop = scanSegment(bytes, segment, scan);
      result.writeOffset = scan.committedOffset;
      finishSegment(bytes, segment, stop, scan, isLast, result);
    } catch (error) {
      if (!(error instanceof CorruptionError) || mode === "strict" || scan.halfApplied) throw error;
      cutForRepair(error, bytes, scan, segments.slice(i + 1), result);
      break;
    }
  }
  result.lastSealed = scan.sealed;
  result.lastBatchSeq = scan.lastSeq;
  if (scan.state.compactTerm === TERM_UNKNOWN) {
    throw new CorruptionError(
      `entries up to ${scan.state.compactIndex} are missing and no compaction covers them (a lost segment)`,
      { file: segments[0]?.path ?? directory, offsetBytes: 0, index: scan.state.compactIndex },
    );
  }
  return result;
}

function cutForRepair(
  error: CorruptionError,
  bytes: Uint8Array,
  scan: ScanState,
  later: SegmentFile[],
  result: WalRecovery,
): void {
  const offset = scan.committedOffset;
  scan.sealed = false;
  result.writeOffset = offset;
  result.pendingZero = { offset, end: Math.max(offset, nonZeroEnd(bytes, offset)) };
  result.repairCut = {
    location: error.location,
    cutFile: result.segments.at(-1)!.path,
    cutOffsetBytes: offset,
    droppedSegments: later.map((segment) => segment.path),
    problem: error.message,
  };
}

/**
 * Replays intact records from the start of a segment, one whole batch at a time (a batch counts only once its
 * last record is intact, so recovery never keeps half a batch). Returns where the intact records stop.
 */
function scanSegment(bytes: Uint8Array, segment: SegmentFile, scan: ScanState): number {
  let offset = 0;
  let pending: { record: ParsedRecord; offset: number }[] = [];
  scan.committedOffset = 0;
  scan.pendingEntries = 0;
  for (;;) {
    const record = parseRecord(bytes, offset);
    if (record === null) return offset;
    // A new batch must be newer than the last one (older ones are the stale remains of a failed write); a
    // batch in progress must go on with the same number.
    if (
      pending.length === 0 ? record.batchSeq <= scan.lastSeq : record.batchSeq !== pending[0]!.record.batchSeq
    ) {
      return offset;
    }
    if (offset === 0 && record.type !== RecordType.SegmentHeader) {
      throw corruptAt(
        segment,
        offset,
        scan,
        `the segment does not start with a header (record type ${record.type})`,
      );
    }
    pending.push({ record, offset });
    if (record.type === RecordType.Entry) scan.pendingEntries++;
    if ((record.flags & FLAG_BATCH_END) !== 0) {
      scan.pendingEntries = 0;
      for (const item of pending) replayChecked(bytes, item.record, segment, item.offset, scan);
      pending = [];
      scan.lastSeq = record.batchSeq;
      scan.committedOffset = record.nextOffset;
    }
    offset = record.nextOffset;
  }
}

function replayChecked(
  bytes: Uint8Array,
  record: ParsedRecord,
  segment: SegmentFile,
  offset: number,
  scan: ScanState,
) {
  try {
    replayRecord(bytes, record, segment, offset, scan);
  } catch (error) {
    scan.halfApplied = true;
    if (error instanceof CorruptionError) throw error;
    throw corruptAt(segment, offset, scan, `a record breaks the log's rules (${(error as Error).message})`);
  }
}

function corruptAt(segment: SegmentFile, offset: number, scan: ScanState, problem: string): CorruptionError {
  const index = scan.state.lastIndex() + 1 + scan.pendingEntries;
  return new CorruptionError(problem, { file: segment.path, offsetBytes: offset, index });
}

/** Decides what the bytes after the last intact record (at `stop`) mean. */
function finishSegment(
  bytes: Uint8Array,
  segment: SegmentFile,
  stop: number,
  scan: ScanState,
  isLast: boolean,
  result: WalRecovery,
): void {
  const committed = scan.committedOffset;
  const garbageEnd = nonZeroEnd(bytes, committed);
  if (!isLast) {
    if (!scan.sealed || stop !== committed) {
      throw corruptAt(segment, stop, scan, "a bad or missing record before the end of a full segment");
    }
    return;
  }
  const damagedBatch = scan.lastSeq + 1;
  for (let offset = stop + RECORD_ALIGN_BYTES; offset < garbageEnd; offset += RECORD_ALIGN_BYTES) {
    const record = parseRecord(bytes, offset);
    if (record !== null && record.batchSeq > damagedBatch) {
      throw corruptAt(
        segment,
        stop,
        scan,
        `a bad checksum (or zeroed record) before intact batch ${record.batchSeq} at offset ${offset}`,
      );
    }
  }
  if (garbageEnd > committed) {
    result.pendingZero = { offset: committed, end: garbageEnd };
    result.tornTail = { file: segment.path, offsetBytes: committed, bytes: garbageEnd - committed };
  }
}

function replayRecord(
  bytes: Uint8Array,
  record: ParsedRecord,
  segment: SegmentFile,
  offset: number,
  scan: ScanState,
): void {
  const reader = new ByteReader(bytes, record.payloadStart, record.payloadEnd);
  const state = scan.state;
  switch (record.type) {
    case RecordType.SegmentHeader: {
      const seq = reader.u64();
      const hardState = readHardState(reader);
      const compactIndex = reader.u64();
      const compactTerm = reader.u64();
      if (seq !== segment.seq) throw corruptAt(segment, offset, scan, `the header names segment ${seq}`);
      if (scan.first) {
        state.hardState = hardState;
        state.compact(compactIndex, compactTerm, true);
        scan.first = false;
      } else if (
        hardState.term !== state.hardState.term || hardState.vote !== state.hardState.vote ||
        hardState.commit !== state.hardState.commit
      ) {
        throw corruptAt(
          segment,
          offset,
          scan,
          "the segment header disagrees with the previous segment's hard state",
        );
      }
      return;
    }
    case RecordType.Entry:
      return replayEntry(reader, segment, offset, scan);
    case RecordType.HardState:
      state.hardState = readHardState(reader);
      return;
    case RecordType.Truncate: {
      const fromIndex = reader.u64();
      if (fromIndex <= state.compactIndex) {
        throw new RangeError(`truncation from ${fromIndex} into the compacted prefix`);
      }
      state.truncate(fromIndex);
      return;
    }
    case RecordType.Compact: {
      const index = reader.u64();
      const term = reader.u64();
      const discardAll = reader.u8() === 1;
      if (state.compactTerm === TERM_UNKNOWN && index === state.compactIndex) state.compactTerm = term;
      else state.compact(index, term, discardAll);
      return;
    }
    case RecordType.Seal:
      scan.sealed = true;
      return;
  }
}

/**
 * Entries before the first one in the oldest kept segment may have lived in segments deleted after a
 * compaction; the compaction record that allowed the deletion comes later and supplies the boundary's term.
 */
function replayEntry(
  reader: ByteReader,
  segment: SegmentFile,
  offset: number,
  scan: ScanState,
): void {
  const entry = readEntry(reader);
  const state = scan.state;
  if (entry.index <= state.compactIndex) {
    throw new RangeError(`entry ${entry.index} is in the compacted prefix`);
  }
  if (entry.index > state.lastIndex() + 1) {
    if (!scan.gapAllowed) throw new RangeError(`entry ${entry.index} follows ${state.lastIndex()}: a hole`);
    state.compact(entry.index - 1, TERM_UNKNOWN, true);
  }
  scan.gapAllowed = false;
  const previousTerm = entry.index - 1 === state.compactIndex
    ? state.compactTerm
    : state.term(entry.index - 1);
  if (entry.term < previousTerm) {
    throw new RangeError(`entry ${entry.index} has term ${entry.term} < ${previousTerm}`);
  }
  state.appendOne(entry.index, entry.term, packLocation(segment.seq, offset));
}
