/**
 * The few file-system calls the file adapters make, as an interface, so a test can wrap them with faults
 * (a full disk, a read-only directory) without root or a special mount. `nodeFileSystem` is the real one,
 * built on `node:fs`, which Deno, Bun and Node all provide.
 *
 * @module
 */

import * as fs from "node:fs";

/** The subset of `node:fs` used by the file WAL and snapshot store. */
export interface FileSystem {
  openSync(path: string, flags: string): number;
  closeSync(fd: number): void;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  fdatasyncSync(fd: number): void;
  /** The same as fdatasyncSync but on the runtime's thread pool, so the event loop keeps running meanwhile. */
  fdatasync(fd: number, callback: (error: Error | null) => void): void;
  fsyncSync(fd: number): void;
  /** Asynchronous positional write (for background work such as preparing the next segment). */
  write(
    fd: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
    callback: (error: Error | null, written: number) => void,
  ): void;
  fstatSizeBytes(fd: number): number;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
  readdirSync(path: string): string[];
  mkdirSync(path: string): void;
  /** Reads a whole file. */
  readFileSync(path: string): Uint8Array;
}

/**
 * The real file system (`node:fs`).
 *
 * @example
 * ```ts
 * import { nodeFileSystem } from "./fs_port.ts";
 * console.log(nodeFileSystem.readdirSync("/").length > 0); // true
 * ```
 */
export const nodeFileSystem: FileSystem = {
  openSync: (path, flags) => fs.openSync(path, flags),
  closeSync: (fd) => fs.closeSync(fd),
  writeSync: (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, length, position),
  readSync: (fd, buffer, offset, length, position) => fs.readSync(fd, buffer, offset, length, position),
  fdatasyncSync: (fd) => fs.fdatasyncSync(fd),
  fdatasync: (fd, callback) => fs.fdatasync(fd, callback),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  write: (fd, buffer, offset, length, position, callback) =>
    fs.write(fd, buffer, offset, length, position, (error, written) => callback(error, written)),
  fstatSizeBytes: (fd) => fs.fstatSync(fd).size,
  renameSync: (from, to) => fs.renameSync(from, to),
  unlinkSync: (path) => fs.unlinkSync(path),
  readdirSync: (path) => fs.readdirSync(path),
  mkdirSync: (path) => void fs.mkdirSync(path, { recursive: true }),
  readFileSync: (path) => new Uint8Array(fs.readFileSync(path)),
};

/**
 * Writes all of `bytes` at `position`, looping over short writes.
 *
 * @param fileSystem The file system.
 * @param fd An open file.
 * @param bytes What to write.
 * @param position Byte offset in the file.
 * @throws {Error} Whatever the file system throws (ENOSPC...).
 * @example
 * ```ts
 * import { nodeFileSystem, writeFully } from "./fs_port.ts";
 * const fd = nodeFileSystem.openSync("/tmp/dengine-write-fully-example", "w");
 * writeFully(nodeFileSystem, fd, new Uint8Array([1, 2, 3]), 0);
 * nodeFileSystem.closeSync(fd);
 * nodeFileSystem.unlinkSync("/tmp/dengine-write-fully-example");
 * ```
 */
export function writeFully(fileSystem: FileSystem, fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    const written = fileSystem.writeSync(fd, bytes, done, bytes.length - done, position + done);
    if (written <= 0) {
      throw new Error(`Cannot write at offset ${position + done}: the write returned ${written}`);
    }
    done += written;
  }
}

/**
 * Fsyncs a directory so a rename or unlink inside it survives a crash.
 *
 * @param fileSystem The file system.
 * @param directory The directory.
 * @throws {Error} Whatever the file system throws.
 * @example
 * ```ts
 * import { fsyncDirectory, nodeFileSystem } from "./fs_port.ts";
 * fsyncDirectory(nodeFileSystem, "/tmp");
 * ```
 */
export function fsyncDirectory(fileSystem: FileSystem, directory: string): void {
  const fd = fileSystem.openSync(directory, "r");
  try {
    fileSystem.fsyncSync(fd);
  } finally {
    fileSystem.closeSync(fd);
  }
}
