/**
 * dengine's key-value state machine (the etcd v3 MVCC model), pure and deterministic: the engine applies
 * committed commands with `KvStore.apply(index, bytes)` and serves reads, watches and lease expiry from
 * the same store.
 *
 * @example
 * ```ts
 * import { encodeCommand, KvStore, utf8 } from "./mod.ts";
 * const store = new KvStore();
 * const result = store.apply(1, encodeCommand({ type: "put", request: { key: utf8("greeting"), value: utf8("hi") } }));
 * console.log(result.ok, store.revision); // true 2
 * const watcher = store.watch({ key: utf8("greeting"), startRevision: 1 });
 * watcher.poll(); // created
 * console.log(watcher.poll()?.events.length); // 1
 * ```
 *
 * @module
 */

export * from "./bytes.ts";
export * from "./commands.ts";
export * from "./command_codec.ts";
export * from "./concurrency.ts";
export * from "./election.ts";
export * from "./errors.ts";
export { minimumLeaseTtlSeconds } from "./leases.ts";
export * from "./limits.ts";
export * from "./local_client.ts";
export * from "./lock.ts";
export * from "./pagination.ts";
export { decodeSnapshot, encodeSnapshot, type LeaseState, type SnapshotState } from "./snapshot_codec.ts";
export { KV_CONFIG_DEFAULTS, type KvConfig, type KvStatus, KvStore } from "./store.ts";
export * from "./types.ts";
export { Watcher, type WatchEvent, type WatchOptions, type WatchResponse } from "./watch.ts";
export { decodeApplyResult, encodeApplyResult } from "./result_codec.ts";
export { validateDelete, validateKey, validatePut, validateRangeRequest, validateTxn } from "./validate.ts";
