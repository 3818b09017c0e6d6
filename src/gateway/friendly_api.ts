/**
 * The friendly API for people with curl: plain keys in the path, UTF-8 values, JSON answers, Server-Sent
 * Events for watches (`Last-Event-ID` resumes), and errors as `{"error":{"code","message"}}`.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import type { z } from "zod";
import { prefixEnd, toText, utf8 } from "../kv/bytes.ts";
import { VALUE_BYTES_MAX } from "../kv/limits.ts";
import type { KeyValue, RangeRequest } from "../kv/types.ts";
import type { WatchOptions } from "../kv/watch.ts";
import type { GatewayBackend } from "./backend.ts";
import { mountFriendlyConcurrency } from "./friendly_concurrency.ts";
import { describeZodError, etcdErrorOf, GatewayError, Grpc, readBodyText } from "./etcd_errors.ts";
import {
  kvDeleteQuerySchema,
  kvGetQuerySchema,
  kvPutQuerySchema,
  leaseGrantBodySchema,
  watchQuerySchema,
} from "./friendly_schemas.ts";

const CODE_NAMES: Record<number, string> = {
  2: "unknown",
  3: "invalid_argument",
  4: "deadline_exceeded",
  5: "not_found",
  8: "resource_exhausted",
  9: "failed_precondition",
  11: "out_of_range",
  13: "internal",
  14: "unavailable",
};

function fail(c: Context, error: unknown): Response {
  const etcd = etcdErrorOf(error);
  const message = error instanceof Error && !(error instanceof GatewayError) ? error.message : etcd.message;
  return c.json(
    { error: { code: CODE_NAMES[etcd.grpcCode] ?? "unknown", message } },
    etcd.httpStatus as 400,
  );
}

function query<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const result = schema.safeParse(c.req.query());
  if (!result.success) {
    throw new GatewayError(Grpc.InvalidArgument, `query ${describeZodError(result.error)}`);
  }
  return result.data;
}

function keyOf(c: Context, base: string): Uint8Array {
  const raw = c.req.path.slice(base.length);
  try {
    return utf8(decodeURIComponent(raw));
  } catch {
    throw new GatewayError(
      Grpc.InvalidArgument,
      `Cannot read the key "${raw}": it is not valid percent-encoding`,
    );
  }
}

function span(key: Uint8Array, prefix: boolean | undefined): { key: Uint8Array; rangeEnd?: Uint8Array } {
  if (prefix !== true) return { key };
  return key.length === 0
    ? { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) }
    : { key, rangeEnd: prefixEnd(key) };
}

/**
 * @param kv A key-value.
 * @returns Its friendly JSON (key and value as UTF-8 text).
 * @example
 * ```ts ignore
 * friendlyKeyValue(kv); // {key: "a", value: "1", createRevision: 2, ...}
 * ```
 */
export function friendlyKeyValue(kv: KeyValue): Record<string, unknown> {
  return {
    key: toText(kv.key),
    value: toText(kv.value),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

async function getKv(c: Context, backend: GatewayBackend): Promise<Response> {
  const options = query(c, kvGetQuerySchema);
  const key = keyOf(c, "/api/kv/");
  const request: RangeRequest = span(key, options.prefix);
  if (options.limit !== undefined && options.limit > 0) request.limit = options.limit;
  if (options.revision !== undefined && options.revision > 0) request.revision = options.revision;
  if (options.keys_only === true) request.keysOnly = true;
  if (key.length === 0 && options.prefix !== true) {
    throw new GatewayError(
      Grpc.InvalidArgument,
      "Cannot read an empty key: name one, or add ?prefix to list",
    );
  }
  const response = await backend.range(request, options.consistency ?? "linearizable");
  if (options.prefix === true) {
    return c.json({
      revision: response.header.revision,
      count: response.count,
      more: response.more,
      kvs: response.kvs.map(friendlyKeyValue),
    });
  }
  const kv = response.kvs[0];
  if (kv === undefined) {
    throw new GatewayError(Grpc.NotFound, `Cannot read key "${toText(key)}": it does not exist`);
  }
  return c.json({ revision: response.header.revision, ...friendlyKeyValue(kv) });
}

async function putKv(c: Context, backend: GatewayBackend): Promise<Response> {
  const options = query(c, kvPutQuerySchema);
  const key = keyOf(c, "/api/kv/");
  const value = utf8(await readBodyText(c.req.raw));
  if (value.length > VALUE_BYTES_MAX) {
    throw new GatewayError(
      Grpc.InvalidArgument,
      `Cannot put key "${toText(key)}": value is ${value.length} bytes, the limit is ${VALUE_BYTES_MAX}`,
    );
  }
  const response = await backend.write({
    type: "put",
    request: { key, value, ...(options.lease ? { lease: options.lease } : {}) },
  });
  return c.json({ revision: response.response.header.revision });
}

async function deleteKv(c: Context, backend: GatewayBackend): Promise<Response> {
  const options = query(c, kvDeleteQuerySchema);
  const response = await backend.write({
    type: "deleteRange",
    request: span(keyOf(c, "/api/kv/"), options.prefix),
  });
  if (response.type !== "deleteRange") {
    throw new GatewayError(Grpc.Internal, "a delete was answered otherwise");
  }
  return c.json({ revision: response.response.header.revision, deleted: response.response.deleted });
}

function watchSse(c: Context, backend: GatewayBackend): Response {
  const options = query(c, watchQuerySchema);
  const lastEventId = Number(c.req.header("last-event-id") ?? "0");
  if (!Number.isSafeInteger(lastEventId) || lastEventId < 0) {
    throw new GatewayError(
      Grpc.InvalidArgument,
      `Cannot resume a watch: Last-Event-ID "${lastEventId}" is not a revision`,
    );
  }
  const watch: WatchOptions = span(keyOf(c, "/api/watch/"), options.prefix);
  const start = lastEventId > 0 ? lastEventId + 1 : options.start_revision ?? 0;
  if (start > 0) watch.startRevision = start;
  if (options.prev_kv === true) watch.prevKv = true;
  const stream = backend.watch(watch);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      const response = await stream.next();
      if (response === null) return controller.close();
      if (response.canceled) {
        const data = JSON.stringify({
          compactRevision: response.compactRevision,
          reason: response.cancelReason,
        });
        controller.enqueue(encoder.encode(`event: canceled\ndata: ${data}\n\n`));
        return controller.close();
      }
      if (response.created) return controller.enqueue(encoder.encode(`: watching\n\n`));
      const revision = response.header.revision;
      const data = JSON.stringify({
        revision,
        events: response.events.map((event) => ({
          type: event.type,
          kv: friendlyKeyValue(event.kv),
          ...(event.prevKv === undefined ? {} : { prevKv: friendlyKeyValue(event.prevKv) }),
        })),
      });
      controller.enqueue(
        encoder.encode(
          `id: ${revision}\nevent: ${response.events.length > 0 ? "change" : "progress"}\ndata: ${data}\n\n`,
        ),
      );
    },
    cancel: () => stream.cancel(),
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
}

async function grantLease(c: Context, backend: GatewayBackend): Promise<Response> {
  let json: unknown;
  try {
    json = JSON.parse(await readBodyText(c.req.raw));
  } catch {
    throw new GatewayError(
      Grpc.InvalidArgument,
      'Cannot grant a lease: the body must be JSON like {"ttl":10}',
    );
  }
  const parsed = leaseGrantBodySchema.safeParse(json);
  if (!parsed.success) throw new GatewayError(Grpc.InvalidArgument, describeZodError(parsed.error));
  const response = await backend.write({
    type: "leaseGrant",
    id: parsed.data.id ?? 0,
    ttlSeconds: parsed.data.ttl,
    clock: { term: 0, nowMs: 0 },
  });
  if (response.type !== "leaseGrant") throw new GatewayError(Grpc.Internal, "a grant was answered otherwise");
  return c.json({ id: response.response.id, ttl: response.response.ttlSeconds }, 201);
}

function leaseIdOf(c: Context): number {
  const id = Number(c.req.param("id"));
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new GatewayError(Grpc.InvalidArgument, `Cannot find lease "${c.req.param("id")}": not a lease id`);
  }
  return id;
}

/**
 * Mounts the friendly API (`/api/...`) and the health routes.
 *
 * @param app The Hono app.
 * @param backend The backend.
 * @example
 * ```ts ignore
 * mountFriendlyApi(app, backend);
 * ```
 */
export function mountFriendlyApi(app: Hono, backend: GatewayBackend): void {
  const wrap = (handler: (c: Context, backend: GatewayBackend) => Response | Promise<Response>) =>
  async (
    c: Context,
  ) => {
    try {
      return await handler(c, backend);
    } catch (error) {
      return fail(c, error);
    }
  };
  app.get("/api/kv/*", wrap(getKv));
  app.put("/api/kv/*", wrap(putKv));
  app.delete("/api/kv/*", wrap(deleteKv));
  app.get("/api/watch/*", wrap(watchSse));
  app.post("/api/leases", wrap(grantLease));
  app.get("/api/leases", wrap(async (c) => c.json({ ids: await backend.leaseIds() })));
  app.get(
    "/api/leases/:id",
    wrap(async (c) => {
      const response = await backend.leaseTimeToLive(leaseIdOf(c), true);
      if (response.ttlSeconds === -1) {
        throw new GatewayError(Grpc.NotFound, `Cannot find lease ${response.id}: it does not exist`);
      }
      return c.json({
        id: response.id,
        ttl: response.ttlSeconds,
        grantedTtl: response.grantedTtlSeconds,
        keys: response.keys.map(toText),
      });
    }),
  );
  app.post(
    "/api/leases/:id/keepalive",
    wrap(async (c) => {
      const response = await backend.write({
        type: "leaseKeepAlive",
        id: leaseIdOf(c),
        clock: { term: 0, nowMs: 0 },
      });
      return c.json({
        id: leaseIdOf(c),
        ttl: response.type === "leaseKeepAlive" ? response.response.ttlSeconds : 0,
      });
    }),
  );
  app.delete(
    "/api/leases/:id",
    wrap(async (c) => {
      const response = await backend.write({ type: "leaseRevoke", id: leaseIdOf(c) });
      return c.json({ revision: response.response.header.revision });
    }),
  );
  app.get(
    "/api/cluster",
    wrap((c) => {
      const info = backend.info();
      return c.json({
        memberId: info.memberId.toString(),
        leaderId: info.leaderId.toString(),
        raftTerm: info.raftTerm,
        raftIndex: info.raftIndex,
        revision: info.revision,
        members: backend.members().map((member) => ({ ...member, id: member.id.toString() })),
      });
    }),
  );
  mountFriendlyConcurrency(app, wrap);
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/ready", (c) => {
    const info = backend.info();
    return info.leaderId === 0n
      ? c.json({ ready: false, reason: "no leader" }, 503)
      : c.json({ ready: true, leaderId: info.leaderId.toString() });
  });
}
