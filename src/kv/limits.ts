/**
 * The named limits of the key-value store. Every queue, batch and message of src/kv is bounded by one of
 * these (or by a {@link KvConfig} field whose default is one of these).
 *
 * @module
 */

/** Largest encoded request (command) the store accepts, like etcd's 1.5 MiB `MaxRequestBytes`. */
export const REQUEST_BYTES_MAX = 1.5 * 1024 * 1024;
/** Largest key. etcd only bounds the request; a key this size already defeats any index. */
export const KEY_BYTES_MAX = 32 * 1024;
/** Largest value (a put must still fit in {@link REQUEST_BYTES_MAX} with its key). */
export const VALUE_BYTES_MAX = REQUEST_BYTES_MAX;
/** Most operations in one branch (or comparisons) of one transaction, like etcd's `--max-txn-ops`. */
export const TXN_OPS_MAX = 128;
/** Deepest nesting of transactions inside transactions. */
export const TXN_DEPTH_MAX = 8;
/** Most watchers one store serves at once. */
export const WATCHERS_MAX = 10_000;
/** Default per-watcher bound on undelivered live events before the watcher is cancelled as too slow. */
export const WATCH_PENDING_EVENTS_MAX = 10_000;
/** Default most events per watch response (a single revision with more events is still sent whole). */
export const WATCH_EVENTS_PER_RESPONSE_MAX = 1_000;
/** Most revisions one `poll()` examines, so one call never walks a whole long history. */
export const WATCH_SCAN_REVISIONS_MAX = 10_000;
/** Most leases alive at once. */
export const LEASES_MAX = 1_000_000;
/** Largest lease TTL in seconds, as etcd's `MaxLeaseTTL`. */
export const LEASE_TTL_SECONDS_MAX = 9_000_000_000;
/** Most leases in one checkpoint command. */
export const LEASE_CHECKPOINTS_PER_COMMAND_MAX = 1_000;
/** Default most clients remembered by the request dedup table. */
export const DEDUP_CLIENTS_MAX = 10_000;
/** Default number of applied log indexes after which an idle client's dedup entry is forgotten. */
export const DEDUP_ENTRY_TTL_INDEXES = 1_000_000;
/** Default quota on stored data (etcd's default backend quota is 2 GiB). */
export const QUOTA_BYTES_DEFAULT = 2 * 1024 * 1024 * 1024;
/** Bytes charged per stored revision of a key, on top of key and value (index and metadata). */
export const REVISION_OVERHEAD_BYTES = 64;
/** Bytes charged per lease. */
export const LEASE_OVERHEAD_BYTES = 64;
/** Most keys one range may return; a bigger range is paged (see `rangePages`). */
export const RANGE_KEYS_MAX = 1_000_000;
