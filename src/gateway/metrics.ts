/**
 * `/metrics` in the Prometheus text format: the node's raft and store gauges, and HTTP requests counted by
 * route and status.
 *
 * @module
 */

import type { Hono } from "hono";
import type { GatewayBackend } from "./backend.ts";
import { type EngineMetricsSnapshot, FSYNC_BUCKET_BOUNDS_SECONDS } from "../engine/metrics.ts";

function engineLines(metrics: EngineMetricsSnapshot): string[] {
  const lines = [
    "# HELP dengine_raft_leader_changes_total Leader changes this node has seen.",
    "# TYPE dengine_raft_leader_changes_total counter",
    `dengine_raft_leader_changes_total ${metrics.leaderChanges}`,
    "# HELP dengine_raft_proposals_total Proposals this node appended as leader.",
    "# TYPE dengine_raft_proposals_total counter",
    `dengine_raft_proposals_total ${metrics.proposals}`,
    "# HELP dengine_wal_fsync_duration_seconds Durable log writes (one fsync per batch).",
    "# TYPE dengine_wal_fsync_duration_seconds histogram",
  ];
  FSYNC_BUCKET_BOUNDS_SECONDS.forEach((bound, i) => {
    lines.push(`dengine_wal_fsync_duration_seconds_bucket{le="${bound}"} ${metrics.fsyncBucketCounts[i]}`);
  });
  lines.push(
    `dengine_wal_fsync_duration_seconds_bucket{le="+Inf"} ${metrics.fsyncCount}`,
    `dengine_wal_fsync_duration_seconds_sum ${metrics.fsyncSumSeconds}`,
    `dengine_wal_fsync_duration_seconds_count ${metrics.fsyncCount}`,
  );
  return lines;
}

/** Distinct (route, status) series kept; further ones are counted under route "other". */
export const REQUEST_SERIES_MAX = 1_000;

/**
 * Counts requests and serves `/metrics`. Mount it before the routes so every request is counted.
 *
 * @param app The Hono app.
 * @param backend The backend.
 * @example
 * ```ts ignore
 * mountMetrics(app, backend);
 * ```
 */
export function mountMetrics(app: Hono, backend: GatewayBackend): void {
  const requests = new Map<string, number>();
  app.use("*", async (c, next) => {
    await next();
    let series = `route="${c.req.routePath}",method="${c.req.method}",status="${c.res.status}"`;
    if (!requests.has(series) && requests.size >= REQUEST_SERIES_MAX) {
      series = `route="other",method="",status=""`;
    }
    requests.set(series, (requests.get(series) ?? 0) + 1);
  });
  app.get("/metrics", (c) => {
    const info = backend.info();
    const lines = [
      "# HELP dengine_raft_term The current raft term.",
      "# TYPE dengine_raft_term gauge",
      `dengine_raft_term ${info.raftTerm}`,
      "# HELP dengine_raft_index The raft commit index known to this node.",
      "# TYPE dengine_raft_index gauge",
      `dengine_raft_index ${info.raftIndex}`,
      "# HELP dengine_raft_applied_index The raft index applied to the store.",
      "# TYPE dengine_raft_applied_index gauge",
      `dengine_raft_applied_index ${info.raftAppliedIndex}`,
      "# HELP dengine_has_leader Whether this node knows a leader.",
      "# TYPE dengine_has_leader gauge",
      `dengine_has_leader ${info.leaderId === 0n ? 0 : 1}`,
      "# HELP dengine_kv_revision The store's current revision.",
      "# TYPE dengine_kv_revision gauge",
      `dengine_kv_revision ${info.revision}`,
      "# HELP dengine_kv_size_bytes Data charged against the quota.",
      "# TYPE dengine_kv_size_bytes gauge",
      `dengine_kv_size_bytes ${info.dbSizeBytes}`,
      "# HELP dengine_http_requests_total HTTP requests by route, method and status.",
      "# TYPE dengine_http_requests_total counter",
      ...[...requests].map(([series, count]) => `dengine_http_requests_total{${series}} ${count}`),
    ];
    const engine = backend.engineMetrics?.();
    if (engine !== undefined) lines.push(...engineLines(engine));
    return c.text(lines.join("\n") + "\n", 200, { "content-type": "text/plain; version=0.0.4" });
  });
}
