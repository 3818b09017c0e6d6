/**
 * The engine's counters and its fsync latency histogram, exported by the gateway's `/metrics`.
 *
 * @module
 */

/** Upper bounds of the fsync latency buckets in seconds (etcd's `wal_fsync_duration_seconds` bounds). */
export const FSYNC_BUCKET_BOUNDS_SECONDS: readonly number[] = [
  0.001,
  0.002,
  0.004,
  0.008,
  0.016,
  0.032,
  0.064,
  0.128,
  0.256,
  0.512,
  1.024,
  2.048,
  4.096,
  8.192,
];

/** A snapshot of the engine's metrics. */
export interface EngineMetricsSnapshot {
  /** Times this node saw the leader change (including to "no leader"). */
  leaderChanges: number;
  /** Proposals this node appended as leader. */
  proposals: number;
  /** Durable writes (one append + hard state per Ready): cumulative counts per bucket bound, then +Inf. */
  fsyncBucketCounts: number[];
  fsyncCount: number;
  fsyncSumSeconds: number;
}

/**
 * Counts what the driver does.
 *
 * @example
 * ```ts
 * import { EngineMetrics } from "./metrics.ts";
 * const metrics = new EngineMetrics();
 * metrics.observeFsync(0.7);
 * console.log(metrics.snapshot().fsyncBucketCounts[0]); // 1 (0.7 ms <= 1 ms)
 * ```
 */
export class EngineMetrics {
  leaderChanges = 0;
  proposals = 0;
  readonly #buckets = new Array<number>(FSYNC_BUCKET_BOUNDS_SECONDS.length + 1).fill(0);
  #fsyncCount = 0;
  #fsyncSumSeconds = 0;

  /**
   * Records one durable write.
   *
   * @param durationMs How long it took, in milliseconds.
   */
  observeFsync(durationMs: number): void {
    const seconds = Math.max(0, durationMs) / 1000;
    let bucket = FSYNC_BUCKET_BOUNDS_SECONDS.findIndex((bound) => seconds <= bound);
    if (bucket === -1) bucket = FSYNC_BUCKET_BOUNDS_SECONDS.length;
    this.#buckets[bucket]!++;
    this.#fsyncCount++;
    this.#fsyncSumSeconds += seconds;
  }

  /** @returns The current values, with cumulative bucket counts as Prometheus expects. */
  snapshot(): EngineMetricsSnapshot {
    const cumulative: number[] = [];
    let total = 0;
    for (const count of this.#buckets) cumulative.push(total += count);
    return {
      leaderChanges: this.leaderChanges,
      proposals: this.proposals,
      fsyncBucketCounts: cumulative,
      fsyncCount: this.#fsyncCount,
      fsyncSumSeconds: this.#fsyncSumSeconds,
    };
  }
}
