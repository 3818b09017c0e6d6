/**
 * Storage adapters: pick one with {@link openStorage}, or let {@link defaultStorageKind} pick by runtime.
 *
 * @example
 * ```ts
 * import { defaultStorageKind, openStorage } from "./mod.ts";
 * import { mkdtempSync, rmSync } from "node:fs";
 * const dir = mkdtempSync("/tmp/dengine-storage-");
 * const { log, snapshots } = await openStorage(defaultStorageKind(), dir);
 * await log.saveHardState({ term: 1, vote: 0, commit: 0 });
 * await log.close();
 * await snapshots.close();
 * rmSync(dir, { recursive: true });
 * ```
 *
 * @module
 */

import type { LogStorage, SnapshotStorage } from "../../src/ports/storage.ts";
import { openBunSqliteLog } from "./bun_sqlite.ts";
import { FileLogStorage } from "./file.ts";
import type { FileLogOptions } from "./file.ts";
import { FileSnapshotStorage } from "./file_snapshot.ts";
import { MemoryDisk, MemoryLogStorage, MemorySnapshotStorage } from "./memory.ts";
import { openNodeSqliteLog } from "./node_sqlite.ts";

export { FileLogStorage } from "./file.ts";
export type { FileLogOptions, FsyncMode } from "./file.ts";
export { FileSnapshotStorage } from "./file_snapshot.ts";
export { MemoryDisk, MemoryLogStorage, MemorySnapshotStorage } from "./memory.ts";
export { openBunSqliteLog } from "./bun_sqlite.ts";
export { openNodeSqliteLog } from "./node_sqlite.ts";
export type { FileSystem } from "./fs_port.ts";
export { nodeFileSystem } from "./fs_port.ts";

/** The storage adapters. */
export type StorageKind = "memory" | "file" | "bun_sqlite" | "node_sqlite";
/** The runtimes dengine runs on. */
export type RuntimeName = "deno" | "bun" | "node";

/** An open log and snapshot store. */
export interface OpenedStorage {
  log: LogStorage;
  snapshots: SnapshotStorage;
}

/**
 * @returns The runtime this code runs on.
 * @example
 * ```ts
 * import { currentRuntime } from "./mod.ts";
 * console.log(["deno", "bun", "node"].includes(currentRuntime())); // true
 * ```
 */
export function currentRuntime(): RuntimeName {
  if ("Bun" in globalThis) return "bun";
  if ("Deno" in globalThis) return "deno";
  return "node";
}

/**
 * The storage each runtime uses unless told otherwise, chosen by `bench/storage.ts` (figures in
 * `bench/reports/storage.md`: medians of 3 runs, 2-core machine shared with other work, ext4 on virtio,
 * 256-byte entries, every append fsynced):
 *
 * - Deno: `file`. Batch 1: 5,812 appends/s (76% of the disk's raw fdatasync rate measured alongside) vs
 *   node_sqlite 4,045/s (58%); batch 256: 392,000 vs 188,000 entries/s.
 * - Bun: `file`. Batch 1: 6,943/s (78%) vs bun_sqlite 5,710/s (66%); batch 256: 512,000 vs 326,000 entries/s.
 *   SQLite adds page and WAL-frame writes (and a checkpoint now and then) to each commit, and a row insert
 *   through the binding costs more CPU than encoding a WAL record.
 * - Node: `file` (it needs only node:fs; Node 20 has no node:sqlite).
 *
 * The file WAL's default fsync mode is "blocking" for the same reason: the thread-pool mode reached 65% of the
 * raw rate at batch 1.
 *
 * @param runtime The runtime (default: the current one).
 * @returns The default storage kind.
 * @example
 * ```ts
 * import { defaultStorageKind } from "./mod.ts";
 * console.log(defaultStorageKind("deno")); // "file"
 * ```
 */
export function defaultStorageKind(runtime: RuntimeName = currentRuntime()): StorageKind {
  switch (runtime) {
    case "deno":
    case "bun":
    case "node":
      return "file";
  }
}

/**
 * Opens a log and a snapshot store of the given kind in `directory`.
 *
 * @param kind The adapter.
 * @param directory The storage directory (the log and the snapshots live side by side in it). For `memory`
 *   it is ignored unless `disk` is given in options.
 * @param options `file`: options for the file WAL; `disk`: the {@link MemoryDisk} to open for `memory`;
 *   `snapshotsKept`: how many snapshots to retain.
 * @returns The open storage.
 * @throws {CorruptionError} When the stored log is damaged.
 * @throws {Error} When the adapter does not exist on this runtime (bun_sqlite off Bun, node_sqlite on Node < 22.5).
 */
export async function openStorage(
  kind: StorageKind,
  directory: string,
  options: { file?: FileLogOptions; disk?: MemoryDisk; snapshotsKept?: number } = {},
): Promise<OpenedStorage> {
  const keep = options.snapshotsKept === undefined ? {} : { keep: options.snapshotsKept };
  if (kind === "memory") {
    const disk = options.disk ?? new MemoryDisk();
    return { log: MemoryLogStorage.open(disk), snapshots: new MemorySnapshotStorage(disk, keep) };
  }
  const log = kind === "file"
    ? await FileLogStorage.open(`${directory}/wal`, options.file ?? {})
    : kind === "bun_sqlite"
    ? await openBunSqliteLog(directory)
    : await openNodeSqliteLog(directory);
  const snapshots = FileSnapshotStorage.open(`${directory}/snapshots`, {
    ...keep,
    ...(options.file?.fileSystem ? { fileSystem: options.file.fileSystem } : {}),
  });
  return { log, snapshots };
}
