/**
 * Recovery on start (and bootstrap of a new cluster): loads the newest snapshot into a fresh store and the durable log behind it into the
 * core's MemoryStorage, repairing the one gap a crash can leave (a snapshot saved, the log not yet reset
 * to it).
 *
 * @module
 */

import { type KvConfig, KvStore } from "../kv/store.ts";
import type { LogStorage, SnapshotStorage } from "../ports/storage.ts";
import { encodeConfChange } from "../raft/conf_change_codec.ts";
import { MemoryStorage } from "../raft/storage.ts";
import { cloneConfState, type ConfState, emptyConfState, type Entry, EntryType } from "../raft/types.ts";
import { assert } from "../util/assert.ts";
import { encodeMemberContext } from "./members.ts";
import { formatAddress, type MemberConfig } from "./options.ts";
import { decodeEngineSnapshot } from "./snapshot_codec.ts";

/** Bytes of log read into memory per storage read while booting. */
export const BOOT_READ_BYTES_MAX = 4 * 1024 * 1024;

/** What a node starts from. */
export interface BootState {
  storage: MemoryStorage;
  store: KvStore;
  /** The index the store reflects (the snapshot's). */
  applied: number;
  /** The configuration at `applied`. */
  confState: ConfState;
  snapshotIndex: number;
  /** The members recorded in the snapshot (names and addresses). */
  members: MemberConfig[];
}

/**
 * The entries every founder writes at the start of a new cluster, identically: one committed configuration
 * entry per founding voter (sorted by id) at term 1, naming it and its address. A member added later learns
 * the founders from them, like any other configuration change.
 *
 * @param founders The founding members.
 * @returns Entries 1..N.
 * @example
 * ```ts
 * import { bootstrapEntries } from "./boot.ts";
 * console.log(bootstrapEntries([{ id: 7, name: "n1", address: null }]).length); // 1
 * ```
 */
export function bootstrapEntries(founders: readonly MemberConfig[]): Entry[] {
  const sorted = [...founders].sort((a, b) => a.id - b.id);
  return sorted.map((member, i) => ({
    term: 1,
    index: i + 1,
    type: EntryType.ConfChange,
    data: encodeConfChange({
      transition: "auto",
      changes: [{ type: "addVoter", nodeId: member.id }],
      context: encodeMemberContext({
        name: member.name,
        address: member.address === null ? "" : formatAddress(member.address),
      }),
    }),
  }));
}

/**
 * Loads a node's durable state; on a fresh log of a founder, first writes the bootstrap entries.
 *
 * @param log The durable log.
 * @param snapshots The snapshot store.
 * @param founders The founding members (empty when joining an existing cluster).
 * @param kvConfig The store's configuration.
 * @returns The state to build the RawNode on.
 * @throws {CorruptionError} When the newest snapshot is damaged.
 * @example
 * ```ts ignore
 * const boot = await bootNode(log, snapshots, { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }, {});
 * ```
 */
export async function bootNode(
  log: LogStorage,
  snapshots: SnapshotStorage,
  founders: readonly MemberConfig[],
  kvConfig: Partial<KvConfig>,
): Promise<BootState> {
  const storage = new MemoryStorage(emptyConfState());
  const store = new KvStore(kvConfig);
  let applied = 0;
  let confState = emptyConfState();
  let members: MemberConfig[] = [];
  const snapshot = await snapshots.loadNewest();
  const fresh = snapshot === null && log.lastIndex() === 0 && log.hardState().term === 0;
  if (fresh && founders.length > 0) {
    const entries = bootstrapEntries(founders);
    await Promise.all([
      log.append(entries),
      log.saveHardState({ term: 1, vote: 0, commit: entries.length }),
    ]);
  }
  if (snapshot !== null && snapshot.metadata.index > 0) {
    const { index, term } = snapshot.metadata;
    storage.applySnapshot(snapshot);
    const data = decodeEngineSnapshot(snapshot.data);
    store.restoreSnapshot(data.store);
    members = data.members;
    applied = index;
    confState = cloneConfState(snapshot.metadata.confState);
    const logCovers = log.firstIndex() - 1 <= index && log.lastIndex() >= index && log.term(index) === term;
    if (!logCovers) await log.resetToSnapshot(index, term);
  }
  assert(
    log.firstIndex() - 1 <= applied,
    () => `log compacted through ${log.firstIndex() - 1} but the newest snapshot is at ${applied}`,
  );
  let next = applied + 1;
  const last = log.lastIndex();
  while (next <= last) {
    const entries = log.entries(next, last + 1, BOOT_READ_BYTES_MAX);
    storage.append(entries);
    next += entries.length;
  }
  const hardState = log.hardState();
  storage.setHardState({
    term: hardState.term,
    vote: hardState.vote,
    commit: Math.min(Math.max(hardState.commit, applied), storage.lastIndex()),
  });
  return { storage, store, applied, confState, snapshotIndex: applied, members };
}
