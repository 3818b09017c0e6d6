/**
 * Throughput of the Raft core alone: three in-memory RawNodes (MemoryStorage, no I/O, no codec), the
 * leader proposing `batch` entries between two ready() cycles. Prints committed entries per second for
 * batch sizes 1, 64 and 1024.
 *
 * Run: `deno run -A bench/raft_core.ts` or `bun run bench/raft_core.ts`.
 *
 * @module
 */

import { MemoryStorage, type Message, type RaftConfig, RawNode, SeededRandom } from "../src/raft/mod.ts";

/** Payload bytes per entry (a small key-value command). */
const PAYLOAD_BYTES = 64;
/** Compact every node's log each time this many more entries are committed (keeps memory steady). */
const COMPACT_EVERY_ENTRIES = 65_536;
/** Entries kept behind the applied index when compacting, so no follower ever needs a snapshot. */
const COMPACT_KEEP_ENTRIES = 16_384;
/** Measurements per batch size; the median is reported. */
const RUNS = 5;
/** Most ready/deliver cycles one measurement may take (guards against a stalled cluster). */
const CYCLES_MAX = 50_000_000;

interface BenchNode {
  node: RawNode;
  storage: MemoryStorage;
  /** Committed entries handed to this node's state machine so far. */
  appliedEntries: number;
}

function makeCluster(): BenchNode[] {
  const confState = {
    voters: [1, 2, 3],
    learners: [],
    votersOutgoing: [],
    learnersNext: [],
    autoLeave: false,
  };
  const nodes: BenchNode[] = [];
  for (const id of [1, 2, 3]) {
    const storage = new MemoryStorage(confState);
    const config: RaftConfig = {
      id,
      storage,
      random: new SeededRandom(id),
      electionTimeoutTicks: 10,
      heartbeatIntervalTicks: 1,
      applied: 0,
      preVote: true,
      checkQuorum: true,
      maxEntriesPerAppend: 4096,
      maxBytesPerAppend: 8 * 1024 * 1024,
      maxInflightAppends: 256,
      maxUncommittedEntriesBytes: 256 * 1024 * 1024,
      leaseClockDriftMarginTicks: 2,
      maxPendingReadIndex: 1024,
    };
    nodes.push({ node: new RawNode(config), storage, appliedEntries: 0 });
  }
  return nodes;
}

/** One cycle: every node with a Ready persists it, applies, queues its messages, advances; then deliver. */
function cycle(nodes: BenchNode[], inbox: Message[]): Message[] {
  for (let i = 0; i < inbox.length; i++) {
    const message = inbox[i]!;
    nodes[message.to - 1]!.node.step(message);
  }
  const outbox: Message[] = [];
  for (let n = 0; n < nodes.length; n++) {
    const member = nodes[n]!;
    const { node, storage } = member;
    if (!node.hasReady()) continue;
    const ready = node.ready();
    if (ready.snapshot !== null) storage.applySnapshot(ready.snapshot);
    if (ready.entries.length > 0) storage.append(ready.entries);
    if (ready.hardState !== null) storage.setHardState(ready.hardState);
    member.appliedEntries += ready.committedEntries.length;
    for (let i = 0; i < ready.messages.length; i++) outbox.push(ready.messages[i]!);
    for (let i = 0; i < ready.messagesAfterPersist.length; i++) outbox.push(ready.messagesAfterPersist[i]!);
    node.advance();
  }
  return outbox;
}

function elect(nodes: BenchNode[]): void {
  nodes[0]!.node.campaign();
  let inbox: Message[] = [];
  for (let i = 0; i < 100; i++) inbox = cycle(nodes, inbox);
  if (nodes[0]!.node.status().role !== "leader") throw new Error("node 1 did not become leader");
}

function compact(nodes: BenchNode[]): void {
  for (const { node, storage } of nodes) {
    const upTo = node.status().applied - COMPACT_KEEP_ENTRIES;
    if (upTo >= storage.firstIndex()) storage.compact(upTo);
  }
}

/** @returns Committed entries per second for `total` entries proposed `batch` at a time. */
function measure(batch: number, total: number): { entriesPerSecond: number; cycles: number } {
  const nodes = makeCluster();
  elect(nodes);
  const leader = nodes[0]!.node;
  const payload = new Uint8Array(PAYLOAD_BYTES);
  const leaderMember = nodes[0]!;
  const startCommit = leaderMember.appliedEntries;
  const target = startCommit + total;
  let proposed = 0;
  let inbox: Message[] = [];
  let cycles = 0;
  const started = performance.now();
  let nextCompaction = startCommit + COMPACT_EVERY_ENTRIES;
  let commit = startCommit;
  while (commit < target) {
    for (let i = 0; i < batch && proposed < total; i++, proposed++) leader.propose(payload);
    inbox = cycle(nodes, inbox);
    if (++cycles > CYCLES_MAX) throw new Error(`batch ${batch}: no progress after ${CYCLES_MAX} cycles`);
    commit = leaderMember.appliedEntries;
    if (commit >= nextCompaction) {
      compact(nodes);
      nextCompaction += COMPACT_EVERY_ENTRIES;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return { entriesPerSecond: total / seconds, cycles };
}

const runtime = "Deno" in globalThis
  ? `Deno ${(globalThis as { Deno?: { version: { deno: string } } }).Deno!.version.deno}`
  : "Bun" in globalThis
  ? `Bun ${(globalThis as { Bun?: { version: string } }).Bun!.version}`
  : "unknown";
const plan: Array<[batch: number, total: number]> = [[1, 50_000], [64, 500_000], [1024, 2_000_000]];
// Warm up the JIT on every path first.
for (const [batch] of plan) measure(batch, batch * 200);
console.log(`raft_core bench, ${runtime}, 3 in-memory nodes, ${PAYLOAD_BYTES}-byte entries`);
console.log(`median of ${RUNS} runs; logs compacted every ${COMPACT_EVERY_ENTRIES} committed entries`);
console.log("| batch | entries | committed entries/s (median) | min - max | ready cycles |");
console.log("|------:|--------:|-----------------------------:|----------:|-------------:|");
for (const [batch, total] of plan) {
  const runs: Array<{ entriesPerSecond: number; cycles: number }> = [];
  for (let run = 0; run < RUNS; run++) runs.push(measure(batch, total));
  runs.sort((a, b) => a.entriesPerSecond - b.entriesPerSecond);
  const median = runs[RUNS >> 1]!;
  const low = Math.round(runs[0]!.entriesPerSecond).toLocaleString("en-US");
  const high = Math.round(runs[RUNS - 1]!.entriesPerSecond).toLocaleString("en-US");
  const rate = Math.round(median.entriesPerSecond).toLocaleString("en-US");
  console.log(`| ${batch} | ${total} | ${rate} | ${low} - ${high} | ${median.cycles} |`);
}
