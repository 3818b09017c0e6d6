/**
 * The engine's options: a zod schema with defaults, and their resolution into the configuration the driver
 * runs with (node ids, peer addresses, limits). A wrong option is an {@link EngineOptionsError} naming it.
 *
 * @module
 */

import { z } from "zod";
import type { PeerAddress } from "../ports/transport.ts";
import type { NodeId } from "../raft/types.ts";
import { EngineOptionsError } from "./errors.ts";
import type { EngineStorageKind, EngineTransportKind } from "./ports.ts";
import { SNAPSHOT_CHUNK_BYTES_MAX } from "./snapshot_stream_codec.ts";

const ADDRESS_PATTERN = /^[^\s:]+:\d{1,5}$/;
const NAME_PATTERN = /^[A-Za-z0-9._-]+$/;

const address = z.string().regex(ADDRESS_PATTERN, "expected host:port, e.g. 127.0.0.1:2380");
const name = z.string().min(1).max(64).regex(NAME_PATTERN, "expected letters, digits, '.', '_' or '-'");
const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** The schema of {@link EngineOptions}. */
export const engineOptionsSchema = z.strictObject({
  /** This member's name (unique in the cluster). */
  name: name.default("default"),
  /** Where the log and snapshots live (required unless `storage` is "memory"). */
  dataDir: z.string().min(1).optional(),
  /** The storage adapter; "default" picks the runtime's measured best. */
  storage: z.enum(["default", "file", "memory", "bun_sqlite", "node_sqlite"]).default("default"),
  /** The founding members, name -> peer address (including this one); absent: a single-node cluster. */
  peers: z.record(name, address).optional(),
  /** Where to accept peer connections (default: this member's address in `peers`). */
  listenPeer: address.optional(),
  /** Join an existing cluster (after `addMember` on its leader) instead of founding one with `peers`. */
  join: z.boolean().default(false),
  /** The peer transport; "native" picks the fastest for the runtime. */
  transport: z.enum(["native", "memory", "node_net", "deno_tcp", "bun_tcp"]).default("native"),
  /** Peers of another cluster id are refused. */
  clusterId: z.string().min(1).max(255).default("dengine"),
  tickIntervalMs: int(1, 60_000).default(100),
  electionTimeoutTicks: int(2, 10_000).default(10),
  heartbeatIntervalTicks: int(1, 10_000).default(1),
  /** How long a request may wait for its answer before a TimeoutError. */
  requestTimeoutMs: int(1, 3_600_000).default(10_000),
  /** Applied entries between two snapshots. */
  snapshotEntries: int(1, 100_000_000).default(100_000),
  /** Entries kept in the log behind a snapshot, for followers slightly behind. */
  snapshotKeepEntries: int(0, 100_000_000).default(1_000),
  /** Writes waiting for their commit on this node, beyond which a TooManyRequestsError is thrown. */
  maxPendingWrites: int(1, 10_000_000).default(10_000),
  /** Linearizable and lease reads waiting on this node. */
  maxPendingReads: int(1, 10_000_000).default(10_000),
  /** Requests this node forwarded to the leader and still waits on. */
  maxForwardedRequests: int(1, 10_000_000).default(10_000),
  /** How often the leader records every lease's remaining TTL in the log. */
  leaseCheckpointIntervalMs: int(100, 3_600_000).default(5_000),
  /** How often watchers created with progressNotify get a progress notification (etcd: 10 minutes). */
  watchProgressNotifyIntervalMs: int(10, 86_400_000).default(600_000),
  /** Maximum stored data (default: the store's). */
  quotaBytes: int(1, Number.MAX_SAFE_INTEGER).optional(),
  /** Size of each WAL segment file (file storage). */
  walSegmentSizeBytes: int(4096, 1024 * 1024 * 1024).optional(),
  /** Bytes per chunk when streaming a snapshot to a follower. */
  snapshotChunkBytes: int(64, SNAPSHOT_CHUNK_BYTES_MAX).default(SNAPSHOT_CHUNK_BYTES_MAX),
  /** Mutual TLS between members, as PEM text. */
  peerTls: z.strictObject({
    cert: z.string().includes("-----BEGIN", { message: "expected a PEM certificate" }),
    key: z.string().includes("-----BEGIN", { message: "expected a PEM private key" }),
    ca: z.string().includes("-----BEGIN", { message: "expected PEM CA certificate(s)" }),
  }).optional(),
});

/** What `Engine.start` accepts; every field is optional (defaults in {@link engineOptionsSchema}). */
export interface EngineOptions {
  /** This member's name, unique in the cluster (default "default"). */
  name?: string;
  /** Where the log and snapshots live (required unless `storage` is "memory"). */
  dataDir?: string;
  /** The storage adapter (default: the runtime's measured best). */
  storage?: EngineStorageKind;
  /** The founding members, name -> `host:port` peer address, this one included; absent: a single node. */
  peers?: Record<string, string>;
  /** Where to accept peer connections (default: this member's address in `peers`). */
  listenPeer?: string;
  /**
   * Join an existing cluster that added this member (`engine.addMember` on its leader) instead of founding
   * one: `peers` then only tells where the current members are (default false).
   */
  join?: boolean;
  /** The peer transport (default "native": the fastest for the runtime). */
  transport?: EngineTransportKind;
  /** Peers of another cluster id are refused (default "dengine"). */
  clusterId?: string;
  /** The Raft tick (default 100 ms). */
  tickIntervalMs?: number;
  /** Minimum election timeout in ticks (default 10). */
  electionTimeoutTicks?: number;
  /** Leader heartbeat period in ticks (default 1). */
  heartbeatIntervalTicks?: number;
  /** How long a request may wait before a TimeoutError (default 10 s). */
  requestTimeoutMs?: number;
  /** Applied entries between two snapshots (default 100,000, as etcd). */
  snapshotEntries?: number;
  /** Entries kept in the log behind a snapshot (default 1,000). */
  snapshotKeepEntries?: number;
  /** Writes waiting on this node before TooManyRequestsError (default 10,000). */
  maxPendingWrites?: number;
  /** Linearizable and lease reads waiting on this node (default 10,000). */
  maxPendingReads?: number;
  /** Writes forwarded to the leader and still waiting (default 10,000). */
  maxForwardedRequests?: number;
  /** How often the leader checkpoints lease TTLs (default 5 s). */
  leaseCheckpointIntervalMs?: number;
  /** How often watchers created with `progressNotify` get a progress notification (default 10 minutes, as etcd). */
  watchProgressNotifyIntervalMs?: number;
  /** Maximum stored data (default: the store's, 2 GiB). */
  quotaBytes?: number;
  /** WAL segment size for file storage (default: the adapter's). */
  walSegmentSizeBytes?: number;
  /** Bytes per chunk when streaming a snapshot to a follower (64 B to 1 MiB, default 1 MiB). */
  snapshotChunkBytes?: number;
  /**
   * Mutual TLS between members (PEM text): this member's certificate and key, and the CA that signs every
   * member. Peers without a certificate from that CA are refused. Uses the node:net transport.
   */
  peerTls?: PeerTlsOptions;
}

/** PEM material for mutual TLS between members. */
export interface PeerTlsOptions {
  /** This member's certificate; its SANs must cover the address peers dial. */
  cert: string;
  /** This member's private key. */
  key: string;
  /** The certificate(s) of the authority that signs every member. */
  ca: string;
}

// Every option a user can write is accepted by the schema (checked at compile time).
const _optionsFitSchema: EngineOptions extends z.input<typeof engineOptionsSchema> ? true : false = true;
void _optionsFitSchema;
/** Options with every default filled in. */
export type ParsedEngineOptions = z.output<typeof engineOptionsSchema>;

/** A cluster member as the engine knows it. */
export interface MemberConfig {
  id: NodeId;
  name: string;
  /** null for a single-node cluster that never talks to peers. */
  address: PeerAddress | null;
}

/** Options resolved into what the driver needs. */
export interface ResolvedEngineOptions extends ParsedEngineOptions {
  id: NodeId;
  /** The founding members, this one included, sorted by id. */
  members: MemberConfig[];
  /** Where this node listens, or null when it has no peers. */
  listen: PeerAddress | null;
}

/**
 * Validates options and resolves names, addresses and defaults.
 *
 * @param input The user's options.
 * @returns The resolved options.
 * @throws {EngineOptionsError} Naming the first wrong option.
 * @example
 * ```ts
 * import { resolveEngineOptions } from "./options.ts";
 * const options = resolveEngineOptions({ storage: "memory" });
 * console.log(options.members.length); // 1
 * ```
 */
export function resolveEngineOptions(input: unknown): ResolvedEngineOptions {
  const parsed = engineOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = issue.code === "unrecognized_keys" ? issue.keys.join(", ") : issue.path.join(".");
    throw new EngineOptionsError(keys === "" ? "(options)" : keys, issue.message);
  }
  const options = parsed.data;
  if (options.storage !== "memory" && options.dataDir === undefined) {
    throw new EngineOptionsError(
      "dataDir",
      `required with storage "${options.storage}" (or use storage "memory")`,
    );
  }
  if (options.heartbeatIntervalTicks >= options.electionTimeoutTicks) {
    throw new EngineOptionsError(
      "heartbeatIntervalTicks",
      `${options.heartbeatIntervalTicks} must be below electionTimeoutTicks (${options.electionTimeoutTicks})`,
    );
  }
  const peers = options.peers ?? {};
  const names = Object.keys(peers);
  if (options.join && names.length < 2) {
    throw new EngineOptionsError("join", "needs `peers` naming this member and at least one current member");
  }
  if (names.length > 0 && !(options.name in peers)) {
    throw new EngineOptionsError("peers", `must include this member's name "${options.name}"`);
  }
  const members = names.length === 0
    ? [{ id: nodeIdOf(options.name), name: options.name, address: null }]
    : names.map((peer) => ({ id: nodeIdOf(peer), name: peer, address: parseAddress(peers[peer]!) }));
  members.sort((a, b) => a.id - b.id);
  for (let i = 1; i < members.length; i++) {
    if (members[i]!.id === members[i - 1]!.id) {
      throw new EngineOptionsError(
        "peers",
        `names "${members[i]!.name}" and "${members[i - 1]!.name}" collide`,
      );
    }
  }
  const own = members.find((member) => member.name === options.name)!;
  const listenText = options.listenPeer;
  const listen = listenText !== undefined ? parseAddress(listenText) : own.address;
  return { ...options, id: own.id, members, listen };
}

/**
 * The node id of a member name: a 48-bit FNV-1a hash (never 0), the same on every node and runtime.
 *
 * @param memberName The name.
 * @returns A positive safe integer.
 * @example
 * ```ts
 * import { nodeIdOf } from "./options.ts";
 * console.log(nodeIdOf("n1") === nodeIdOf("n1")); // true
 * ```
 */
export function nodeIdOf(memberName: string): NodeId {
  // Two 32-bit FNV-1a lanes with different offsets give 48 well-mixed bits.
  let low = 0x811c9dc5;
  let high = 0x050c5d1f;
  for (const byte of new TextEncoder().encode(memberName)) {
    low = Math.imul(low ^ byte, 0x01000193) >>> 0;
    high = Math.imul(high ^ byte, 0x01000193) >>> 0;
  }
  const id = (high & 0xffff) * 0x1_0000_0000 + low;
  return id === 0 ? 1 : id;
}

/**
 * Parses `host:port`.
 *
 * @param text The address.
 * @returns The address.
 * @throws {EngineOptionsError} When malformed.
 * @example
 * ```ts
 * import { parseAddress } from "./options.ts";
 * console.log(parseAddress("127.0.0.1:2380").port); // 2380
 * ```
 */
export function parseAddress(text: string): PeerAddress {
  const at = text.lastIndexOf(":");
  const port = Number(text.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new EngineOptionsError("address", `"${text}" is not host:port`);
  }
  return { hostname: text.slice(0, at), port };
}

/**
 * Formats an address as `host:port`.
 *
 * @param address The address.
 * @returns The text.
 * @example
 * ```ts
 * import { formatAddress } from "./options.ts";
 * console.log(formatAddress({ hostname: "memory", port: 7 })); // "memory:7"
 * ```
 */
export function formatAddress(address: PeerAddress): string {
  return `${address.hostname}:${address.port}`;
}
