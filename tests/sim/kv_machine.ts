/**
 * The real key-value store (`src/kv`) as a simulated node's state machine: client requests become encoded
 * store commands (with client id + sequence for dedup), committed entries are applied with
 * `KvStore.apply`, reads are single-key ranges, and a watcher over every key feeds the watch checker.
 *
 * @module
 */

import { assert } from "../../src/util/assert.ts";
import {
  type Command,
  decodeCommand,
  encodeCommand,
  KvStore,
  StaleSequenceError,
  toText,
  utf8,
} from "../../src/kv/mod.ts";
import type { Watcher, WatchResponse } from "../../src/kv/mod.ts";
import type { ClientRequest } from "./client.ts";
import { hashString } from "./hash.ts";

/** What applying one committed entry means for the client that proposed it. */
export interface KvApplied {
  clientId: number;
  seq: number;
  /** Whether this application changed the store (false for a retry already applied, or a refusal). */
  tookEffect: boolean;
  /** The reply value (delete: deleted count, cas: "1"/"0", others ""); null: no reply (a stale retry). */
  reply: string | null;
}

/** The first key of the all-keys watcher (keys are never empty) and its "every key above" range end. */
const WATCH_ALL_KEY = new Uint8Array([0]);
const WATCH_ALL_RANGE_END = new Uint8Array([0]);

/**
 * Encodes a client's key-value write as a store command with its dedup identity.
 *
 * @param request The request (kind kvput, kvdelete, kvcas or kvcompact).
 * @returns The entry data.
 * @throws {AssertionError} For a read or register request.
 * @example
 * ```ts
 * import { encodeKvRequest } from "./kv_machine.ts";
 * const bytes = encodeKvRequest({
 *   clientId: 1, seq: 1, kind: "kvput", key: "a", value: "1.1;", readMode: "safe",
 *   expect: "", expectModRevision: null,
 * });
 * console.log(bytes.length > 0); // true
 * ```
 */
export function encodeKvRequest(request: ClientRequest): Uint8Array {
  const key = utf8(request.key);
  let command: Command;
  switch (request.kind) {
    case "kvput":
      command = { type: "put", request: { key, value: utf8(request.value) } };
      break;
    case "kvdelete":
      command = { type: "deleteRange", request: { key } };
      break;
    case "kvcas": {
      const modRevision = request.expectModRevision ?? null;
      const expect = request.expect ?? "";
      const compare = modRevision !== null
        ? { key, target: "mod" as const, result: "equal" as const, number: modRevision }
        : expect === ""
        ? { key, target: "version" as const, result: "equal" as const, number: 0 }
        : { key, target: "value" as const, result: "equal" as const, value: utf8(expect) };
      command = {
        type: "txn",
        request: {
          compare: [compare],
          success: [{ type: "put", request: { key, value: utf8(request.value) } }],
          failure: [],
        },
      };
      break;
    }
    case "kvcompact":
      command = { type: "compact", revision: Number(request.value) };
      break;
    default:
      assert(false, () => `request kind ${request.kind} is not a key-value write`);
  }
  return encodeCommand(command, { clientId: request.clientId, sequence: request.seq });
}

/**
 * One node's store and its all-keys watcher.
 *
 * @example
 * ```ts
 * import { KvMachine } from "./kv_machine.ts";
 * const machine = new KvMachine(new Uint8Array(0));
 * console.log(machine.read("a")); // "0 1 " (mod revision 0, store revision 1, absent)
 * ```
 */
export class KvMachine {
  readonly store = new KvStore();
  #watcher: Watcher | null = null;

  /** @param snapshotData A store snapshot, or empty bytes for an empty store. */
  constructor(snapshotData: Uint8Array) {
    if (snapshotData.length > 0) this.store.restoreSnapshot(snapshotData);
  }

  /**
   * Opens the all-keys watcher.
   *
   * @param startRevision The first revision to deliver.
   */
  watchFrom(startRevision: number): void {
    this.#watcher?.cancel();
    this.#watcher = this.store.watch({ key: WATCH_ALL_KEY, rangeEnd: WATCH_ALL_RANGE_END, startRevision });
  }

  /** @returns Every response the watcher has now (it is gone after a cancel response). */
  drainWatch(): WatchResponse[] {
    const responses: WatchResponse[] = [];
    for (;;) {
      const response = this.#watcher?.poll() ?? null;
      if (response === null) return responses;
      responses.push(response);
      if (response.canceled) this.#watcher = null;
    }
  }

  /**
   * Replaces the state with a leader's snapshot. An open watcher stays open across the install (the store
   * recounts what it has to deliver), so the checks cover watchers that live through a snapshot install; only
   * a node without one opens it at `watchStartRevision`.
   *
   * @param snapshotData The snapshot's data.
   * @param watchStartRevision Where a new watcher starts.
   */
  install(snapshotData: Uint8Array, watchStartRevision: number): void {
    if (snapshotData.length > 0) this.store.restoreSnapshot(snapshotData);
    if (this.#watcher === null) this.watchFrom(watchStartRevision);
  }

  /**
   * Applies a committed entry's data.
   *
   * @param index The entry's index.
   * @param data Its data (non-empty).
   * @returns The reply for the proposing client.
   */
  apply(index: number, data: Uint8Array): KvApplied {
    const envelope = decodeCommand(data);
    const identity = { clientId: envelope.clientId, seq: envelope.sequence };
    const result = this.store.applyCommand(index, envelope);
    if (!result.ok) {
      if (result.error instanceof StaleSequenceError) return { ...identity, tookEffect: false, reply: null };
      // A compaction to an already compacted (or future) revision is refused; nothing changed.
      return { ...identity, tookEffect: false, reply: "" };
    }
    const { response } = result;
    const tookEffect = !result.duplicate;
    if (response.type === "deleteRange") {
      return { ...identity, tookEffect, reply: String(response.response.deleted) };
    }
    if (response.type === "txn") {
      return { ...identity, tookEffect, reply: response.response.succeeded ? "1" : "0" };
    }
    return { ...identity, tookEffect, reply: "" };
  }

  /**
   * Reads one key.
   *
   * @param key The key.
   * @returns `"<mod revision> <store revision> <value>"` (mod revision 0 and empty value when absent).
   */
  read(key: string): string {
    const { header, kvs } = this.store.range({ key: utf8(key) });
    const kv = kvs[0];
    return kv === undefined
      ? `0 ${header.revision} `
      : `${kv.modRevision} ${header.revision} ${toText(kv.value)}`;
  }

  /** @returns The store's snapshot. */
  snapshot(): Uint8Array {
    return this.store.snapshot();
  }

  /** @returns The revision, compact revision and a hash of every key's value and revisions. */
  digest(): string {
    const { kvs, header } = this.store.range({ key: WATCH_ALL_KEY, rangeEnd: WATCH_ALL_RANGE_END });
    const rows = kvs.map((kv) =>
      `${toText(kv.key)}=${toText(kv.value)}@${kv.createRevision}/${kv.modRevision}/${kv.version}`
    );
    return `rev ${header.revision} compact ${this.store.compactRevision} ${hashString(rows.join("\n"))}`;
  }
}
