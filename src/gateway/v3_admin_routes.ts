/**
 * The `/v3` maintenance and cluster routes that change or inspect the cluster: alarm, defragment, hash,
 * snapshot, transfer-leadership, and member add, remove, promote and update, answering as etcd 3.4's JSON
 * gateway does. Each needs an optional {@link GatewayBackend} method; without it the route answers gRPC's
 * Unimplemented, as a server without the method would.
 *
 * @module
 */

import type { Hono } from "hono";
import type { z } from "zod";
import type { GatewayBackend, GatewayMember } from "./backend.ts";
import { encodeHeader, encodeMember, encodeMembers, type JsonObject } from "./etcd_json.ts";
import { etcdErrorBody, etcdErrorOf, GatewayError, Grpc, parseBody, readBodyText } from "./etcd_errors.ts";
import {
  alarmSchema,
  emptySchema,
  memberAddSchema,
  memberIdSchema,
  memberUpdateSchema,
  transferLeadershipSchema,
} from "./etcd_schemas.ts";
import { crc32c, snapshotLines } from "./maintenance.ts";
import { unary } from "./v3_routes.ts";

/** Most peer URLs one member may have. */
export const MEMBER_PEER_URLS_MAX = 16;

function required<K extends keyof GatewayBackend>(
  backend: GatewayBackend,
  name: K,
  rpc: string,
): NonNullable<GatewayBackend[K]> {
  const method = backend[name];
  if (method === undefined) {
    throw new GatewayError(Grpc.Unimplemented, `unknown method ${rpc}`);
  }
  return (method as (...args: unknown[]) => unknown).bind(backend) as NonNullable<GatewayBackend[K]>;
}

function memberOf(backend: GatewayBackend, id: bigint | undefined): GatewayMember {
  const member = backend.members().find((candidate) => candidate.id === id);
  if (member === undefined) throw new GatewayError(Grpc.NotFound, "etcdserver: member not found");
  return member;
}

/** etcd's peer URL rules: http(s) with host and port, no path; at least one. */
function checkPeerUrls(backend: GatewayBackend, urls: string[], exceptId: bigint | null): URL[] {
  const invalid = new GatewayError(Grpc.InvalidArgument, "etcdserver: given member URLs are invalid");
  if (urls.length === 0 || urls.length > MEMBER_PEER_URLS_MAX) throw invalid;
  const parsed = urls.map((text) => {
    if (!/^https?:\/\/[^/]+:\d+\/?$/.test(text)) throw invalid;
    return new URL(text);
  });
  const others = backend.members().filter((member) => member.id !== exceptId);
  // etcd derives a new member's id from its peer URLs: the same URLs again are the same id.
  const key = (list: readonly string[]) => [...list].sort().join(",");
  if (exceptId === null && others.some((member) => key(member.peerUrls) === key(urls))) {
    throw new GatewayError(Grpc.FailedPrecondition, "etcdserver: member ID already exist");
  }
  if (urls.some((url) => others.some((member) => member.peerUrls.includes(url)))) {
    throw new GatewayError(Grpc.FailedPrecondition, "etcdserver: Peer URLs already exists");
  }
  return parsed;
}

const membersAnswer = (backend: GatewayBackend) => ({
  header: encodeHeader(backend.info(), 0),
  members: encodeMembers(backend.members()),
});

async function handleAlarm(input: z.output<typeof alarmSchema>, backend: GatewayBackend) {
  const action = input.action ?? "GET";
  let alarms = backend.alarms?.() ?? [];
  if (action === "ACTIVATE") {
    throw new GatewayError(
      Grpc.Unimplemented,
      "etcdserver: dengine raises alarms itself; they cannot be activated",
    );
  }
  if (action === "DEACTIVATE") {
    const alarm = input.alarm;
    if (alarm === undefined || alarm === "NONE") return {};
    const disarmed = await backend.disarm?.({ memberId: input.member_i_d ?? 0n, alarm });
    alarms = disarmed === null || disarmed === undefined ? [] : [disarmed];
  }
  if (alarms.length === 0) return {};
  return { alarms: alarms.map((alarm) => ({ memberID: alarm.memberId.toString(), alarm: alarm.alarm })) };
}

function handleHash(_input: unknown, backend: GatewayBackend): Promise<JsonObject> {
  const bytes = required(backend, "snapshotBytes", "Hash for service etcdserverpb.Maintenance")();
  const out: JsonObject = { header: encodeHeader(backend.info(), backend.info().revision) };
  const hash = crc32c(bytes);
  if (hash !== 0) out["hash"] = hash;
  return Promise.resolve(out);
}

async function handleTransferLeadership(
  input: z.output<typeof transferLeadershipSchema>,
  backend: GatewayBackend,
) {
  const transfer = required(backend, "transferLeadership", "MoveLeader for service etcdserverpb.Maintenance");
  const target = backend.members().find((member) => member.id === input.target_i_d);
  if (target === undefined || target.isLearner) {
    throw new GatewayError(Grpc.FailedPrecondition, "etcdserver: bad leader transferee");
  }
  if (backend.info().leaderId !== target.id) await transfer(target.id);
  return {};
}

async function handleMemberAdd(input: z.output<typeof memberAddSchema>, backend: GatewayBackend) {
  const add = required(backend, "addMember", "MemberAdd for service etcdserverpb.Cluster");
  const urls = input.peer_u_r_ls ?? [];
  const parsed = checkPeerUrls(backend, urls, null);
  const name = input.name ?? parsed[0]!.host;
  const member = await add({ peerUrls: urls, isLearner: input.is_learner === true, name });
  return {
    header: encodeHeader(backend.info(), 0),
    member: encodeMember(member),
    members: encodeMembers(backend.members()),
  };
}

async function handleMemberRemove(input: z.output<typeof memberIdSchema>, backend: GatewayBackend) {
  const remove = required(backend, "removeMember", "MemberRemove for service etcdserverpb.Cluster");
  await remove(memberOf(backend, input.ID).id);
  return membersAnswer(backend);
}

async function handleMemberPromote(input: z.output<typeof memberIdSchema>, backend: GatewayBackend) {
  const promote = required(backend, "promoteMember", "MemberPromote for service etcdserverpb.Cluster");
  const member = memberOf(backend, input.ID);
  if (!member.isLearner) {
    throw new GatewayError(Grpc.FailedPrecondition, "etcdserver: can only promote a learner member");
  }
  await promote(member.id);
  return membersAnswer(backend);
}

async function handleMemberUpdate(input: z.output<typeof memberUpdateSchema>, backend: GatewayBackend) {
  const update = required(backend, "updateMember", "MemberUpdate for service etcdserverpb.Cluster");
  const member = memberOf(backend, input.ID);
  const urls = input.peer_u_r_ls ?? [];
  checkPeerUrls(backend, urls, member.id);
  await update(member.id, urls);
  return membersAnswer(backend);
}

/**
 * Mounts the maintenance and membership routes under `prefix` (`/v3` or `/v3beta`).
 *
 * @param app The Hono app.
 * @param backend The backend.
 * @param prefix The path prefix.
 * @example
 * ```ts ignore
 * mountV3Admin(app, backend, "/v3");
 * ```
 */
export function mountV3Admin(app: Hono, backend: GatewayBackend, prefix: string): void {
  app.post(`${prefix}/maintenance/alarm`, unary(backend, alarmSchema, handleAlarm));
  app.post(`${prefix}/maintenance/defragment`, unary(backend, emptySchema, () => Promise.resolve({})));
  app.post(`${prefix}/maintenance/hash`, unary(backend, emptySchema, handleHash));
  app.post(`${prefix}/maintenance/snapshot`, async (c) => {
    try {
      parseBody(await readBodyText(c.req.raw), emptySchema);
      const bytes = required(backend, "snapshotBytes", "Snapshot for service etcdserverpb.Maintenance")();
      const lines = snapshotLines(bytes);
      const encoder = new TextEncoder();
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await lines.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        },
      });
      return new Response(stream, { headers: { "content-type": "application/json" } });
    } catch (error) {
      const etcd = etcdErrorOf(error);
      return c.json(etcdErrorBody(etcd), etcd.httpStatus as 400);
    }
  });
  app.post(
    `${prefix}/maintenance/transfer-leadership`,
    unary(backend, transferLeadershipSchema, handleTransferLeadership),
  );
  app.post(`${prefix}/cluster/member/add`, unary(backend, memberAddSchema, handleMemberAdd));
  app.post(`${prefix}/cluster/member/remove`, unary(backend, memberIdSchema, handleMemberRemove));
  app.post(`${prefix}/cluster/member/promote`, unary(backend, memberIdSchema, handleMemberPromote));
  app.post(`${prefix}/cluster/member/update`, unary(backend, memberUpdateSchema, handleMemberUpdate));
}
