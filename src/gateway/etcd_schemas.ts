/**
 * zod schemas of the `/v3` request bodies, as etcd's gateway reads them: proto or lowerCamel field names,
 * int64 as string or number, bytes as base64, enums by name or number, unknown fields ignored. Each schema
 * turns a body into the store's request shape.
 *
 * @module
 */

import { z } from "zod";
import type {
  Compare,
  CompareNumberTarget,
  CompareResult,
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  SortOrder,
  SortTarget,
  TxnRequest,
} from "../kv/types.ts";
import { decodeBase64 } from "./base64.ts";

/** Deepest nesting of objects accepted in a body (txn in txn in ...). */
export const BODY_NESTING_DEPTH_MAX = 32;

/**
 * Rewrites lowerCamel keys (`rangeEnd`, `prevKv`) to proto names (`range_end`, `prev_kv`), recursively;
 * keys that start with a capital (`TTL`, `ID`) are proto names already.
 *
 * @param value A parsed JSON value.
 * @param depth The current depth.
 * @returns The same value with proto key names.
 * @throws {RangeError} When the nesting is deeper than {@link BODY_NESTING_DEPTH_MAX}.
 * @example
 * ```ts
 * import { protoNames } from "./etcd_schemas.ts";
 * console.log(protoNames({ rangeEnd: "YQ==" })); // { range_end: "YQ==" }
 * ```
 */
export function protoNames(value: unknown, depth = 0): unknown {
  if (depth > BODY_NESTING_DEPTH_MAX) {
    throw new RangeError(
      `Cannot read the request body: it nests deeper than ${BODY_NESTING_DEPTH_MAX} levels`,
    );
  }
  if (Array.isArray(value)) return value.map((item) => protoNames(item, depth + 1));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const name = /^[a-z]/.test(key) ? key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`) : key;
    out[name] = protoNames(item, depth + 1);
  }
  return out;
}

const int64 = z.union([z.number().int(), z.string().regex(/^-?\d+$/, "expected an integer")])
  .transform((value, context) => {
    const number = Number(value);
    if (!Number.isSafeInteger(number)) {
      context.addIssue({ code: "custom", message: `${value} is beyond the safe integer range` });
      return z.NEVER;
    }
    return number;
  });
const count = int64.refine((value) => value >= 0, "expected a non-negative integer");
const bytes = z.string().transform((value, context) => {
  const decoded = decodeBase64(value);
  if (decoded === null) {
    context.addIssue({ code: "custom", message: "illegal base64 data" });
    return z.NEVER;
  }
  return decoded;
});
const flag = z.boolean().optional();

function protoEnum<const T extends readonly string[]>(names: T) {
  return z.union([z.enum(names), z.number().int().min(0).max(names.length - 1)])
    .transform((value) => (typeof value === "number" ? names[value]! : value) as T[number]);
}

const SORT_ORDERS = ["NONE", "ASCEND", "DESCEND"] as const;
const SORT_TARGETS = ["KEY", "VERSION", "CREATE", "MOD", "VALUE"] as const;
const COMPARE_RESULTS = ["EQUAL", "GREATER", "LESS", "NOT_EQUAL"] as const;
const COMPARE_TARGETS = ["VERSION", "CREATE", "MOD", "VALUE", "LEASE"] as const;
const WATCH_FILTERS = ["NOPUT", "NODELETE"] as const;

function setIf<T extends object, K extends keyof T>(
  target: T,
  key: K,
  value: T[K] | undefined,
  zero: unknown,
) {
  if (value !== undefined && value !== zero) target[key] = value;
}

function nonEmpty(value: Uint8Array | undefined): Uint8Array | undefined {
  return value === undefined || value.length === 0 ? undefined : value;
}

/** etcd's `RangeRequest`. */
export const rangeSchema = z.object({
  key: bytes.optional(),
  range_end: bytes.optional(),
  limit: count.optional(),
  revision: int64.optional(),
  sort_order: protoEnum(SORT_ORDERS).optional(),
  sort_target: protoEnum(SORT_TARGETS).optional(),
  serializable: flag,
  keys_only: flag,
  count_only: flag,
  min_mod_revision: count.optional(),
  max_mod_revision: count.optional(),
  min_create_revision: count.optional(),
  max_create_revision: count.optional(),
}).transform((body) => {
  const request: RangeRequest = { key: body.key ?? new Uint8Array(0) };
  setIf(request, "rangeEnd", nonEmpty(body.range_end), undefined);
  setIf(request, "limit", body.limit, 0);
  setIf(request, "revision", body.revision, 0);
  setIf(request, "sortOrder", body.sort_order?.toLowerCase() as SortOrder | undefined, "none");
  setIf(request, "sortTarget", body.sort_target?.toLowerCase() as SortTarget | undefined, "key");
  setIf(request, "keysOnly", body.keys_only, false);
  setIf(request, "countOnly", body.count_only, false);
  setIf(request, "minModRevision", body.min_mod_revision, 0);
  setIf(request, "maxModRevision", body.max_mod_revision, 0);
  setIf(request, "minCreateRevision", body.min_create_revision, 0);
  setIf(request, "maxCreateRevision", body.max_create_revision, 0);
  return { request, serializable: body.serializable === true };
});

/** etcd's `PutRequest`. */
export const putSchema = z.object({
  key: bytes.optional(),
  value: bytes.optional(),
  lease: int64.optional(),
  prev_kv: flag,
  ignore_value: flag,
  ignore_lease: flag,
}).transform((body) => {
  const request: PutRequest = { key: body.key ?? new Uint8Array(0), value: body.value ?? new Uint8Array(0) };
  setIf(request, "lease", body.lease, 0);
  setIf(request, "prevKv", body.prev_kv, false);
  setIf(request, "ignoreValue", body.ignore_value, false);
  setIf(request, "ignoreLease", body.ignore_lease, false);
  return request;
});

/** etcd's `DeleteRangeRequest`. */
export const deleteRangeSchema = z.object({
  key: bytes.optional(),
  range_end: bytes.optional(),
  prev_kv: flag,
}).transform((body) => {
  const request: DeleteRangeRequest = { key: body.key ?? new Uint8Array(0) };
  setIf(request, "rangeEnd", nonEmpty(body.range_end), undefined);
  setIf(request, "prevKv", body.prev_kv, false);
  return request;
});

const compareSchema = z.object({
  result: protoEnum(COMPARE_RESULTS).optional(),
  target: protoEnum(COMPARE_TARGETS).optional(),
  key: bytes.optional(),
  range_end: bytes.optional(),
  version: int64.optional(),
  create_revision: int64.optional(),
  mod_revision: int64.optional(),
  value: bytes.optional(),
  lease: int64.optional(),
}).transform((body): Compare => {
  const result = ({ EQUAL: "equal", GREATER: "greater", LESS: "less", NOT_EQUAL: "notEqual" } as const)[
    body.result ?? "EQUAL"
  ] satisfies CompareResult;
  const base = { key: body.key ?? new Uint8Array(0), result };
  const rangeEnd = nonEmpty(body.range_end);
  const span = rangeEnd === undefined ? base : { ...base, rangeEnd };
  const target = body.target ?? "VERSION";
  if (target === "VALUE") return { ...span, target: "value", value: body.value ?? new Uint8Array(0) };
  const numbers = {
    VERSION: ["version", body.version],
    CREATE: ["create", body.create_revision],
    MOD: ["mod", body.mod_revision],
    LEASE: ["lease", body.lease],
  } as const;
  const [name, number] = numbers[target];
  return { ...span, target: name satisfies CompareNumberTarget, number: number ?? 0 };
});

type RequestOpBody = {
  request_range?: unknown;
  request_put?: unknown;
  request_delete_range?: unknown;
  request_txn?: unknown;
};

const requestOpSchema: z.ZodType<RequestOp | null> = z.lazy(() =>
  z.object({
    request_range: rangeSchema.optional(),
    request_put: putSchema.optional(),
    request_delete_range: deleteRangeSchema.optional(),
    request_txn: txnSchema.optional(),
  }).transform((body: RequestOpBody & Record<string, unknown>): RequestOp | null => {
    if (body.request_range !== undefined) {
      return { type: "range", request: (body.request_range as { request: RangeRequest }).request };
    }
    if (body.request_put !== undefined) return { type: "put", request: body.request_put as PutRequest };
    if (body.request_delete_range !== undefined) {
      return { type: "deleteRange", request: body.request_delete_range as DeleteRangeRequest };
    }
    if (body.request_txn !== undefined) return { type: "txn", request: body.request_txn as TxnRequest };
    return null;
  })
);

/** etcd's `TxnRequest` (an op naming no request is dropped, as an unset oneof is). */
export const txnSchema: z.ZodType<TxnRequest> = z.lazy(() =>
  z.object({
    compare: z.array(compareSchema).optional(),
    success: z.array(requestOpSchema).optional(),
    failure: z.array(requestOpSchema).optional(),
  }).transform((body): TxnRequest => ({
    compare: body.compare ?? [],
    success: (body.success ?? []).filter((op): op is RequestOp => op !== null),
    failure: (body.failure ?? []).filter((op): op is RequestOp => op !== null),
  }))
);

/** etcd's `CompactionRequest`. */
export const compactionSchema = z.object({ revision: int64.optional(), physical: flag });

/** etcd's `LeaseGrantRequest`. */
export const leaseGrantSchema = z.object({ TTL: int64.optional(), ID: int64.optional() });
/** etcd's `LeaseRevokeRequest` and `LeaseKeepAliveRequest`. */
export const leaseIdSchema = z.object({ ID: int64.optional() });
/** etcd's `LeaseTimeToLiveRequest`. */
export const leaseTimeToLiveSchema = z.object({ ID: int64.optional(), keys: flag });

/** etcd's `WatchCreateRequest`. */
export const watchCreateSchema = z.object({
  key: bytes.optional(),
  range_end: bytes.optional(),
  start_revision: int64.optional(),
  progress_notify: flag,
  filters: z.array(protoEnum(WATCH_FILTERS)).optional(),
  prev_kv: flag,
  watch_id: int64.optional(),
  fragment: flag,
});

/** etcd's `WatchRequest` (one of create, cancel, progress). */
export const watchRequestSchema = z.object({
  create_request: watchCreateSchema.optional(),
  cancel_request: z.object({ watch_id: int64.optional() }).optional(),
  progress_request: z.object({}).optional(),
});

/** etcd's `LockRequest`. */
export const lockSchema = z.object({ name: bytes.optional(), lease: int64.optional() });
/** etcd's `UnlockRequest`. */
export const unlockSchema = z.object({ key: bytes.optional() });

const leaderKeySchema = z.object({
  name: bytes.optional(),
  key: bytes.optional(),
  rev: int64.optional(),
  lease: int64.optional(),
});
/** etcd's `CampaignRequest`. */
export const campaignSchema = z.object({
  name: bytes.optional(),
  lease: int64.optional(),
  value: bytes.optional(),
});
/** etcd's `ProclaimRequest`. */
export const proclaimSchema = z.object({ leader: leaderKeySchema.optional(), value: bytes.optional() });
/** etcd's `ResignRequest`. */
export const resignSchema = z.object({ leader: leaderKeySchema.optional() });
/** etcd's `LeaderRequest` and `ObserveRequest`. */
export const electionNameSchema = z.object({ name: bytes.optional() });
/** Bodies with no fields (`status`, `member/list`, `leases`). */
export const emptySchema = z.object({});

// These protos name fields in camelCase (`peerURLs`, `isLearner`, `memberID`, `targetID`); protoNames turns
// them into the keys below (`peer_u_r_ls`, ...), the same for both spellings the gateway accepts.
const uint64 = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d+$/, "expected an unsigned integer"),
])
  .transform((value, context) => {
    const id = BigInt(value);
    if (id >= 1n << 64n) {
      context.addIssue({ code: "custom", message: `${value} is beyond the uint64 range` });
      return z.NEVER;
    }
    return id;
  });

/** `/v3/maintenance/alarm`: `action` GET|ACTIVATE|DEACTIVATE, `memberID`, `alarm` NONE|NOSPACE|CORRUPT. */
export const alarmSchema = z.object({
  action: protoEnum(["GET", "ACTIVATE", "DEACTIVATE"] as const).optional(),
  member_i_d: uint64.optional(),
  alarm: protoEnum(["NONE", "NOSPACE", "CORRUPT"] as const).optional(),
});
/** `/v3/maintenance/transfer-leadership`: `targetID`. */
export const transferLeadershipSchema = z.object({ target_i_d: uint64.optional() });
/** `/v3/cluster/member/add`: `peerURLs`, `isLearner`, and dengine's `name` (default: the peer host:port). */
export const memberAddSchema = z.object({
  peer_u_r_ls: z.array(z.string()).optional(),
  is_learner: flag,
  name: z.string().min(1).max(256).optional(),
});
/** `/v3/cluster/member/remove` and `/promote`: `ID`. */
export const memberIdSchema = z.object({ ID: uint64.optional() });
/** `/v3/cluster/member/update`: `ID`, `peerURLs`. */
export const memberUpdateSchema = z.object({
  ID: uint64.optional(),
  peer_u_r_ls: z.array(z.string()).optional(),
});
