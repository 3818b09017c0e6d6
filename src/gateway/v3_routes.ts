/**
 * The unary `/v3` routes: kv, lease, cluster, maintenance, lock and election, answering as etcd 3.4's
 * JSON gateway does.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import type { z } from "zod";
import type { Command, CommandResponse } from "../kv/commands.ts";
import { acquireLock } from "../kv/lock.ts";
import { campaign, electionLeader, proclaim, resign } from "../kv/election.ts";
import { concurrencyKvOf, type GatewayBackend, type WriteIdentityHeader } from "./backend.ts";
import { encodeBase64 } from "./base64.ts";
import {
  encodeDeleteRange,
  encodeHeader,
  encodeKeyValue,
  encodeMembers,
  encodePut,
  encodeRange,
  encodeTxn,
  type JsonObject,
} from "./etcd_json.ts";
import { etcdErrorBody, etcdErrorOf, GatewayError, Grpc, parseBody, readBodyText } from "./etcd_errors.ts";
import {
  campaignSchema,
  compactionSchema,
  deleteRangeSchema,
  electionNameSchema,
  emptySchema,
  leaseGrantSchema,
  leaseIdSchema,
  leaseTimeToLiveSchema,
  lockSchema,
  proclaimSchema,
  putSchema,
  rangeSchema,
  resignSchema,
  txnSchema,
  unlockSchema,
} from "./etcd_schemas.ts";

type Handler<S extends z.ZodType> = (input: z.output<S>, backend: GatewayBackend) => Promise<JsonObject>;

/**
 * Answers one unary route: reads and validates the body, runs the handler, encodes the answer or
 * etcd's error body.
 *
 * @param backend The backend.
 * @param schema The body schema.
 * @param handler The route's work.
 * @param recipeCode The gRPC code store errors get on this route (lock and election answer Unknown).
 * @returns The Hono handler.
 * @example
 * ```ts ignore
 * app.post("/v3/kv/range", unary(backend, rangeSchema, handleRange));
 * ```
 */
export function unary<S extends z.ZodType>(
  backend: GatewayBackend,
  schema: S,
  handler: Handler<S>,
  recipeCode?: number,
  singleWrite = false,
): (c: Context) => Promise<Response> {
  return async (c) => {
    try {
      const input = parseBody(await readBodyText(c.req.raw), schema);
      const identity = singleWrite ? writeIdentityOf(c) : null;
      return c.json(await handler(input, identity === null ? backend : withWriteIdentity(backend, identity)));
    } catch (error) {
      const etcd = etcdErrorOf(error, error instanceof GatewayError ? undefined : recipeCode);
      return c.json(etcdErrorBody(etcd), etcd.httpStatus as 400);
    }
  };
}

/** The request headers that carry a remote client's dedup identity for a write. */
export const CLIENT_ID_HEADER = "x-dengine-client-id";
/** See {@link CLIENT_ID_HEADER}. */
export const SEQUENCE_HEADER = "x-dengine-sequence";

function writeIdentityOf(c: Context): WriteIdentityHeader | null {
  const clientText = c.req.header(CLIENT_ID_HEADER);
  const sequenceText = c.req.header(SEQUENCE_HEADER);
  if (clientText === undefined && sequenceText === undefined) return null;
  const clientId = Number(clientText);
  const sequence = Number(sequenceText);
  const valid = (value: number) => Number.isSafeInteger(value) && value > 0;
  if (!valid(clientId) || !valid(sequence)) {
    throw new GatewayError(
      Grpc.InvalidArgument,
      `headers ${CLIENT_ID_HEADER} and ${SEQUENCE_HEADER} must both be positive integers below 2^53 ` +
        `(got "${clientText ?? ""}" and "${sequenceText ?? ""}")`,
    );
  }
  return { clientId, sequence };
}

// Only for routes that make exactly one write: a recipe making several writes must not share one identity.
function withWriteIdentity(backend: GatewayBackend, identity: WriteIdentityHeader): GatewayBackend {
  return new Proxy(backend, {
    get(target, property) {
      if (property === "write") return (command: Command) => target.write(command, identity);
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function expect<T extends CommandResponse["type"]>(response: CommandResponse, type: T) {
  if (response.type !== type) {
    throw new GatewayError(Grpc.Internal, `a ${type} was answered with ${response.type}`);
  }
  return response.response as Extract<CommandResponse, { type: T }>["response"];
}

const header = (backend: GatewayBackend, revision: number) => encodeHeader(backend.info(), revision);

async function handleRange(input: z.output<typeof rangeSchema>, backend: GatewayBackend) {
  const response = await backend.range(input.request, input.serializable ? "serializable" : "linearizable");
  return encodeRange(response, header(backend, response.header.revision));
}

async function handlePut(request: z.output<typeof putSchema>, backend: GatewayBackend) {
  const response = expect(await backend.write({ type: "put", request }), "put");
  return encodePut(response, header(backend, response.header.revision));
}

async function handleDeleteRange(request: z.output<typeof deleteRangeSchema>, backend: GatewayBackend) {
  const response = expect(await backend.write({ type: "deleteRange", request }), "deleteRange");
  return encodeDeleteRange(response, header(backend, response.header.revision));
}

async function handleTxn(request: z.output<typeof txnSchema>, backend: GatewayBackend) {
  const response = expect(await backend.write({ type: "txn", request }), "txn");
  return encodeTxn(response, header(backend, response.header.revision));
}

async function handleCompaction(input: z.output<typeof compactionSchema>, backend: GatewayBackend) {
  const response = expect(await backend.write({ type: "compact", revision: input.revision ?? 0 }), "compact");
  return { header: header(backend, response.header.revision) };
}

async function handleLeaseGrant(input: z.output<typeof leaseGrantSchema>, backend: GatewayBackend) {
  const response = expect(
    await backend.write({
      type: "leaseGrant",
      id: input.ID ?? 0,
      ttlSeconds: input.TTL ?? 0,
      clock: { term: 0, nowMs: 0 },
    }),
    "leaseGrant",
  );
  return {
    header: header(backend, response.header.revision),
    ID: String(response.id),
    TTL: String(response.ttlSeconds),
  };
}

async function handleLeaseRevoke(input: z.output<typeof leaseIdSchema>, backend: GatewayBackend) {
  const response = expect(await backend.write({ type: "leaseRevoke", id: input.ID ?? 0 }), "leaseRevoke");
  return { header: header(backend, response.header.revision) };
}

async function handleTimeToLive(input: z.output<typeof leaseTimeToLiveSchema>, backend: GatewayBackend) {
  const response = await backend.leaseTimeToLive(input.ID ?? 0, input.keys === true);
  const out: JsonObject = { header: header(backend, response.header.revision) };
  if (response.id !== 0) out["ID"] = String(response.id);
  if (response.ttlSeconds !== 0) out["TTL"] = String(response.ttlSeconds);
  if (response.grantedTtlSeconds !== 0) out["grantedTTL"] = String(response.grantedTtlSeconds);
  if (response.keys.length > 0) out["keys"] = response.keys.map(encodeBase64);
  return out;
}

async function handleLeases(_input: unknown, backend: GatewayBackend) {
  const ids = await backend.leaseIds();
  const out: JsonObject = { header: header(backend, backend.info().revision) };
  if (ids.length > 0) out["leases"] = ids.map((id) => ({ ID: String(id) }));
  return out;
}

function handleStatus(_input: unknown, backend: GatewayBackend): Promise<JsonObject> {
  const info = backend.info();
  const out: JsonObject = { header: encodeHeader(info, info.revision), version: info.version };
  const numbers: [string, number | bigint][] = [
    ["dbSize", info.dbSizeBytes],
    ["leader", info.leaderId],
    ["raftIndex", info.raftIndex],
    ["raftTerm", info.raftTerm],
    ["raftAppliedIndex", info.raftAppliedIndex],
    ["dbSizeInUse", info.dbSizeInUseBytes],
  ];
  for (const [name, value] of numbers) if (value !== 0 && value !== 0n) out[name] = value.toString();
  if (info.isLearner) out["isLearner"] = true;
  return Promise.resolve(out);
}

function handleMemberList(_input: unknown, backend: GatewayBackend): Promise<JsonObject> {
  return Promise.resolve({ header: header(backend, 0), members: encodeMembers(backend.members()) });
}

async function handleLock(input: z.output<typeof lockSchema>, backend: GatewayBackend) {
  const held = await acquireLock(concurrencyKvOf(backend), input.name ?? new Uint8Array(0), input.lease ?? 0);
  return { header: header(backend, backend.info().revision), key: encodeBase64(held.key) };
}

async function handleUnlock(input: z.output<typeof unlockSchema>, backend: GatewayBackend) {
  const response = expect(
    await backend.write({ type: "deleteRange", request: { key: input.key ?? new Uint8Array(0) } }),
    "deleteRange",
  );
  return { header: header(backend, response.header.revision) };
}

async function handleCampaign(input: z.output<typeof campaignSchema>, backend: GatewayBackend) {
  const name = input.name ?? new Uint8Array(0);
  const leader = await campaign(
    concurrencyKvOf(backend),
    name,
    input.lease ?? 0,
    input.value ?? new Uint8Array(0),
  );
  const leaderJson: JsonObject = { name: encodeBase64(leader.name), key: encodeBase64(leader.key) };
  if (leader.revision !== 0) leaderJson["rev"] = String(leader.revision);
  if (leader.leaseId !== 0) leaderJson["lease"] = String(leader.leaseId);
  return { header: header(backend, backend.info().revision), leader: leaderJson };
}

function leaderKeyOf(input: z.output<typeof resignSchema>) {
  const leader = input.leader;
  if (leader === undefined) throw new GatewayError(Grpc.Unknown, '"leader" field must be provided');
  return {
    name: leader.name ?? new Uint8Array(0),
    key: leader.key ?? new Uint8Array(0),
    revision: leader.rev ?? 0,
    leaseId: leader.lease ?? 0,
  };
}

async function handleProclaim(input: z.output<typeof proclaimSchema>, backend: GatewayBackend) {
  await proclaim(concurrencyKvOf(backend), leaderKeyOf(input), input.value ?? new Uint8Array(0));
  return { header: header(backend, backend.info().revision) };
}

async function handleResign(input: z.output<typeof resignSchema>, backend: GatewayBackend) {
  await resign(concurrencyKvOf(backend), leaderKeyOf(input));
  return { header: header(backend, backend.info().revision) };
}

async function handleLeader(input: z.output<typeof electionNameSchema>, backend: GatewayBackend) {
  const kv = await electionLeader(concurrencyKvOf(backend), input.name ?? new Uint8Array(0));
  return { header: header(backend, backend.info().revision), kv: encodeKeyValue(kv) };
}

/**
 * Mounts every unary `/v3` route under `prefix` (`/v3` or `/v3beta`).
 *
 * @param app The Hono app.
 * @param backend The backend.
 * @param prefix The path prefix.
 * @example
 * ```ts ignore
 * mountV3Unary(app, backend, "/v3");
 * ```
 */
export function mountV3Unary(app: Hono, backend: GatewayBackend, prefix: string): void {
  const route = <S extends z.ZodType>(path: string, schema: S, handler: Handler<S>, recipeCode?: number) =>
    app.post(`${prefix}${path}`, unary(backend, schema, handler, recipeCode));
  const writeRoute = <S extends z.ZodType>(path: string, schema: S, handler: Handler<S>) =>
    app.post(`${prefix}${path}`, unary(backend, schema, handler, undefined, true));
  route("/kv/range", rangeSchema, handleRange);
  writeRoute("/kv/put", putSchema, handlePut);
  writeRoute("/kv/deleterange", deleteRangeSchema, handleDeleteRange);
  writeRoute("/kv/txn", txnSchema, handleTxn);
  writeRoute("/kv/compaction", compactionSchema, handleCompaction);
  writeRoute("/lease/grant", leaseGrantSchema, handleLeaseGrant);
  for (const base of ["/lease", "/kv/lease"]) {
    writeRoute(`${base}/revoke`, leaseIdSchema, handleLeaseRevoke);
    route(`${base}/timetolive`, leaseTimeToLiveSchema, handleTimeToLive);
    route(`${base}/leases`, emptySchema, handleLeases);
  }
  route("/maintenance/status", emptySchema, handleStatus);
  route("/cluster/member/list", emptySchema, handleMemberList);
  route("/lock/lock", lockSchema, handleLock, Grpc.Unknown);
  route("/lock/unlock", unlockSchema, handleUnlock, Grpc.Unknown);
  route("/election/campaign", campaignSchema, handleCampaign, Grpc.Unknown);
  route("/election/proclaim", proclaimSchema, handleProclaim, Grpc.Unknown);
  route("/election/resign", resignSchema, handleResign, Grpc.Unknown);
  route("/election/leader", electionNameSchema, handleLeader, Grpc.Unknown);
}
