// Peer transport throughput: messages/s from one transport to another in the same process over loopback,
// for each kind the running runtime supports, plus the codec alone. Prints markdown table rows.
//
//   node_modules/.bin/deno run -A bench/transport.ts
//   node_modules/.bin/bun bench/transport.ts
import { createTransport, currentRuntime, type TransportKind } from "../adapters/transport/factory.ts";
import { MemoryNetwork } from "../adapters/transport/memory.ts";
import type { Transport } from "../src/ports/transport.ts";
import { type Entry, makeMessage, type Message, MessageType } from "../src/raft/types.ts";
import { ByteWriter, decodeMessage, encodeMessage } from "../src/transport/codec.ts";
import process from "node:process";

const SECONDS_PER_CASE = 2;
/** Messages in flight at most: the sender waits for the receiver rather than filling its queue. */
const WINDOW_MESSAGES = 20_000;
const BATCH_MESSAGES = 1000;

function heartbeat(): Message {
  return makeMessage({ type: MessageType.Heartbeat, to: 2, from: 1, term: 7, commit: 123_456 });
}

function append(entryCount: number, entryBytes: number): Message {
  const entries: Entry[] = [];
  for (let i = 0; i < entryCount; i++) {
    entries.push({ term: 7, index: 1000 + i, type: 0, data: new Uint8Array(entryBytes).fill(i) });
  }
  return makeMessage({
    type: MessageType.App,
    to: 2,
    from: 1,
    term: 7,
    logTerm: 7,
    index: 999,
    commit: 990,
    entries,
  });
}

function now(): number {
  return performance.now();
}

function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function pair(kind: TransportKind): Promise<{ a: Transport; b: Transport; received: () => number }> {
  const network = new MemoryNetwork();
  const listen = { hostname: kind === "memory" ? "memory" : "127.0.0.1", port: 0 };
  const config = { network, queue: { framesMax: WINDOW_MESSAGES * 2 } };
  const a = createTransport(kind, config);
  const b = createTransport(kind, config);
  let count = 0;
  await a.start({ nodeId: 1, clusterId: "bench", listen, onFrame: () => {} });
  const address = await b.start({ nodeId: 2, clusterId: "bench", listen, onFrame: () => void count++ });
  a.addPeer(2, address);
  return { a, b, received: () => count };
}

async function throughput(
  kind: TransportKind,
  message: Message,
): Promise<{ perSecond: number; mbPerSecond: number }> {
  const { a, b, received } = await pair(kind);
  const writer = new ByteWriter();
  encodeMessage(writer, message);
  const messageBytes = writer.length + 5;
  let sent = 0;
  const window = Math.max(64, Math.min(WINDOW_MESSAGES, Math.floor(32 * 1024 * 1024 / messageBytes)));
  const batch = Math.min(BATCH_MESSAGES, window);
  const start = now();
  const end = start + SECONDS_PER_CASE * 1000;
  while (now() < end) {
    while (sent - received() < window - batch) {
      for (let i = 0; i < batch; i++) if (a.send(2, message)) sent++;
      a.flush();
    }
    await turn();
  }
  while (received() < sent) await turn();
  const seconds = (now() - start) / 1000;
  await Promise.all([a.close(), b.close()]);
  return { perSecond: sent / seconds, mbPerSecond: sent * messageBytes / seconds / 1e6 };
}

/** One request in flight at a time: the latency a leader waiting on one follower's answer would see. */
async function roundTrips(kind: TransportKind): Promise<number> {
  const network = new MemoryNetwork();
  const listen = { hostname: kind === "memory" ? "memory" : "127.0.0.1", port: 0 };
  const a = createTransport(kind, { network });
  const b = createTransport(kind, { network });
  const payload = new Uint8Array(64);
  let answered = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => done = resolve);
  const end = now() + SECONDS_PER_CASE * 1000;
  const addressA = await a.start({
    nodeId: 1,
    clusterId: "bench",
    listen,
    onFrame: (_from, frame) => {
      if (frame.kind !== "response") return;
      answered++;
      if (now() > end) return done();
      a.sendApp(2, { kind: "request", correlationId: answered, payload });
    },
  });
  const addressB = await b.start({
    nodeId: 2,
    clusterId: "bench",
    listen,
    onFrame: (from, frame) => {
      if (frame.kind === "request") {
        b.sendApp(from, { kind: "response", correlationId: frame.correlationId, payload });
      }
    },
  });
  a.addPeer(2, addressB);
  b.addPeer(1, addressA);
  const start = now();
  a.sendApp(2, { kind: "request", correlationId: 0, payload });
  await finished;
  const perSecond = answered / ((now() - start) / 1000);
  await Promise.all([a.close(), b.close()]);
  return perSecond;
}

function codec(message: Message): { encodePerSecond: number; decodePerSecond: number; bytes: number } {
  const writer = new ByteWriter();
  const rounds = 20_000;
  let start = now();
  for (let i = 0; i < rounds; i++) {
    writer.truncate(0);
    encodeMessage(writer, message);
  }
  const encodeSeconds = (now() - start) / 1000;
  const payload = writer.take();
  let entries = 0;
  start = now();
  for (let i = 0; i < rounds; i++) entries += decodeMessage(payload).entries.length;
  const decodeSeconds = (now() - start) / 1000;
  if (entries !== rounds * message.entries.length) throw new Error(`decoded ${entries} entries`);
  return {
    encodePerSecond: rounds / encodeSeconds,
    decodePerSecond: rounds / decodeSeconds,
    bytes: payload.length,
  };
}

const runtime = currentRuntime();
const format = (value: number): string => Math.round(value).toLocaleString("en-US");
const big = append(64, 256);
codec(big); // warm-up: the first rounds run before the JIT has compiled the codec
const result = codec(big);
console.log(
  `| ${runtime} | codec, 64 x 256 B entries (${result.bytes} B) | encode ${
    format(result.encodePerSecond)
  }/s ` +
    `(${format(result.encodePerSecond * result.bytes / 1e6)} MB/s) | decode ${
      format(result.decodePerSecond)
    }/s ` +
    `(${format(result.decodePerSecond * result.bytes / 1e6)} MB/s) |`,
);
const argumentKinds = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
const kinds: TransportKind[] = argumentKinds.length > 0
  ? argumentKinds as TransportKind[]
  : ["memory", "node_net", runtime === "deno" ? "deno_tcp" : "bun_tcp"];
for (const kind of kinds) {
  for (const [name, message] of [["heartbeat", heartbeat()], ["append 64 x 256 B", big]] as const) {
    const { perSecond, mbPerSecond } = await throughput(kind, message);
    console.log(
      `| ${runtime} | ${kind} | ${name} | ${format(perSecond)} msg/s | ${format(mbPerSecond)} MB/s |`,
    );
  }
  console.log(
    `| ${runtime} | ${kind} | request/response ping-pong | ${
      format(await roundTrips(kind))
    } round trips/s | |`,
  );
}
