/**
 * The data types of the Raft core: log entries, hard state, configurations, snapshots and messages.
 *
 * Every shape here is fixed (no optional fields on hot objects) so V8 keeps them monomorphic and the peer
 * codec can encode them field by field.
 *
 * @module
 */

/** A member's id: a positive safe integer. 0 means "none" (no vote, no leader). */
export type NodeId = number;

/** The id that means "no node" (no vote cast, no leader known). */
export const NONE: NodeId = 0;

/** What an entry carries. */
export const EntryType = {
  /** Application data (or an empty no-op appended by a new leader). */
  Normal: 0,
  /** An encoded {@link ConfChange}; the core decodes it itself when the entry is appended. */
  ConfChange: 1,
} as const;
/** One of {@link EntryType}'s values. */
export type EntryType = typeof EntryType[keyof typeof EntryType];

/** One log entry. Invariant: index >= 1, term >= 1. */
export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Application bytes; empty for a leader's no-op. */
  data: Uint8Array;
}

/** What must be durable before the node speaks: current term, vote in that term, and commit index. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

/**
 * A cluster configuration. In a joint configuration `votersOutgoing` is non-empty and decisions need a
 * majority of both `voters` and `votersOutgoing`.
 */
export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
  /** The old voters while in a joint configuration; empty otherwise. */
  votersOutgoing: NodeId[];
  /** Voters of the outgoing configuration that become learners when the joint configuration is left. */
  learnersNext: NodeId[];
  /** Whether the leader leaves the joint configuration by itself once it is committed. */
  autoLeave: boolean;
}

/** What a snapshot covers: the last included index and term and the configuration at that index. */
export interface SnapshotMetadata {
  index: number;
  term: number;
  confState: ConfState;
}

/** A state machine snapshot, opaque to the core. */
export interface Snapshot {
  metadata: SnapshotMetadata;
  data: Uint8Array;
}

/** One member change inside a {@link ConfChange}. */
export type ConfChangeSingleType = "addVoter" | "addLearner" | "remove";

/** One member change: add a voter, add (or demote to) a learner, or remove. */
export interface ConfChangeSingle {
  type: ConfChangeSingleType;
  nodeId: NodeId;
}

/**
 * A membership change. `changes` empty means "leave the joint configuration". With more than one voter
 * affected the change goes through a joint configuration; `transition` says whether the leader leaves it by
 * itself ("auto"/"joint-implicit") or waits for an explicit empty change ("joint-explicit").
 * `context` is opaque to the core (the engine puts a member's address there).
 */
export interface ConfChange {
  transition: "auto" | "joint-implicit" | "joint-explicit";
  changes: ConfChangeSingle[];
  context: Uint8Array;
}

/** The kinds of messages between nodes (and the local ones the driver steps in). */
export const MessageType = {
  /** Local: start an election now. */
  Hup: 0,
  /** Local: leader sends heartbeats now. */
  Beat: 1,
  /** A proposal forwarded to the leader. */
  Prop: 2,
  App: 3,
  AppResp: 4,
  Vote: 5,
  VoteResp: 6,
  Snap: 7,
  Heartbeat: 8,
  HeartbeatResp: 9,
  /** Local report from the driver: a snapshot send to `from` finished (reject = failed). */
  SnapStatus: 10,
  /** Local report from the driver: `from` could not be reached. */
  Unreachable: 11,
  /** Forwarded to the leader: transfer leadership to `from`. */
  TransferLeader: 12,
  TimeoutNow: 13,
  ReadIndex: 14,
  ReadIndexResp: 15,
  PreVote: 16,
  PreVoteResp: 17,
} as const;
/** One of {@link MessageType}'s values. */
export type MessageType = typeof MessageType[keyof typeof MessageType];

/**
 * A message between nodes. Fields unused by a type hold their zero value (0, false, empty array, empty
 * bytes, null), so every message has one shape.
 */
export interface Message {
  type: MessageType;
  to: NodeId;
  from: NodeId;
  term: number;
  /** App: term of the entry before `entries`; Vote/PreVote: candidate's last log term. */
  logTerm: number;
  /** App: index of the entry before `entries`; AppResp: match or rejected index; Vote: last log index. */
  index: number;
  entries: Entry[];
  commit: number;
  snapshot: Snapshot | null;
  reject: boolean;
  /** AppResp on reject: the follower's hint (index of the conflict); `logTerm` carries the hint's term. */
  rejectHint: number;
  /** ReadIndex request context, or a campaign reason for transfers. */
  context: Uint8Array;
}

/** A read that may be served once the local applied index reaches `index`. */
export interface ReadState {
  index: number;
  requestContext: Uint8Array;
}

/** The role of a node. */
export type Role = "follower" | "candidate" | "precandidate" | "leader";

/** Volatile state worth telling the driver about when it changes. */
export interface SoftState {
  leader: NodeId;
  role: Role;
  term: number;
}

/** The empty byte array shared by every message without a payload. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/**
 * Builds a message with every field at its zero value except those given.
 *
 * @param fields The fields that differ from zero.
 * @returns A message of the one fixed shape.
 * @example
 * ```ts
 * import { makeMessage, MessageType } from "./types.ts";
 * const hup = makeMessage({ type: MessageType.Hup, to: 1, from: 1 });
 * console.log(hup.entries.length); // 0
 * ```
 */
export function makeMessage(fields: Partial<Message> & Pick<Message, "type" | "to" | "from">): Message {
  return {
    type: fields.type,
    to: fields.to,
    from: fields.from,
    term: fields.term ?? 0,
    logTerm: fields.logTerm ?? 0,
    index: fields.index ?? 0,
    entries: fields.entries ?? [],
    commit: fields.commit ?? 0,
    snapshot: fields.snapshot ?? null,
    reject: fields.reject ?? false,
    rejectHint: fields.rejectHint ?? 0,
    context: fields.context ?? EMPTY_BYTES,
  };
}

/**
 * An empty configuration.
 *
 * @returns A fresh ConfState with no members.
 * @example
 * ```ts
 * import { emptyConfState } from "./types.ts";
 * console.log(emptyConfState().voters.length); // 0
 * ```
 */
export function emptyConfState(): ConfState {
  return { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
}

/** Bytes an entry is counted for against size limits besides its data (index, term, type, framing). */
export const ENTRY_OVERHEAD_BYTES = 24;

/**
 * The size an entry counts for against byte limits (appends, storage reads, uncommitted proposals).
 *
 * @param entry The entry to measure.
 * @returns Its data length plus a fixed per-entry overhead.
 * @example
 * ```ts
 * import { entrySizeBytes, EntryType } from "./types.ts";
 * console.log(entrySizeBytes({ term: 1, index: 1, type: EntryType.Normal, data: new Uint8Array(8) })); // 32
 * ```
 */
export function entrySizeBytes(entry: Entry): number {
  return entry.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

/**
 * A deep copy of a configuration, so that callers can never alias the core's arrays.
 *
 * @param confState The configuration to copy.
 * @returns A new ConfState with copied arrays.
 * @example
 * ```ts
 * import { cloneConfState, emptyConfState } from "./types.ts";
 * const copy = cloneConfState({ ...emptyConfState(), voters: [1, 2] });
 * console.log(copy.voters); // [1, 2]
 * ```
 */
export function cloneConfState(confState: ConfState): ConfState {
  return {
    voters: confState.voters.slice(),
    learners: confState.learners.slice(),
    votersOutgoing: confState.votersOutgoing.slice(),
    learnersNext: confState.learnersNext.slice(),
    autoLeave: confState.autoLeave,
  };
}
