// Helpers of the transport conformance suite: started nodes that record what they receive, and waiting.
import type { InboundFrame, PeerAddress, Transport } from "../../src/ports/transport.ts";
import type { NodeId } from "../../src/raft/types.ts";
import { makeMessage, type Message, MessageType } from "../../src/raft/types.ts";
import type { TransportConfig } from "../../adapters/transport/stream_transport.ts";
import type { TransportKit } from "./_transport_kits.ts";

/** A deadline for liveness waits (not a speed assertion: it only bounds how long a broken transport hangs). */
export const WAIT_MS_MAX = 15_000;

/** A started transport and everything it has seen. */
export interface TestNode {
  id: NodeId;
  transport: Transport;
  address: PeerAddress;
  received: { from: NodeId; frame: InboundFrame }[];
  peerEvents: string[];
}

/** Options of {@link startNode}. */
export interface StartNodeOptions {
  clusterId?: string;
  listen?: PeerAddress;
  config?: TransportConfig;
  onFrame?: (node: TestNode, from: NodeId, frame: InboundFrame) => void;
}

/**
 * Creates and starts a transport of `kit` as node `id`, recording frames and peer status changes.
 *
 * @returns The started node.
 */
export async function startNode(
  kit: TransportKit,
  id: NodeId,
  options: StartNodeOptions = {},
): Promise<TestNode> {
  const transport = kit.create({ backoff: { delayMsMin: 5, delayMsMax: 100 }, ...options.config });
  const node: TestNode = { id, transport, address: { hostname: "", port: 0 }, received: [], peerEvents: [] };
  node.address = await transport.start({
    nodeId: id,
    clusterId: options.clusterId ?? "conformance",
    listen: options.listen ?? kit.listen,
    onFrame: (from, frame) => {
      node.received.push({ from, frame });
      options.onFrame?.(node, from, frame);
    },
    onPeerStatus: (peer, connected) => node.peerEvents.push(`${peer} ${connected ? "up" : "down"}`),
  });
  return node;
}

/**
 * Sleeps.
 *
 * @param ms How long.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls until `condition` holds, failing with `what` after {@link WAIT_MS_MAX}.
 *
 * @param what What is awaited, for the failure message.
 * @param condition The condition.
 * @param onPoll Called before each check (for example to resend).
 */
export async function waitFor(what: string, condition: () => boolean, onPoll?: () => void): Promise<void> {
  const deadline = Date.now() + WAIT_MS_MAX;
  for (;;) {
    onPoll?.();
    if (condition()) return;
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what} after ${WAIT_MS_MAX} ms`);
    await sleep(5);
  }
}

/**
 * Awaits `promise`, failing with `what` after {@link WAIT_MS_MAX}.
 *
 * @returns What the promise resolved to.
 */
export async function within<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Gave up waiting for ${what} after ${WAIT_MS_MAX} ms`)),
      WAIT_MS_MAX,
    );
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * An append message from `from` to `to` whose `index` tags it.
 *
 * @returns The message.
 */
export function tagged(from: NodeId, to: NodeId, index: number, entryBytes = 0): Message {
  const entries = entryBytes === 0
    ? []
    : [{ term: 1, index: index + 1, type: 0 as const, data: new Uint8Array(entryBytes).fill(index & 0xff) }];
  return makeMessage({ type: MessageType.App, to, from, term: 1, index, entries });
}

/**
 * The `index` tags of the Raft messages a node received from `from`.
 *
 * @returns The tags in arrival order.
 */
export function raftTags(node: TestNode, from: NodeId): number[] {
  const tags: number[] = [];
  for (const { from: sender, frame } of node.received) {
    if (sender === from && frame.kind === "raft") tags.push(frame.message.index);
  }
  return tags;
}

/** Closes every node given, ignoring those already closed. */
export async function closeAll(...nodes: (TestNode | null | undefined)[]): Promise<void> {
  await Promise.all(nodes.map((node) => node?.transport.close()));
}
