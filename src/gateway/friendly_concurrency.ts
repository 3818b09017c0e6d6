/**
 * The friendly API's locks and elections: the same session recipes as `/v3/lock` and `/v3/election` (keys
 * `<name>/<lease id in hex>`, the lowest create revision owns), with plain names in the path and UTF-8 values.
 * The caller holds a lease (`POST /api/leases`) and keeps it alive; when it expires the lock or leadership goes.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import { z } from "zod";
import { toText, utf8 } from "../kv/bytes.ts";
import { campaign, electionLeader, type LeaderKey, proclaim, resign } from "../kv/election.ts";
import { acquireLock } from "../kv/lock.ts";
import { VALUE_BYTES_MAX } from "../kv/limits.ts";
import { concurrencyKvOf, type GatewayBackend } from "./backend.ts";
import { describeZodError, GatewayError, Grpc, readBodyText } from "./etcd_errors.ts";

const leaseId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** `POST /api/locks/<name>` body. */
export const lockBodySchema = z.strictObject({ lease: leaseId });

/** `POST /api/elections/<name>/campaign` body. */
export const campaignBodySchema = z.strictObject({ lease: leaseId, value: z.string().max(VALUE_BYTES_MAX) });

/** The leader handle that `campaign` answers and `proclaim`/`resign` take back. */
export const leaderBodySchema = z.strictObject({
  /** Optional: the election's name as campaign answered it (the path names the election). */
  name: z.string().optional(),
  key: z.string().min(1),
  revision: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  lease: leaseId,
});

/** `POST /api/elections/<name>/proclaim` body. */
export const proclaimBodySchema = leaderBodySchema.extend({ value: z.string().max(VALUE_BYTES_MAX) });

async function body<S extends z.ZodType>(
  c: Context,
  schema: S,
  action: string,
  example: string,
): Promise<z.output<S>> {
  let json: unknown;
  try {
    json = JSON.parse(await readBodyText(c.req.raw));
  } catch {
    throw new GatewayError(Grpc.InvalidArgument, `Cannot ${action}: the body must be JSON like ${example}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new GatewayError(Grpc.InvalidArgument, `Cannot ${action}: ${describeZodError(parsed.error)}`);
  }
  return parsed.data;
}

function pathName(c: Context, base: string, suffix = ""): Uint8Array {
  const raw = c.req.path.slice(base.length, c.req.path.length - suffix.length);
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    throw new GatewayError(
      Grpc.InvalidArgument,
      `Cannot read the name "${raw}": it is not valid percent-encoding`,
    );
  }
  if (name === "") throw new GatewayError(Grpc.InvalidArgument, "The name in the path is empty");
  return utf8(name);
}

function leaderJson(leader: LeaderKey): Record<string, unknown> {
  return {
    name: toText(leader.name),
    key: toText(leader.key),
    revision: leader.revision,
    lease: leader.leaseId,
  };
}

function leaderOf(name: Uint8Array, input: z.output<typeof leaderBodySchema>): LeaderKey {
  return { name, key: utf8(input.key), revision: input.revision, leaseId: input.lease };
}

type Wrap = (
  handler: (c: Context, backend: GatewayBackend) => Promise<Response>,
) => (c: Context) => Promise<Response>;

/**
 * Mounts `/api/locks/*` and `/api/elections/*`.
 *
 * @param app The Hono app.
 * @param wrap Turns a handler's thrown errors into the friendly API's error answers.
 * @example
 * ```ts ignore
 * mountFriendlyConcurrency(app, wrap);
 * ```
 */
export function mountFriendlyConcurrency(app: Hono, wrap: Wrap): void {
  // Waits until the lock is held (a long poll), then answers its key and fencing token.
  app.post(
    "/api/locks/*",
    wrap(async (c, backend) => {
      const input = await body(c, lockBodySchema, "take the lock", '{"lease":7587}');
      const held = await acquireLock(concurrencyKvOf(backend), pathName(c, "/api/locks/"), input.lease);
      return c.json({ key: toText(held.key), fencingToken: held.revision, lease: held.leaseId });
    }),
  );
  // Releases the lock whose key `POST /api/locks/<name>` answered.
  app.delete(
    "/api/locks/*",
    wrap(async (c, backend) => {
      const key = pathName(c, "/api/locks/");
      const response = await backend.write({ type: "deleteRange", request: { key } });
      if (response.type !== "deleteRange") {
        throw new GatewayError(Grpc.Internal, "an unlock was answered otherwise");
      }
      return c.json({ revision: response.response.header.revision, released: response.response.deleted > 0 });
    }),
  );
  app.post(
    "/api/elections/*/campaign",
    wrap(async (c, backend) => {
      const input = await body(c, campaignBodySchema, "campaign", '{"lease":7587,"value":"10.0.0.1"}');
      const name = pathName(c, "/api/elections/", "/campaign");
      const leader = await campaign(concurrencyKvOf(backend), name, input.lease, utf8(input.value));
      return c.json({ leader: leaderJson(leader) });
    }),
  );
  app.post(
    "/api/elections/*/proclaim",
    wrap(async (c, backend) => {
      const input = await body(
        c,
        proclaimBodySchema,
        "proclaim",
        '{"key":"..","revision":5,"lease":7587,"value":".."}',
      );
      const name = pathName(c, "/api/elections/", "/proclaim");
      const revision = await proclaim(concurrencyKvOf(backend), leaderOf(name, input), utf8(input.value));
      return c.json({ revision });
    }),
  );
  app.post(
    "/api/elections/*/resign",
    wrap(async (c, backend) => {
      const input = await body(c, leaderBodySchema, "resign", '{"key":"..","revision":5,"lease":7587}');
      const name = pathName(c, "/api/elections/", "/resign");
      const resigned = await resign(concurrencyKvOf(backend), leaderOf(name, input));
      return c.json({ resigned });
    }),
  );
  app.get(
    "/api/elections/*",
    wrap(async (c, backend) => {
      const kv = await electionLeader(concurrencyKvOf(backend), pathName(c, "/api/elections/"));
      return c.json({
        key: toText(kv.key),
        value: toText(kv.value),
        revision: kv.createRevision,
        lease: kv.lease,
      });
    }),
  );
}
