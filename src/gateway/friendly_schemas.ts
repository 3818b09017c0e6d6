/**
 * zod schemas of the friendly API's queries and bodies (also the source of `/openapi.json`).
 *
 * @module
 */

import { z } from "zod";
import { RANGE_KEYS_MAX } from "../kv/limits.ts";

const flag = z.enum(["", "true", "false", "1", "0"]).transform((value) =>
  value === "" || value === "true" || value === "1"
);
const revision = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** `GET /api/kv/{key}` query. */
export const kvGetQuerySchema = z.object({
  prefix: flag.optional(),
  limit: z.coerce.number().int().min(0).max(RANGE_KEYS_MAX).optional(),
  revision: revision.optional(),
  consistency: z.enum(["linearizable", "lease", "serializable"]).optional(),
  keys_only: flag.optional(),
});

/** `PUT /api/kv/{key}` query (the body is the value, as is). */
export const kvPutQuerySchema = z.object({ lease: revision.optional() });

/** `DELETE /api/kv/{key}` query. */
export const kvDeleteQuerySchema = z.object({ prefix: flag.optional() });

/** `GET /api/watch/{key}` query (`Last-Event-ID` resumes after that revision). */
export const watchQuerySchema = z.object({
  prefix: flag.optional(),
  start_revision: revision.optional(),
  prev_kv: flag.optional(),
});

/** `POST /api/leases` body. */
export const leaseGrantBodySchema = z.object({
  ttl: z.number().int().min(1).max(9_000_000_000),
  id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});

/** The error body of every friendly route. */
export const friendlyErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** One key-value as the friendly API shows it (value as UTF-8 text). */
export const friendlyKeyValueSchema = z.object({
  key: z.string(),
  value: z.string(),
  createRevision: z.number(),
  modRevision: z.number(),
  version: z.number(),
  lease: z.number(),
});
