/**
 * The part of the Raft core's API (notes/raft_contract.md) the simulator drives, written as structural
 * types so that a planted-bug subclass or any conforming core can be plugged in through a factory.
 *
 * @module
 */

import type { RandomSource } from "../../src/util/random.ts";
import type { RaftStorage } from "../../src/raft/storage.ts";
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  NodeId,
  ReadState,
  Role,
  Snapshot,
  SoftState,
} from "../../src/raft/types.ts";

/** The configuration the simulator passes to a node. */
export interface SimRaftConfig {
  id: NodeId;
  storage: RaftStorage;
  random: RandomSource;
  electionTimeoutTicks: number;
  heartbeatIntervalTicks: number;
  applied: number;
  preVote: boolean;
  checkQuorum: boolean;
  maxEntriesPerAppend: number;
  maxBytesPerAppend: number;
  maxInflightAppends: number;
  maxUncommittedEntriesBytes: number;
  leaseClockDriftMarginTicks: number;
  maxPendingReadIndex: number;
}

/** One Ready as the contract defines it. */
export interface SimReady {
  softState: SoftState | null;
  hardState: HardState | null;
  snapshot: Snapshot | null;
  entries: Entry[];
  committedEntries: Entry[];
  messages: Message[];
  messagesAfterPersist: Message[];
  readStates: ReadState[];
  mustSync: boolean;
}

/** The fields of status() the simulator reads. */
export interface SimStatus {
  term: number;
  commit: number;
  lastIndex: number;
  leader: NodeId;
  role: Role;
  confState: ConfState;
}

/** The node API the simulator drives. */
export interface SimRawNode {
  tick(): void;
  step(message: Message): void;
  propose(data: Uint8Array): { index: number; term: number };
  proposeConfChange(change: ConfChange): { index: number; term: number };
  readIndex(context: Uint8Array, mode?: "safe" | "lease"): void;
  transferLeader(transferee: NodeId): void;
  hasReady(): boolean;
  ready(): SimReady;
  advance(): void;
  reportSnapshot(id: NodeId, ok: boolean): void;
  reportUnreachable(id: NodeId): void;
  status(): SimStatus;
}

/** Builds a node from its configuration (the real RawNode, or a test subclass with a planted bug). */
export type NodeFactory = (config: SimRaftConfig) => SimRawNode;
