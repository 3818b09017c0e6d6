/**
 * Prepares WAL segments: a file of zeros of the segment size, fdatasynced, under a `.tmp` name that the log
 * renames into place. The next segment is prepared in the background (asynchronous writes on the runtime's
 * thread pool) so rolling to it costs a rename, not writing the whole segment.
 *
 * @module
 */

import type { FileSystem } from "./fs_port.ts";
import { writeFully } from "./fs_port.ts";

/** Zeros written per call while preparing a segment. */
const ZERO_CHUNK_BYTES = 1024 * 1024;
const ZEROS = new Uint8Array(ZERO_CHUNK_BYTES);

interface Prepared {
  seq: number;
  sizeBytes: number;
  path: string;
  done: Promise<boolean>;
}

/**
 * Prepares zero-filled segment files, one ahead.
 *
 * @example
 * ```ts
 * import { SegmentPreparer } from "./_segment_preparer.ts";
 * import { nodeFileSystem } from "./fs_port.ts";
 * import { mkdtempSync, rmSync } from "node:fs";
 * const dir = mkdtempSync("/tmp/dengine-prep-");
 * const preparer = new SegmentPreparer(nodeFileSystem, dir, 8192);
 * console.log((await preparer.take(1, 8192)).endsWith(".tmp")); // true
 * await preparer.close();
 * rmSync(dir, { recursive: true });
 * ```
 */
export class SegmentPreparer {
  readonly #fs: FileSystem;
  readonly #directory: string;
  readonly #sizeBytes: number;
  #ahead: Prepared | null = null;

  /**
   * @param fileSystem The file system.
   * @param directory Where segments live.
   * @param sizeBytes The normal segment size.
   */
  constructor(fileSystem: FileSystem, directory: string, sizeBytes: number) {
    this.#fs = fileSystem;
    this.#directory = directory;
    this.#sizeBytes = sizeBytes;
  }

  #tmpPath(seq: number): string {
    return `${this.#directory}/wal-${seq.toString(16).padStart(16, "0")}.tmp`;
  }

  /** Starts preparing segment `seq` in the background (a failure only means `take` prepares it itself). */
  prepareAhead(seq: number): void {
    if (this.#ahead !== null) return;
    const path = this.#tmpPath(seq);
    this.#ahead = {
      seq,
      sizeBytes: this.#sizeBytes,
      path,
      done: this.#fillInBackground(path, this.#sizeBytes),
    };
  }

  async #fillInBackground(path: string, sizeBytes: number): Promise<boolean> {
    let fd = -1;
    try {
      fd = this.#fs.openSync(path, "w");
      for (let offset = 0; offset < sizeBytes; offset += ZERO_CHUNK_BYTES) {
        const length = Math.min(ZERO_CHUNK_BYTES, sizeBytes - offset);
        await new Promise<void>((resolve, reject) => {
          this.#fs.write(fd, ZEROS, 0, length, offset, (error, written) => {
            if (error) reject(error);
            else if (written !== length) reject(new Error(`short write of ${written} of ${length} bytes`));
            else resolve();
          });
        });
      }
      await new Promise<void>((resolve, reject) =>
        this.#fs.fdatasync(fd, (error) => error ? reject(error) : resolve())
      );
      return true;
    } catch {
      return false;
    } finally {
      if (fd >= 0) this.#fs.closeSync(fd);
    }
  }

  /**
   * @param seq The segment number wanted.
   * @param sizeBytes Its size.
   * @returns The path of a prepared temporary file of at least `sizeBytes` zero bytes, synced.
   * @throws {Error} What the file system throws while preparing it (ENOSPC...); the partial file is removed.
   */
  async take(seq: number, sizeBytes: number): Promise<string> {
    const ahead = this.#ahead;
    this.#ahead = null;
    if (ahead !== null) {
      const ok = await ahead.done;
      if (ok && ahead.seq === seq && ahead.sizeBytes >= sizeBytes) return ahead.path;
      this.#removeQuietly(ahead.path);
    }
    const path = this.#tmpPath(seq);
    try {
      this.#fillNow(path, sizeBytes);
    } catch (error) {
      this.#removeQuietly(path);
      throw error;
    }
    return path;
  }

  #fillNow(path: string, sizeBytes: number): void {
    const fd = this.#fs.openSync(path, "w");
    try {
      for (let offset = 0; offset < sizeBytes; offset += ZERO_CHUNK_BYTES) {
        writeFully(this.#fs, fd, ZEROS.subarray(0, Math.min(ZERO_CHUNK_BYTES, sizeBytes - offset)), offset);
      }
      this.#fs.fdatasyncSync(fd);
    } finally {
      this.#fs.closeSync(fd);
    }
  }

  #removeQuietly(path: string): void {
    try {
      this.#fs.unlinkSync(path);
    } catch {
      // Already gone, or the directory is read-only: open() removes stale .tmp files anyway.
    }
  }

  /** Waits for background work and removes its file. */
  async close(): Promise<void> {
    const ahead = this.#ahead;
    this.#ahead = null;
    if (ahead === null) return;
    await ahead.done;
    this.#removeQuietly(ahead.path);
  }
}
