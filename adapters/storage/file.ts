/**
 * The file adapter: a segmented write-ahead log on `node:fs` (Deno, Bun and Node).
 *
 * - Records framed with length + CRC-32C (see `_wal_format.ts`); entries, hard states, truncations and
 *   compactions are all records, replayed on open.
 * - Segments are preallocated (filled with zeros and fsynced before use), so an append overwrites allocated
 *   blocks and its fdatasync flushes data only (no journal commit for a growing size): in the benchmark
 *   (bench/reports/storage.md) it synced faster than appending to a growing file in 5 runs of 6. The next segment is
 *   prepared in the background once the current one is half full.
 * - One write + one fdatasync per batch; writes queued meanwhile form the next batch (group commit).
 * - Segments entirely behind a compaction are deleted.
 * - On open: a torn final batch is dropped (and reported through `log`); any other bad checksum throws
 *   {@link CorruptionError}; {@link FileLogStorage.repair} may cut the log there.
 *
 * @module
 */

import { CorruptionError, StorageWriteError } from "../../src/ports/storage.ts";
import type { Entry } from "../../src/raft/types.ts";
import { assert } from "../../src/util/assert.ts";
import { ByteReader, ByteWriter, ENTRY_HEADER_BYTES, readEntry, writeHardState } from "./codec.ts";
import { fsyncDirectory, nodeFileSystem, writeFully } from "./fs_port.ts";
import type { FileSystem } from "./fs_port.ts";
import { CommittedLog, errorCode } from "./_committed_log.ts";
import type { LogOp } from "./_log_state.ts";
import {
  encodeRecord,
  markBatchEnd,
  parseRecord,
  RECORD_HEADER_BYTES,
  recordBytes,
  RecordType,
  writeEntryRecord,
} from "./_wal_format.ts";
import { listSegments, packLocation, recoverWal, segmentName } from "./_wal_recovery.ts";
import type { SegmentFile, WalRecovery } from "./_wal_recovery.ts";
import { SegmentPreparer } from "./_segment_preparer.ts";

/** Default segment size: large enough that preparing the next one is rare, small enough to delete promptly. */
export const SEGMENT_SIZE_BYTES_DEFAULT = 64 * 1024 * 1024;
/** The smallest segment size accepted (tests use small segments to exercise rolling). */
export const SEGMENT_SIZE_BYTES_MIN = 4096;
const SEAL_RECORD_BYTES = recordBytes(8);
const HEADER_RECORD_BYTES = recordBytes(8 + 24 + 16);
const TWO_POW_32 = 0x1_0000_0000;

/** How fdatasync runs: on the JS thread (lowest latency) or on the runtime's thread pool (event loop free). */
export type FsyncMode = "blocking" | "threadpool";

/** Options of {@link FileLogStorage.open}. */
export interface FileLogOptions {
  /** Bytes per segment (default {@link SEGMENT_SIZE_BYTES_DEFAULT}). */
  segmentSizeBytes?: number;
  /** Default "blocking"; see {@link FsyncMode}. */
  fsyncMode?: FsyncMode;
  /** File system calls (default `node:fs`); tests pass a fault-injecting wrapper. */
  fileSystem?: FileSystem;
  /** Where recovery reports go (default `console.warn`). */
  log?: (message: string) => void;
}

interface Segment {
  seq: number;
  path: string;
  fd: number;
  sizeBytes: number;
}

/**
 * A segmented WAL implementing {@link LogStorage}.
 *
 * @example
 * ```ts
 * import { FileLogStorage } from "./file.ts";
 * import { mkdtempSync, rmSync } from "node:fs";
 * const dir = mkdtempSync("/tmp/dengine-wal-");
 * const log = await FileLogStorage.open(dir, { segmentSizeBytes: 65536 });
 * await log.append([{ index: 1, term: 1, type: 0, data: new Uint8Array([7]) }]);
 * await log.close();
 * const reopened = await FileLogStorage.open(dir);
 * console.log(reopened.lastIndex()); // 1
 * await reopened.close();
 * rmSync(dir, { recursive: true });
 * ```
 */
export class FileLogStorage extends CommittedLog<number> {
  readonly #directory: string;
  readonly #fs: FileSystem;
  readonly #segmentSizeBytes: number;
  readonly #fsyncMode: FsyncMode;
  readonly #log: (message: string) => void;
  readonly #segments: Segment[] = [];
  #writeOffset = 0;
  #sealed = false;
  #lastBatchSeq = 0;
  #pendingZero: { offset: number; end: number } | null = null;
  readonly #preparer: SegmentPreparer;
  /** What recovery found on open (a torn tail, a repair). */
  readonly recovery: Pick<WalRecovery, "tornTail" | "repairCut">;

  private constructor(directory: string, recovery: WalRecovery, options: FileLogOptions) {
    super();
    this.#directory = directory;
    this.#fs = options.fileSystem ?? nodeFileSystem;
    this.#segmentSizeBytes = options.segmentSizeBytes ?? SEGMENT_SIZE_BYTES_DEFAULT;
    this.#fsyncMode = options.fsyncMode ?? "blocking";
    this.#log = options.log ?? ((message) => console.warn(message));
    this.state = recovery.state;
    this.#writeOffset = recovery.writeOffset;
    this.#sealed = recovery.lastSealed;
    this.#lastBatchSeq = recovery.lastBatchSeq;
    this.#pendingZero = recovery.pendingZero;
    this.recovery = { tornTail: recovery.tornTail, repairCut: recovery.repairCut };
    this.#preparer = new SegmentPreparer(this.#fs, directory, this.#segmentSizeBytes);
    this.resetProjection();
  }

  /**
   * Opens (creating if needed) the WAL in `directory` and recovers it.
   *
   * @param directory The WAL's own directory.
   * @param options See {@link FileLogOptions}.
   * @returns The open log.
   * @throws {CorruptionError} When the log is damaged anywhere but a torn tail.
   * @throws {RangeError} When `segmentSizeBytes` is below {@link SEGMENT_SIZE_BYTES_MIN} or beyond 4 GiB.
   */
  static open(directory: string, options: FileLogOptions = {}): Promise<FileLogStorage> {
    return Promise.resolve().then(() => FileLogStorage.#openSync(directory, options, "strict"));
  }

  static #openSync(directory: string, options: FileLogOptions, mode: "strict" | "repair"): FileLogStorage {
    const segmentSizeBytes = options.segmentSizeBytes ?? SEGMENT_SIZE_BYTES_DEFAULT;
    if (
      !Number.isInteger(segmentSizeBytes) || segmentSizeBytes < SEGMENT_SIZE_BYTES_MIN ||
      segmentSizeBytes >= TWO_POW_32
    ) {
      throw new RangeError(
        `Cannot open a WAL with segments of ${segmentSizeBytes} bytes: the size must be in [${SEGMENT_SIZE_BYTES_MIN}, 2^32)`,
      );
    }
    const fileSystem = options.fileSystem ?? nodeFileSystem;
    fileSystem.mkdirSync(directory);
    for (const name of fileSystem.readdirSync(directory)) {
      if (name.endsWith(".tmp")) fileSystem.unlinkSync(`${directory}/${name}`);
    }
    const recovery = recoverWal(directory, fileSystem, mode);
    const log = new FileLogStorage(directory, recovery, options);
    log.#openSegments(recovery.segments, recovery.repairCut?.droppedSegments ?? []);
    if (recovery.tornTail) {
      const { file, offsetBytes, bytes } = recovery.tornTail;
      log.#log(
        `dengine storage: dropped a torn final write in ${file} at offset ${offsetBytes} (${bytes} bytes, never ` +
          `acknowledged); the log now ends at entry ${log.lastIndex()}`,
      );
    }
    return log;
  }

  /**
   * Opens a WAL that {@link FileLogStorage.open} refused as corrupt, cutting the log at the first corruption:
   * everything from that record on (and every later segment) is dropped. Use only after deciding that losing
   * those entries is acceptable (e.g. the node can catch up from its peers).
   *
   * @param directory The WAL's directory.
   * @param options See {@link FileLogOptions}.
   * @returns The open log and a description of what was dropped (null when nothing was corrupt).
   * @throws {CorruptionError} When even the cut log is unusable (e.g. a compacted boundary without a term).
   */
  static repair(
    directory: string,
    options: FileLogOptions = {},
  ): Promise<{ log: FileLogStorage; dropped: string | null }> {
    return Promise.resolve().then(() => {
      const log = FileLogStorage.#openSync(directory, options, "repair");
      const cut = log.recovery.repairCut;
      if (cut === null) return { log, dropped: null };
      const segments = cut.droppedSegments.length === 0 ? "no later segment" : cut.droppedSegments.join(", ");
      const firstDropped = log.lastIndex() + 1;
      const dropped = `cut the log at ${cut.cutFile} offset ${cut.cutOffsetBytes} (the start of the batch ` +
        `holding the damage at offset ${cut.location.offsetBytes}): entries from index ${firstDropped} on were ` +
        `dropped, and ${segments}; the log now ends at entry ${log.lastIndex()} (cause: ${cut.problem})`;
      log.#log(`dengine storage: repair: ${dropped}`);
      return { log, dropped };
    });
  }

  #openSegments(segments: SegmentFile[], dropped: string[]): void {
    for (const path of dropped) this.#fs.unlinkSync(path);
    if (dropped.length > 0) fsyncDirectory(this.#fs, this.#directory);
    for (const segment of segments) {
      const fd = this.#fs.openSync(segment.path, "r+");
      this.#segments.push({
        seq: segment.seq,
        path: segment.path,
        fd,
        sizeBytes: this.#fs.fstatSizeBytes(fd),
      });
    }
  }

  protected readAt(index: number, location: number): Entry {
    const seq = Math.floor(location / TWO_POW_32);
    const offset = location % TWO_POW_32;
    const segment = this.#segments.find((candidate) => candidate.seq === seq);
    assert(segment !== undefined, () => `entry ${index} is in segment ${seq}, which is not open`);
    const header = new Uint8Array(RECORD_HEADER_BYTES);
    this.#fs.readSync(segment.fd, header, 0, RECORD_HEADER_BYTES, offset);
    const payloadBytes = new DataView(header.buffer).getUint32(0);
    const record = new Uint8Array(RECORD_HEADER_BYTES + payloadBytes);
    this.#fs.readSync(segment.fd, record, 0, record.length, offset);
    const parsed = parseRecord(record, 0);
    if (parsed === null || parsed.type !== RecordType.Entry) {
      throw new CorruptionError("a bad checksum on read", { file: segment.path, offsetBytes: offset, index });
    }
    return readEntry(new ByteReader(record, parsed.payloadStart, parsed.payloadEnd));
  }

  protected persist(ops: readonly LogOp[]): Promise<void> | void {
    const batchSeq = this.#lastBatchSeq + 1;
    const encoded = encodeBatch(ops, batchSeq);
    const current = this.#segments.at(-1);
    const fastPath = this.#fsyncMode === "blocking" && this.#pendingZero === null && current !== undefined &&
      !this.#sealed && this.#writeOffset > 0 &&
      this.#writeOffset + encoded.bytes.length + SEAL_RECORD_BYTES <= current.sizeBytes;
    // The common case stays synchronous: every await costs a turn of the microtask queue per append.
    if (fastPath) return this.#writeBatch(ops, current, encoded, batchSeq);
    return this.#persistSlowly(ops, encoded);
  }

  async #persistSlowly(ops: readonly LogOp[], encoded: EncodedBatch): Promise<void> {
    let batchSeq = this.#lastBatchSeq + 1;
    await this.#zeroPending();
    const { segment, needsHeader } = await this.#segmentWithRoom(encoded.bytes.length);
    if (this.#lastBatchSeq + 1 !== batchSeq) {
      batchSeq = this.#lastBatchSeq + 1;
      encoded = encodeBatch(ops, batchSeq);
    }
    if (needsHeader) this.#writeHeader(segment, batchSeq);
    if (this.#fsyncMode === "blocking") return this.#writeBatch(ops, segment, encoded, batchSeq);
    const base = this.#writeOffset;
    this.#writeAndSync(segment, encoded.bytes, base, `Cannot persist batch ${batchSeq}`, false);
    await this.#fdatasyncAsync(segment, base, encoded.bytes.length, batchSeq);
    this.#afterWrite(ops, segment, encoded, batchSeq, base);
  }

  #writeBatch(ops: readonly LogOp[], segment: Segment, encoded: EncodedBatch, batchSeq: number): void {
    const base = this.#writeOffset;
    this.#writeAndSync(segment, encoded.bytes, base, `Cannot persist batch ${batchSeq}`, true);
    this.#afterWrite(ops, segment, encoded, batchSeq, base);
  }

  /** The batch is durable at `base`: advance, index its entries, reclaim and prepare space. */
  #afterWrite(
    ops: readonly LogOp[],
    segment: Segment,
    encoded: EncodedBatch,
    batchSeq: number,
    base: number,
  ): void {
    this.#writeOffset = base + encoded.bytes.length;
    this.#lastBatchSeq = batchSeq;
    for (let i = 0; i < ops.length; i++) {
      const offsets = encoded.entryOffsets[i]!;
      this.state.apply(ops[i]!, (position) => packLocation(segment.seq, base + offsets[position]!));
    }
    if (ops.some((op) => op.kind === "compact")) this.#deleteObsoleteSegments();
    // Past half of the segment, prepare the next one while this one fills.
    if (this.#writeOffset * 2 > segment.sizeBytes) this.#preparer.prepareAhead(segment.seq + 1);
  }

  /** Writes at `offset` and (in blocking mode) syncs; on failure remembers to zero what may have landed. */
  #writeAndSync(segment: Segment, bytes: Uint8Array, offset: number, action: string, syncNow: boolean): void {
    try {
      writeFully(this.#fs, segment.fd, bytes, offset);
      if (syncNow) this.#fs.fdatasyncSync(segment.fd);
    } catch (error) {
      this.#pendingZero = { offset, end: offset + bytes.length };
      throw new StorageWriteError(
        `${action} to ${segment.path} at offset ${offset}`,
        errorCode(error),
        error,
      );
    }
  }

  #fdatasyncAsync(segment: Segment, offset: number, length: number, batchSeq: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#fs.fdatasync(segment.fd, (error) => {
        if (error === null) return resolve();
        this.#pendingZero = { offset, end: offset + length };
        reject(
          new StorageWriteError(`Cannot sync batch ${batchSeq} of ${segment.path}`, errorCode(error), error),
        );
      });
    });
  }

  /** Zeroes the remains of a torn or failed write before anything new is written after them. */
  #zeroPending(): Promise<void> {
    const pending = this.#pendingZero;
    const segment = this.#segments.at(-1);
    if (pending === null || segment === undefined) return Promise.resolve();
    assert(
      pending.offset === this.#writeOffset,
      () => `zeroing at ${pending.offset}, writing at ${this.#writeOffset}`,
    );
    const end = Math.min(pending.end, segment.sizeBytes);
    if (end > pending.offset) {
      this.#writeAndSync(
        segment,
        new Uint8Array(end - pending.offset),
        pending.offset,
        "Cannot clear a failed write",
        true,
      );
    }
    this.#pendingZero = null;
    return Promise.resolve();
  }

  /** The segment the batch goes to: the current one, or a new one after sealing the current. */
  async #segmentWithRoom(batchBytes: number): Promise<{ segment: Segment; needsHeader: boolean }> {
    const current = this.#segments.at(-1);
    if (current && !this.#sealed) {
      const headerBytes = this.#writeOffset === 0 ? HEADER_RECORD_BYTES : 0;
      if (this.#writeOffset + headerBytes + batchBytes + SEAL_RECORD_BYTES <= current.sizeBytes) {
        return { segment: current, needsHeader: headerBytes > 0 };
      }
      if (this.#writeOffset > 0) this.#seal(current);
      else this.#dropEmptySegment(current);
    }
    return { segment: await this.#createSegment(batchBytes), needsHeader: true };
  }

  /** An empty segment too small for a huge batch is replaced by a bigger one with the same number. */
  #dropEmptySegment(segment: Segment): void {
    try {
      this.#fs.unlinkSync(segment.path);
    } catch (error) {
      throw new StorageWriteError(
        `Cannot replace the empty segment ${segment.path}`,
        errorCode(error),
        error,
      );
    }
    this.#segments.pop();
    this.#fs.closeSync(segment.fd);
  }

  /** The seal takes its own batch number so the batch after it stays consecutive. */
  #seal(segment: Segment): void {
    const batchSeq = this.#lastBatchSeq + 1;
    const writer = new ByteWriter(SEAL_RECORD_BYTES);
    const at = encodeRecord(writer, RecordType.Seal, batchSeq, (w) => w.u64(segment.seq));
    markBatchEnd(writer.buffer(), at);
    this.#writeAndSync(segment, writer.finish(), this.#writeOffset, `Cannot seal ${segment.path}`, true);
    this.#writeOffset += SEAL_RECORD_BYTES;
    this.#lastBatchSeq = batchSeq;
    this.#sealed = true;
  }

  async #createSegment(batchBytes: number): Promise<Segment> {
    const seq = (this.#segments.at(-1)?.seq ?? 0) + 1;
    const sizeBytes = Math.max(this.#segmentSizeBytes, HEADER_RECORD_BYTES + batchBytes + SEAL_RECORD_BYTES);
    const path = `${this.#directory}/${segmentName(seq)}`;
    try {
      const tmpPath = await this.#preparer.take(seq, sizeBytes);
      this.#fs.renameSync(tmpPath, path);
      fsyncDirectory(this.#fs, this.#directory);
      const fd = this.#fs.openSync(path, "r+");
      const segment = { seq, path, fd, sizeBytes };
      this.#segments.push(segment);
      this.#writeOffset = 0;
      this.#sealed = false;
      this.#pendingZero = null;
      return segment;
    } catch (error) {
      throw new StorageWriteError(
        `Cannot create WAL segment ${path} (${sizeBytes} bytes)`,
        errorCode(error),
        error,
      );
    }
  }

  /** The header is written in front of the batch's records, with the batch's number, by the same sync. */
  #writeHeader(segment: Segment, batchSeq: number): void {
    const writer = new ByteWriter(HEADER_RECORD_BYTES);
    encodeRecord(writer, RecordType.SegmentHeader, batchSeq, (w) => {
      w.u64(segment.seq);
      writeHardState(w, this.state.hardState);
      w.u64(this.state.compactIndex);
      w.u64(this.state.compactTerm);
    });
    try {
      writeFully(this.#fs, segment.fd, writer.finish(), 0);
    } catch (error) {
      this.#pendingZero = { offset: 0, end: HEADER_RECORD_BYTES };
      throw new StorageWriteError(`Cannot write the header of ${segment.path}`, errorCode(error), error);
    }
    this.#writeOffset = HEADER_RECORD_BYTES;
  }

  /**
   * Deletes, oldest first, the segments before the one holding the first live entry. Runs after the batch is
   * durable, so a failure here must not fail the batch: it is logged and retried after the next compaction.
   */
  #deleteObsoleteSegments(): void {
    const current = this.#segments.at(-1)!;
    const firstLive = this.state.lastIndex() >= this.state.firstIndex()
      ? Math.floor(this.state.location(this.state.firstIndex()) / TWO_POW_32)
      : current.seq;
    while (this.#segments.length > 1 && this.#segments[0]!.seq < firstLive) {
      const oldest = this.#segments[0]!;
      try {
        this.#fs.unlinkSync(oldest.path);
      } catch (error) {
        this.#log(
          `dengine storage: cannot delete ${oldest.path} behind compaction (will retry): ${String(error)}`,
        );
        break;
      }
      this.#segments.shift();
      this.#fs.closeSync(oldest.fd);
      // One sync per deletion keeps them in order on disk: recovery reads a gap in the numbers as corruption.
      try {
        fsyncDirectory(this.#fs, this.#directory);
      } catch (error) {
        this.#log(
          `dengine storage: cannot sync ${this.#directory} after deleting ${oldest.path}: ${String(error)}`,
        );
      }
    }
  }

  protected async closeResources(): Promise<void> {
    await this.#preparer.close();
    for (const segment of this.#segments) this.#fs.closeSync(segment.fd);
    this.#segments.length = 0;
  }

  /** @returns The segment files currently in use, oldest first. */
  segmentPaths(): string[] {
    return listSegments(this.#directory, this.#fs).map((segment) => segment.path);
  }
}

/** A batch's records; `entryOffsets[i][j]` is the offset of entry j of op i within `bytes`. */
interface EncodedBatch {
  bytes: Uint8Array;
  entryOffsets: number[][];
}

function encodeBatch(ops: readonly LogOp[], batchSeq: number): EncodedBatch {
  let entryBytes = 0;
  for (const op of ops) {
    if (op.kind !== "entries") continue;
    for (const entry of op.entries) entryBytes += recordBytes(ENTRY_HEADER_BYTES + entry.data.byteLength);
  }
  const writer = new ByteWriter(entryBytes + 64 * ops.length);
  const entryOffsets: number[][] = [];
  let last = 0;
  for (const op of ops) {
    const offsets: number[] = [];
    if (op.kind === "entries") {
      writer.ensure(entryBytes);
      const bytes = writer.buffer();
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let offset = writer.offset;
      for (const entry of op.entries) {
        offsets.push(offset);
        last = offset;
        offset = writeEntryRecord(bytes, view, offset, entry, batchSeq);
      }
      writer.offset = offset;
    } else {
      last = encodeControlRecord(writer, op, batchSeq);
    }
    entryOffsets.push(offsets);
  }
  markBatchEnd(writer.buffer(), last);
  return { bytes: writer.finish(), entryOffsets };
}

function encodeControlRecord(
  writer: ByteWriter,
  op: Exclude<LogOp, { kind: "entries" }>,
  batchSeq: number,
): number {
  switch (op.kind) {
    case "hardState":
      return encodeRecord(writer, RecordType.HardState, batchSeq, (w) => writeHardState(w, op.hardState));
    case "truncate":
      return encodeRecord(writer, RecordType.Truncate, batchSeq, (w) => w.u64(op.fromIndex));
    case "compact":
      return encodeRecord(writer, RecordType.Compact, batchSeq, (w) => {
        w.u64(op.index);
        w.u64(op.term);
        w.u8(op.discardAll ? 1 : 0);
      });
  }
}
