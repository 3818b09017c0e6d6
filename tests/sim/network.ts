/**
 * The simulated network between nodes: per message delay (reordering follows), drops, duplicates, and
 * partitions of any subset, symmetric or one-way (a blocked link drops what is in flight on it too).
 *
 * @module
 */

import { type Message, MessageType } from "../../src/raft/types.ts";
import type { SimContext } from "./context.ts";

/** Network behaviour; probabilities in per-mille. */
export interface NetworkOptions {
  dropPerMille: number;
  duplicatePerMille: number;
  delayMsMin: number;
  delayMsMax: number;
  /** Probability of an unusually late message (strong reordering). */
  longDelayPerMille: number;
  longDelayMsMax: number;
}

/** Node ids must stay below this so a link fits one number. */
export const NODE_ID_LIMIT = 1024;

/**
 * Carries messages between nodes through the event queue.
 *
 * @example
 * ```ts
 * // Built by the world: new Network(context, options, (message) => nodes.get(message.to)?.receive(message))
 * ```
 */
export class Network {
  readonly #context: SimContext;
  readonly #deliver: (message: Message) => void;
  readonly #reportLoss: (message: Message) => void;
  readonly #blocked = new Set<number>();
  options: NetworkOptions;
  sent = 0;
  dropped = 0;

  /**
   * @param context The world.
   * @param options Delays and fault rates (may be replaced later, e.g. when healing).
   * @param deliver Hands a message to its destination.
   * @param reportLoss Tells the sender's transport a message was lost (a real connection breaks then).
   */
  constructor(
    context: SimContext,
    options: NetworkOptions,
    deliver: (message: Message) => void,
    reportLoss: (message: Message) => void,
  ) {
    this.#context = context;
    this.options = options;
    this.#deliver = deliver;
    this.#reportLoss = reportLoss;
  }

  /**
   * Sends a message; `onOutcome` (for snapshots) learns whether its first copy arrived.
   *
   * @param message The message (copied on delivery, as a real wire would).
   * @param onOutcome Called once with true on delivery, false on loss.
   */
  send(message: Message, onOutcome: ((delivered: boolean) => void) | null = null): void {
    const context = this.#context;
    this.sent++;
    if (context.chance(this.options.dropPerMille)) {
      this.dropped++;
      if (context.tracing) context.log(`net drop ${describeMessage(message)}`);
      const delayMs = this.#delayMs();
      context.after(delayMs, () => this.#reportLoss(message));
      if (onOutcome !== null) context.after(delayMs, () => onOutcome(false));
      return;
    }
    context.after(this.#delayMs(), () => this.#arrive(message, onOutcome));
    if (context.chance(this.options.duplicatePerMille)) {
      context.after(this.#delayMs(), () => this.#arrive(message, null));
    }
  }

  /**
   * Blocks or unblocks the one-way link from `from` to `to`.
   *
   * @param from Sender.
   * @param to Receiver.
   * @param blocked Whether messages on the link are dropped.
   */
  setLink(from: number, to: number, blocked: boolean): void {
    const link = from * NODE_ID_LIMIT + to;
    if (blocked) this.#blocked.add(link);
    else this.#blocked.delete(link);
  }

  /**
   * Cuts every link between different groups, both ways.
   *
   * @param groups Disjoint groups of node ids.
   */
  partition(groups: readonly (readonly number[])[]): void {
    for (const a of groups) {
      for (const b of groups) {
        if (a === b) continue;
        for (const from of a) for (const to of b) this.setLink(from, to, true);
      }
    }
  }

  /** Removes every partition. */
  healLinks(): void {
    this.#blocked.clear();
  }

  /** @returns How many one-way links are blocked. */
  get blockedLinks(): number {
    return this.#blocked.size;
  }

  #delayMs(): number {
    const { delayMsMin, delayMsMax, longDelayPerMille, longDelayMsMax } = this.options;
    const context = this.#context;
    if (context.chance(longDelayPerMille)) {
      return context.between(delayMsMax, Math.max(delayMsMax, longDelayMsMax));
    }
    return context.between(delayMsMin, delayMsMax);
  }

  #arrive(message: Message, onOutcome: ((delivered: boolean) => void) | null): void {
    const context = this.#context;
    const delivered = !this.#blocked.has(message.from * NODE_ID_LIMIT + message.to);
    if (!delivered) {
      this.dropped++;
      if (context.tracing) context.log(`net cut ${describeMessage(message)}`);
      this.#reportLoss(message);
    } else {
      if (context.tracing) context.log(`net recv ${describeMessage(message)}`);
      this.#deliver(copyMessage(message));
    }
    if (onOutcome !== null) onOutcome(delivered);
  }
}

const MESSAGE_NAMES: readonly string[] = Object.keys(MessageType);

/**
 * A short, deterministic description of a message for traces.
 *
 * @param message The message.
 * @returns e.g. "App 1->2 t3 i5/t2 n2 c4".
 * @example
 * ```ts
 * import { makeMessage, MessageType } from "../../src/raft/types.ts";
 * import { describeMessage } from "./network.ts";
 * console.log(describeMessage(makeMessage({ type: MessageType.Vote, to: 2, from: 1, term: 3 })));
 * ```
 */
export function describeMessage(message: Message): string {
  const name = MESSAGE_NAMES[message.type] ?? String(message.type);
  return `${name} ${message.from}->${message.to} t${message.term} i${message.index}/t${message.logTerm} ` +
    `n${message.entries.length} c${message.commit}${message.reject ? " rej" : ""}` +
    (message.snapshot === null ? "" : ` snap${message.snapshot.metadata.index}`);
}

function copyMessage(message: Message): Message {
  return { ...message, entries: message.entries.map((entry) => ({ ...entry })) };
}
