/**
 * The simulated state machine: a small key-value register with put/append per key, and client dedup by
 * (client id, sequence) so that a retried write is applied once.
 *
 * @module
 */

import { assert } from "../../src/util/assert.ts";

/** The kinds of writes the register applies through the log. */
export type WriteKind = "put" | "append";

/** A client write as it travels in a log entry. */
export interface WriteCommand {
  clientId: number;
  seq: number;
  kind: WriteKind;
  key: string;
  value: string;
}

/** The most bytes an encoded command may have. */
export const COMMAND_BYTES_MAX = 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes a write for a log entry.
 *
 * @param command The write.
 * @returns Its bytes (JSON with a fixed field order).
 * @throws {AssertionError} When the encoding is longer than {@link COMMAND_BYTES_MAX}.
 * @example
 * ```ts
 * import { decodeCommand, encodeCommand } from "./register.ts";
 * const bytes = encodeCommand({ clientId: 1, seq: 1, kind: "put", key: "a", value: "x" });
 * console.log(decodeCommand(bytes)?.value); // "x"
 * ```
 */
export function encodeCommand(command: WriteCommand): Uint8Array {
  const bytes = encoder.encode(
    JSON.stringify([command.clientId, command.seq, command.kind, command.key, command.value]),
  );
  assert(bytes.length <= COMMAND_BYTES_MAX, () => `command is ${bytes.length} bytes`);
  return bytes;
}

/**
 * Decodes a log entry's data.
 *
 * @param bytes The entry data.
 * @returns The write, or null for an empty entry (a leader's no-op).
 * @throws {AssertionError} When the bytes are not a command.
 * @example
 * ```ts
 * import { decodeCommand } from "./register.ts";
 * console.log(decodeCommand(new Uint8Array(0))); // null
 * ```
 */
export function decodeCommand(bytes: Uint8Array): WriteCommand | null {
  if (bytes.length === 0) return null;
  const parsed: unknown = JSON.parse(decoder.decode(bytes));
  assert(Array.isArray(parsed) && parsed.length === 5, "entry data is not a register command");
  const [clientId, seq, kind, key, value] = parsed as [number, number, WriteKind, string, string];
  assert(kind === "put" || kind === "append", () => `unknown command kind ${String(kind)}`);
  return { clientId, seq, kind, key, value };
}

/**
 * The register itself. Keys and the dedup table are serialized sorted, so snapshots are byte-identical on
 * every node and runtime.
 *
 * @example
 * ```ts
 * import { Register } from "./register.ts";
 * const register = new Register();
 * register.apply({ clientId: 1, seq: 1, kind: "append", key: "k", value: "a" });
 * register.apply({ clientId: 1, seq: 1, kind: "append", key: "k", value: "a" }); // a retry: ignored
 * console.log(register.get("k")); // "a"
 * ```
 */
export class Register {
  #values = new Map<string, string>();
  #lastSeqByClient = new Map<number, number>();

  /**
   * Applies a write unless this client's sequence number was already applied.
   *
   * @param command The write.
   * @returns True when applied, false when it was a duplicate (or an older, abandoned sequence).
   */
  apply(command: WriteCommand): boolean {
    const lastSeq = this.#lastSeqByClient.get(command.clientId) ?? 0;
    if (command.seq <= lastSeq) return false;
    this.#lastSeqByClient.set(command.clientId, command.seq);
    const previous = this.#values.get(command.key) ?? "";
    this.#values.set(command.key, command.kind === "put" ? command.value : previous + command.value);
    return true;
  }

  /**
   * @param key The key.
   * @returns Its value; "" when never written.
   */
  get(key: string): string {
    return this.#values.get(key) ?? "";
  }

  /** @returns The whole state as bytes (sorted, deterministic). */
  snapshot(): Uint8Array {
    const values = [...this.#values.entries()].sort((a, b) => compareStrings(a[0], b[0]));
    const seqs = [...this.#lastSeqByClient.entries()].sort((a, b) => a[0] - b[0]);
    return encoder.encode(JSON.stringify({ values, seqs }));
  }

  /**
   * Rebuilds a register from {@link Register.snapshot} bytes; empty bytes give an empty register.
   *
   * @param bytes The snapshot data.
   * @returns The register.
   */
  static restore(bytes: Uint8Array): Register {
    const register = new Register();
    if (bytes.length === 0) return register;
    const parsed = JSON.parse(decoder.decode(bytes)) as {
      values: [string, string][];
      seqs: [number, number][];
    };
    for (const [key, value] of parsed.values) register.#values.set(key, value);
    for (const [clientId, seq] of parsed.seqs) register.#lastSeqByClient.set(clientId, seq);
    return register;
  }
}

/**
 * Orders strings by UTF-16 code units, the same on every runtime (unlike localeCompare).
 *
 * @param a One string.
 * @param b The other.
 * @returns Negative, zero or positive.
 * @example
 * ```ts
 * import { compareStrings } from "./register.ts";
 * console.log(compareStrings("a", "b") < 0); // true
 * ```
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
