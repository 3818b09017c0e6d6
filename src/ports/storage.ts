/**
 * Storage ports: the durable Raft log (entries + hard state) and the snapshot store.
 *
 * The Raft core never touches these: on open the engine reads the recovered log from a {@link LogStorage}
 * into the core's in-memory `MemoryStorage`, then writes every Ready through the port. Rules every adapter
 * keeps (the conformance suite in `tests/conformance/storage.ts` checks them):
 *
 * - No holes: the log is the entries `firstIndex() .. lastIndex()`, consecutive, nothing missing; entry `i`
 *   has index `i`. Before the first entry sits the compacted prefix, summarised by `term(firstIndex() - 1)`.
 * - Durable before resolve: a promise returned by {@link LogStorage.append}, {@link LogStorage.saveHardState},
 *   {@link LogStorage.truncateSuffix}, {@link LogStorage.compact}, {@link LogStorage.resetToSnapshot} or
 *   {@link SnapshotStorage.save} resolves only once the change survives a crash (fsync or equivalent).
 * - Ordered: writes take effect in call order. Calls made without awaiting the previous one are allowed and are
 *   group-committed (many calls, one fsync); if one fails, it and every write queued after it reject, and
 *   nothing of them is visible.
 * - Reads are synchronous and see only durable (resolved) writes.
 * - A failed write (full disk, read-only directory) rejects with {@link StorageWriteError}; nothing already
 *   durable is damaged, reads go on, and a later write succeeds once the cause is gone.
 * - Recovery on open: a torn final record (a crash mid-write) is dropped and reported; a bad checksum anywhere
 *   else is a {@link CorruptionError} and the storage refuses to open.
 *
 * @module
 */

import type { Entry, HardState, Snapshot } from "../raft/types.ts";

/** What a durable log holds after open, for loading into the core's MemoryStorage. */
export interface RecoveredLog {
  hardState: HardState;
  /** The first index in the log; `lastIndex + 1` when the log is empty. */
  firstIndex: number;
  lastIndex: number;
  /** Term of `firstIndex - 1` (the last compacted entry, or a snapshot's last included entry); 0 at the start. */
  compactedTerm: number;
}

/**
 * The durable Raft log and hard state. See the module doc for the rules every adapter keeps.
 *
 * @example
 * ```ts
 * import type { LogStorage } from "./storage.ts";
 * async function persistReady(log: LogStorage): Promise<void> {
 *   // both writes share one fsync; each promise resolves once durable
 *   await Promise.all([
 *     log.append([{ index: log.lastIndex() + 1, term: 1, type: 0, data: new Uint8Array([1]) }]),
 *     log.saveHardState({ term: 1, vote: 1, commit: 0 }),
 *   ]);
 * }
 * ```
 */
export interface LogStorage {
  /** @returns The state recovered at open, updated by every durable write since. */
  recovered(): RecoveredLog;
  /** @returns The first index still in the log (compacted prefix excluded). */
  firstIndex(): number;
  /** @returns The last index (`firstIndex() - 1` when empty). */
  lastIndex(): number;
  /**
   * @param index In `firstIndex() - 1 .. lastIndex()`.
   * @returns The term of the entry at `index` (of the compacted boundary for `firstIndex() - 1`).
   * @throws {RangeError} Outside that range.
   */
  term(index: number): number;
  /**
   * Reads entries `[lo, hi)`, stopping before the total `data.byteLength` would exceed `maxSizeBytes`, but always
   * returning at least one entry when `lo < hi`.
   *
   * @param lo First index, `>= firstIndex()`.
   * @param hi One past the last index, `<= lastIndex() + 1`.
   * @param maxSizeBytes Byte budget for the data of the returned entries.
   * @returns The entries, consecutive from `lo`.
   * @throws {RangeError} When the range is outside the log.
   */
  entries(lo: number, hi: number, maxSizeBytes: number): Entry[];
  /** @returns The last durable hard state (all zeros on a fresh log). */
  hardState(): HardState;
  /**
   * Appends consecutive entries. `entries[0].index` may be `<= lastIndex()`: the conflicting suffix from there
   * on is replaced (Raft's truncate-on-conflict). It must be `> firstIndex() - 1` and `<= lastIndex() + 1`
   * (counting writes still queued): no holes.
   *
   * @param entries At least one entry; indexes consecutive, terms non-decreasing.
   * @returns Resolves once the entries are durable.
   * @throws {RangeError} Synchronously-rejected promise when the entries would leave a hole or are malformed.
   * @throws {StorageWriteError} When the disk refuses the write.
   */
  append(entries: readonly Entry[]): Promise<void>;
  /**
   * Saves term, vote and commit.
   *
   * @param hardState The new hard state.
   * @returns Resolves once the hard state is durable.
   * @throws {StorageWriteError} When the disk refuses the write.
   */
  saveHardState(hardState: HardState): Promise<void>;
  /**
   * Drops every entry with index `>= fromIndex`.
   *
   * @param fromIndex In `firstIndex() .. lastIndex() + 1` (the latter drops nothing).
   * @returns Resolves once the truncation is durable.
   * @throws {RangeError} When `fromIndex` would cut into the compacted prefix or leave a hole.
   */
  truncateSuffix(fromIndex: number): Promise<void>;
  /**
   * Drops every entry with index `<= throughIndex` (they are covered by a snapshot). Already-compacted indexes
   * are a no-op.
   *
   * @param throughIndex `<= lastIndex()`.
   * @returns Resolves once the compaction is durable; the space is reclaimed after.
   * @throws {RangeError} When `throughIndex > lastIndex()`.
   */
  compact(throughIndex: number): Promise<void>;
  /**
   * Discards the whole log and restarts it after a snapshot received from the leader: afterwards
   * `firstIndex() === index + 1`, `lastIndex() === index`, `term(index) === term`.
   *
   * @param index The snapshot's last included index, `> firstIndex() - 1`.
   * @param term The snapshot's last included term.
   * @returns Resolves once durable.
   * @throws {RangeError} When the snapshot is older than the compacted prefix.
   */
  resetToSnapshot(index: number, term: number): Promise<void>;
  /**
   * Waits for queued writes, then releases files. Later calls reject.
   *
   * @returns Resolves once closed.
   */
  close(): Promise<void>;
}

/**
 * Durable snapshots: each save is atomic (write a temporary file, fsync it, rename, fsync the directory) and
 * only the newest `keep` are retained.
 *
 * @example
 * ```ts
 * import type { SnapshotStorage } from "./storage.ts";
 * async function newestIndex(store: SnapshotStorage): Promise<number> {
 *   return (await store.loadNewest())?.metadata.index ?? 0;
 * }
 * ```
 */
export interface SnapshotStorage {
  /**
   * @param snapshot The snapshot to store; its index must be higher than any stored one.
   * @returns Resolves once the snapshot is durable; older ones beyond the retention count are removed.
   * @throws {RangeError} When the snapshot is not newer than the newest stored one.
   * @throws {StorageWriteError} When the disk refuses the write.
   */
  save(snapshot: Snapshot): Promise<void>;
  /**
   * @returns The newest snapshot, or null when none was saved.
   * @throws {CorruptionError} When the newest snapshot's checksum fails.
   */
  loadNewest(): Promise<Snapshot | null>;
  /** @returns The indexes of the stored snapshots, oldest first. */
  list(): Promise<number[]>;
  /** @returns Resolves once closed. */
  close(): Promise<void>;
}

/** Where corruption was found. */
export interface CorruptionLocation {
  /** The file (or table) holding the bad record. */
  file: string;
  /** Byte offset of the bad record in that file (-1 when not a byte position). */
  offsetBytes: number;
  /** The entry index at that point: the bad record's, or the one after the last good entry. */
  index: number;
}

/**
 * Stored data failed its checksum or broke the log's rules somewhere other than a torn final write. The node
 * must not start on it; an explicit repair may cut the log at {@link CorruptionError.location}.
 *
 * @example
 * ```ts
 * import { CorruptionError } from "./storage.ts";
 * const error = new CorruptionError("bad checksum", { file: "wal-1.seg", offsetBytes: 4096, index: 17 });
 * console.log(error.location.offsetBytes); // 4096
 * ```
 */
export class CorruptionError extends Error {
  /** Where the corruption is. */
  readonly location: CorruptionLocation;

  /**
   * @param problem What is wrong (without the location, which is appended).
   * @param location Where it is.
   */
  constructor(problem: string, location: CorruptionLocation) {
    super(
      `Storage is corrupt: ${problem} in ${location.file} at offset ${location.offsetBytes} ` +
        `(entry index ${location.index}); refusing to open (an explicit repair may cut the log there)`,
    );
    this.name = "CorruptionError";
    this.location = location;
  }
}

/**
 * A write was refused by the disk (full, read-only, I/O error). Nothing of the failed call is durable or
 * visible; earlier durable data is intact; retry once the cause is gone.
 *
 * @example
 * ```ts
 * import { StorageWriteError } from "./storage.ts";
 * const error = new StorageWriteError("Cannot append entries 5..9", "ENOSPC", new Error("no space"));
 * console.log(error.code); // "ENOSPC"
 * ```
 */
export class StorageWriteError extends Error {
  /** The system error code when known (ENOSPC, EROFS, EACCES, EIO, SQLITE_FULL...), else "UNKNOWN". */
  readonly code: string;

  /**
   * @param action What failed, e.g. `Cannot append entries 5..9`.
   * @param code The system error code.
   * @param cause The underlying error.
   */
  constructor(action: string, code: string, cause: unknown) {
    const hint = code === "ENOSPC" || code === "SQLITE_FULL"
      ? " (the disk is full)"
      : code === "EROFS" || code === "EACCES" || code === "EPERM"
      ? " (the directory is read-only)"
      : "";
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`${action}: ${code}${hint}: ${detail}`, { cause });
    this.name = "StorageWriteError";
    this.code = code;
  }
}

/**
 * The storage was closed (or, in the memory adapter, crashed by a test) before or during the call.
 *
 * @example
 * ```ts
 * import { StorageClosedError } from "./storage.ts";
 * console.log(new StorageClosedError("Cannot append").name); // "StorageClosedError"
 * ```
 */
export class StorageClosedError extends Error {
  /** @param action What could not be done. */
  constructor(action: string) {
    super(`${action}: the storage is closed`);
    this.name = "StorageClosedError";
  }
}
