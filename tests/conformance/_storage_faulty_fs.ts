/**
 * A fault-injecting wrapper around the real file system: while `failure` is set, every call that would
 * write (or create, rename, remove) fails with that error code, the way a full disk (ENOSPC) or a directory
 * remounted read-only (EROFS) fails; reads keep working. A failing `writeSync` first writes half of what it
 * was given, as a real short write before ENOSPC would.
 *
 * @module
 */

import { nodeFileSystem } from "../../adapters/storage/fs_port.ts";
import type { FileSystem } from "../../adapters/storage/fs_port.ts";

function fault(code: string, call: string): Error {
  return Object.assign(new Error(`${code}: injected fault in ${call}`), { code });
}

/** See the module doc. */
export class FaultyFileSystem implements FileSystem {
  /** The error code every writing call fails with, or null for a healthy disk. */
  failure: string | null = null;
  /** Calls that failed so far. */
  faults = 0;
  readonly #inner: FileSystem;

  constructor(inner: FileSystem = nodeFileSystem) {
    this.#inner = inner;
  }

  #check(call: string): void {
    if (this.failure === null) return;
    this.faults++;
    throw fault(this.failure, call);
  }

  openSync(path: string, flags: string): number {
    if (flags !== "r") this.#check(`open ${path}`);
    return this.#inner.openSync(path, flags);
  }
  closeSync(fd: number): void {
    this.#inner.closeSync(fd);
  }
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    if (this.failure !== null && length > 1) {
      this.#inner.writeSync(fd, buffer, offset, length >> 1, position);
    }
    this.#check("write");
    return this.#inner.writeSync(fd, buffer, offset, length, position);
  }
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    return this.#inner.readSync(fd, buffer, offset, length, position);
  }
  fdatasyncSync(fd: number): void {
    this.#check("fdatasync");
    this.#inner.fdatasyncSync(fd);
  }
  fdatasync(fd: number, callback: (error: Error | null) => void): void {
    if (this.failure !== null) {
      this.faults++;
      queueMicrotask(() => callback(fault(this.failure ?? "EIO", "fdatasync")));
      return;
    }
    this.#inner.fdatasync(fd, callback);
  }
  fsyncSync(fd: number): void {
    this.#check("fsync");
    this.#inner.fsyncSync(fd);
  }
  write(
    fd: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
    callback: (error: Error | null, written: number) => void,
  ): void {
    if (this.failure !== null) {
      this.faults++;
      queueMicrotask(() => callback(fault(this.failure ?? "EIO", "write"), 0));
      return;
    }
    this.#inner.write(fd, buffer, offset, length, position, callback);
  }
  fstatSizeBytes(fd: number): number {
    return this.#inner.fstatSizeBytes(fd);
  }
  renameSync(from: string, to: string): void {
    this.#check(`rename ${from}`);
    this.#inner.renameSync(from, to);
  }
  unlinkSync(path: string): void {
    this.#check(`unlink ${path}`);
    this.#inner.unlinkSync(path);
  }
  readdirSync(path: string): string[] {
    return this.#inner.readdirSync(path);
  }
  mkdirSync(path: string): void {
    this.#inner.mkdirSync(path);
  }
  readFileSync(path: string): Uint8Array {
    return this.#inner.readFileSync(path);
  }
}
