/**
 * Snapshots as files: `snap-<index>.snap`, each written atomically (temporary file, fdatasync, rename, fsync of
 * the directory) and checked by a CRC-32C on load. Only the newest `keep` are retained.
 *
 * @module
 */

import { CorruptionError, StorageClosedError, StorageWriteError } from "../../src/ports/storage.ts";
import type { SnapshotStorage } from "../../src/ports/storage.ts";
import type { Snapshot } from "../../src/raft/types.ts";
import { ByteReader, ByteWriter, readSnapshot, writeSnapshot } from "./codec.ts";
import { crc32c } from "./crc32c.ts";
import { fsyncDirectory, nodeFileSystem, writeFully } from "./fs_port.ts";
import type { FileSystem } from "./fs_port.ts";
import { errorCode } from "./_committed_log.ts";

/** Snapshots kept by default. */
export const FILE_SNAPSHOTS_KEPT_DEFAULT = 2;
const MAGIC = 0x44534e50; // "DSNP"
const FILE_HEADER_BYTES = 16;
const SNAPSHOT_NAME = /^snap-([0-9a-f]{16})\.snap$/;

/**
 * A {@link SnapshotStorage} in a directory.
 *
 * @example
 * ```ts
 * import { FileSnapshotStorage } from "./file_snapshot.ts";
 * import { emptyConfState } from "../../src/raft/types.ts";
 * import { mkdtempSync, rmSync } from "node:fs";
 * const dir = mkdtempSync("/tmp/dengine-snap-");
 * const store = FileSnapshotStorage.open(dir);
 * await store.save({ metadata: { index: 9, term: 2, confState: emptyConfState() }, data: new Uint8Array([1]) });
 * console.log((await store.loadNewest())?.metadata.index); // 9
 * rmSync(dir, { recursive: true });
 * ```
 */
export class FileSnapshotStorage implements SnapshotStorage {
  readonly #directory: string;
  readonly #fs: FileSystem;
  readonly #keep: number;
  #closed = false;

  private constructor(directory: string, fileSystem: FileSystem, keep: number) {
    this.#directory = directory;
    this.#fs = fileSystem;
    this.#keep = keep;
  }

  /**
   * Opens (creating if needed) the snapshot directory and removes unfinished temporary files.
   *
   * @param directory The directory (its own, or shared with the WAL: names do not collide).
   * @param options `keep` (default {@link FILE_SNAPSHOTS_KEPT_DEFAULT}), `fileSystem` (default `node:fs`).
   * @returns The store.
   * @throws {RangeError} When `keep < 1`.
   */
  static open(
    directory: string,
    options: { keep?: number; fileSystem?: FileSystem } = {},
  ): FileSnapshotStorage {
    const keep = options.keep ?? FILE_SNAPSHOTS_KEPT_DEFAULT;
    if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`Cannot keep ${keep} snapshots`);
    const fileSystem = options.fileSystem ?? nodeFileSystem;
    fileSystem.mkdirSync(directory);
    for (const name of fileSystem.readdirSync(directory)) {
      if (name.startsWith("snap-") && name.endsWith(".tmp")) fileSystem.unlinkSync(`${directory}/${name}`);
    }
    return new FileSnapshotStorage(directory, fileSystem, keep);
  }

  #indexes(): number[] {
    const indexes: number[] = [];
    for (const name of this.#fs.readdirSync(this.#directory)) {
      const match = SNAPSHOT_NAME.exec(name);
      if (match) indexes.push(parseInt(match[1]!, 16));
    }
    return indexes.sort((a, b) => a - b);
  }

  #path(index: number, suffix: string): string {
    return `${this.#directory}/snap-${index.toString(16).padStart(16, "0")}.${suffix}`;
  }

  list(): Promise<number[]> {
    return Promise.resolve().then(() => this.#indexes());
  }

  save(snapshot: Snapshot): Promise<void> {
    return Promise.resolve().then(() => {
      if (this.#closed) throw new StorageClosedError("Cannot save a snapshot");
      const index = snapshot.metadata.index;
      const newest = this.#indexes().at(-1) ?? 0;
      if (index <= newest) {
        throw new RangeError(`Cannot save snapshot ${index}: snapshot ${newest} is already stored`);
      }
      const body = new ByteWriter(snapshot.data.byteLength + 256);
      writeSnapshot(body, snapshot);
      const bytes = body.finish();
      const file = new ByteWriter(FILE_HEADER_BYTES + bytes.length);
      file.u32(MAGIC);
      file.u32(crc32c(bytes));
      file.u64(bytes.length);
      file.raw(bytes);
      this.#writeAtomically(index, file.finish());
      this.#prune();
    });
  }

  #writeAtomically(index: number, bytes: Uint8Array): void {
    const tmp = this.#path(index, "tmp");
    try {
      const fd = this.#fs.openSync(tmp, "w");
      try {
        writeFully(this.#fs, fd, bytes, 0);
        this.#fs.fdatasyncSync(fd);
      } finally {
        this.#fs.closeSync(fd);
      }
      this.#fs.renameSync(tmp, this.#path(index, "snap"));
      fsyncDirectory(this.#fs, this.#directory);
    } catch (error) {
      try {
        this.#fs.unlinkSync(tmp);
      } catch {
        // Nothing to remove, or a read-only directory: open() removes stale temporary files.
      }
      throw new StorageWriteError(
        `Cannot save snapshot ${index} in ${this.#directory}`,
        errorCode(error),
        error,
      );
    }
  }

  /** Removing old snapshots is best effort: a failure leaves an extra file, never a missing one. */
  #prune(): void {
    const indexes = this.#indexes();
    for (const index of indexes.slice(0, Math.max(0, indexes.length - this.#keep))) {
      try {
        this.#fs.unlinkSync(this.#path(index, "snap"));
      } catch {
        return;
      }
    }
  }

  loadNewest(): Promise<Snapshot | null> {
    return Promise.resolve().then(() => {
      const index = this.#indexes().at(-1);
      if (index === undefined) return null;
      const path = this.#path(index, "snap");
      const bytes = this.#fs.readFileSync(path);
      const corrupt = (problem: string) =>
        new CorruptionError(problem, { file: path, offsetBytes: 0, index });
      if (bytes.length < FILE_HEADER_BYTES) throw corrupt(`a ${bytes.length}-byte snapshot file`);
      const header = new ByteReader(bytes, 0, FILE_HEADER_BYTES);
      if (header.u32() !== MAGIC) throw corrupt("a snapshot file without the snapshot magic");
      const checksum = header.u32();
      const length = header.u64();
      if (FILE_HEADER_BYTES + length !== bytes.length || crc32c(bytes, FILE_HEADER_BYTES) !== checksum) {
        throw corrupt("a bad snapshot checksum");
      }
      const snapshot = readSnapshot(new ByteReader(bytes, FILE_HEADER_BYTES));
      if (snapshot.metadata.index !== index) {
        throw corrupt(`a snapshot file holding index ${snapshot.metadata.index}`);
      }
      return snapshot;
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}
