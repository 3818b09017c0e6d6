/**
 * The memory adapter, for tests and the simulator. A {@link MemoryDisk} plays the disk: it outlives the
 * storage objects opened on it, holds what was synced, and can "crash", losing what was written but not synced.
 *
 * With `autoSync` (the default) every batch is synced at once. Without it, a batch waits until the test calls
 * {@link MemoryDisk.sync}; {@link MemoryDisk.crash} then drops unsynced writes (optionally keeping a prefix, as a
 * disk that wrote some of them would) and kills the storage opened on it.
 *
 * @module
 */

import { StorageClosedError } from "../../src/ports/storage.ts";
import type { SnapshotStorage } from "../../src/ports/storage.ts";
import type { Entry, Snapshot } from "../../src/raft/types.ts";
import { assert } from "../../src/util/assert.ts";
import { CommittedLog } from "./_committed_log.ts";
import { LogState } from "./_log_state.ts";
import type { LogOp } from "./_log_state.ts";

/** Snapshots kept by default (the newest N). */
export const SNAPSHOTS_KEPT_DEFAULT = 2;

function copyEntry(entry: Entry): Entry {
  return { index: entry.index, term: entry.term, type: entry.type, data: entry.data.slice() };
}

/**
 * The simulated disk behind {@link MemoryLogStorage} and {@link MemorySnapshotStorage}.
 *
 * @example
 * ```ts
 * import { MemoryDisk, MemoryLogStorage } from "./memory.ts";
 * const disk = new MemoryDisk({ autoSync: false });
 * const log = MemoryLogStorage.open(disk);
 * const appended = log.append([{ index: 1, term: 1, type: 0, data: new Uint8Array() }]);
 * await new Promise((resolve) => setTimeout(resolve, 0));
 * disk.crash();                            // the write was never synced
 * await appended.catch(() => {});
 * console.log(MemoryLogStorage.open(disk).lastIndex()); // 0
 * ```
 */
export class MemoryDisk {
  /** What survives a crash. */
  readonly durable: LogState<Entry> = new LogState<Entry>();
  /** Synced snapshots, oldest first. */
  readonly snapshots: Snapshot[] = [];
  readonly autoSync: boolean;
  #unsynced: { ops: readonly LogOp[]; done: () => void }[] = [];
  #openLog: MemoryLogStorage | null = null;

  /** @param options `autoSync`: sync every batch at once (default true). */
  constructor(options: { autoSync?: boolean } = {}) {
    this.autoSync = options.autoSync ?? true;
  }

  /** @returns Batches written but not synced. */
  unsyncedBatches(): number {
    return this.#unsynced.length;
  }

  /** Makes every written batch durable and resolves their writers. */
  sync(): void {
    const batches = this.#unsynced;
    this.#unsynced = [];
    for (const batch of batches) {
      for (const op of batch.ops) applyToDisk(this.durable, op);
      batch.done();
    }
  }

  /**
   * Simulates a power loss: unsynced batches are lost (except the first `keepUnsyncedBatches`, which the disk
   * happened to write), and the storage opened on this disk is killed (its pending writes reject).
   *
   * @param options How many unsynced batches survive (default 0).
   */
  crash(options: { keepUnsyncedBatches?: number } = {}): void {
    const keep = this.#unsynced.slice(0, options.keepUnsyncedBatches ?? 0);
    this.#unsynced = [];
    for (const batch of keep) for (const op of batch.ops) applyToDisk(this.durable, op);
    this.#openLog?.kill();
    this.#openLog = null;
  }

  /** @internal Called by the log: queue a batch; resolves when synced. */
  write(ops: readonly LogOp[]): Promise<void> {
    return new Promise((resolve) => {
      this.#unsynced.push({ ops, done: resolve });
      if (this.autoSync) this.sync();
    });
  }

  /** @internal Registers the one storage open on this disk. */
  attach(log: MemoryLogStorage | null): void {
    assert(log === null || this.#openLog === null, "a MemoryDisk can hold one open log at a time");
    this.#openLog = log;
  }
}

function applyToDisk(durable: LogState<Entry>, op: LogOp): void {
  if (op.kind === "entries") durable.apply(op, (position) => copyEntry(op.entries[position]!));
  else durable.apply(op, () => undefined as never);
}

/**
 * A {@link LogStorage} on a {@link MemoryDisk}.
 *
 * @example
 * ```ts
 * import { MemoryDisk, MemoryLogStorage } from "./memory.ts";
 * const log = MemoryLogStorage.open(new MemoryDisk());
 * await log.saveHardState({ term: 2, vote: 1, commit: 0 });
 * console.log(log.hardState().term); // 2
 * ```
 */
export class MemoryLogStorage extends CommittedLog<Entry> {
  readonly #disk: MemoryDisk;

  private constructor(disk: MemoryDisk, schedule: ((run: () => void) => void) | undefined) {
    super(schedule);
    this.#disk = disk;
    this.state = disk.durable;
    this.resetProjection();
  }

  /**
   * @param disk The disk to open (fresh or after a crash).
   * @param options `schedule`: when to run the next flush (default setImmediate); a deterministic simulator can
   *   pass its own event queue.
   * @returns The log, holding what the disk had synced.
   */
  static open(disk: MemoryDisk, options: { schedule?: (run: () => void) => void } = {}): MemoryLogStorage {
    const log = new MemoryLogStorage(disk, options.schedule);
    disk.attach(log);
    return log;
  }

  /** @internal The disk crashed under this storage. */
  kill(): void {
    this.abandon(new StorageClosedError("Cannot complete the write: the simulated disk crashed"));
  }

  protected persist(ops: readonly LogOp[]): Promise<void> {
    return this.#disk.write(ops);
  }

  protected readAt(_index: number, location: Entry): Entry {
    return copyEntry(location);
  }

  protected closeResources(): void {
    this.#disk.attach(null);
  }
}

/**
 * A {@link SnapshotStorage} on a {@link MemoryDisk} (saves are synced at once).
 *
 * @example
 * ```ts
 * import { MemoryDisk, MemorySnapshotStorage } from "./memory.ts";
 * import { emptyConfState } from "../../src/raft/types.ts";
 * const store = new MemorySnapshotStorage(new MemoryDisk());
 * await store.save({ metadata: { index: 3, term: 1, confState: emptyConfState() }, data: new Uint8Array() });
 * console.log((await store.loadNewest())?.metadata.index); // 3
 * ```
 */
export class MemorySnapshotStorage implements SnapshotStorage {
  readonly #disk: MemoryDisk;
  readonly #keep: number;
  #closed = false;

  /**
   * @param disk The disk.
   * @param options `keep`: how many snapshots to retain (default {@link SNAPSHOTS_KEPT_DEFAULT}, at least 1).
   * @throws {RangeError} When `keep < 1`.
   */
  constructor(disk: MemoryDisk, options: { keep?: number } = {}) {
    this.#disk = disk;
    this.#keep = options.keep ?? SNAPSHOTS_KEPT_DEFAULT;
    if (!Number.isInteger(this.#keep) || this.#keep < 1) {
      throw new RangeError(`Cannot keep ${this.#keep} snapshots`);
    }
  }

  save(snapshot: Snapshot): Promise<void> {
    if (this.#closed) return Promise.reject(new StorageClosedError("Cannot save a snapshot"));
    const newest = this.#disk.snapshots.at(-1)?.metadata.index ?? 0;
    if (snapshot.metadata.index <= newest) {
      return Promise.reject(
        new RangeError(
          `Cannot save snapshot ${snapshot.metadata.index}: snapshot ${newest} is already stored`,
        ),
      );
    }
    this.#disk.snapshots.push(structuredClone(snapshot));
    while (this.#disk.snapshots.length > this.#keep) this.#disk.snapshots.shift();
    return Promise.resolve();
  }

  loadNewest(): Promise<Snapshot | null> {
    const newest = this.#disk.snapshots.at(-1);
    return Promise.resolve(newest === undefined ? null : structuredClone(newest));
  }

  list(): Promise<number[]> {
    return Promise.resolve(this.#disk.snapshots.map((snapshot) => snapshot.metadata.index));
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}
