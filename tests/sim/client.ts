/**
 * Simulated clients: each issues one operation at a time on the register (put/append/get), retries on
 * another node after a refusal or an attempt timeout, and gives up at the operation deadline -- a write it
 * gave up on stays in the history as "may take effect later, or never".
 *
 * @module
 */

import type { HistoryOp, OpKind } from "./linearizability.ts";
import type { SimContext } from "./context.ts";
import type { KvHistoryOp, KvOpKind } from "./kv_model.ts";
import type { KvWorkload } from "./kv_workload.ts";

/** Every kind of request: the register's, or the key-value store's (a compaction is not in the history). */
export type RequestKind = OpKind | KvOpKind | "kvcompact";

/** A request from a client to a node. `seq` is the client's sequence number (the dedup key of writes). */
export interface ClientRequest {
  clientId: number;
  seq: number;
  kind: RequestKind;
  key: string;
  value: string;
  readMode: "safe" | "lease";
  /** kvcas: the value expected ("" = absent). */
  expect?: string;
  /** kvcas: compare the mod revision read with `expect` instead of the value (null: compare the value). */
  expectModRevision?: number | null;
}

/** A node's answer. On refusal `leaderHint` names the leader the node knows (0: none). */
export interface ClientReply {
  clientId: number;
  seq: number;
  ok: boolean;
  value: string;
  leaderHint: number;
}

/** How a client behaves. */
export interface ClientOptions {
  keys: readonly string[];
  readPerMille: number;
  leaseReadPerMille: number;
  appendPerMille: number;
  thinkMsMax: number;
  attemptTimeoutMs: number;
  /** null: retry forever (the liveness probe). */
  opTimeoutMs: number | null;
  /** Back-off after a refusal before the next attempt. */
  retryBackoffMs: number;
  /** How often an attempt goes to a random node instead of the presumed leader (finds new leaders fast). */
  randomTargetPerMille: number;
}

interface CurrentOp {
  /** The register's record, or null for a key-value request (its record is the workload's). */
  op: HistoryOp | null;
  kvOp: KvHistoryOp | null;
  request: ClientRequest;
  deadlineMs: number;
  attempt: number;
}

/**
 * One client. Its history records go into the shared `history` array.
 *
 * @example
 * ```ts
 * // Built by the world: new SimClient(id, context, options, history, send, nodeIds)
 * ```
 */
export class SimClient {
  readonly id: number;
  readonly #context: SimContext;
  readonly #options: ClientOptions;
  readonly #history: HistoryOp[];
  readonly #send: (nodeId: number, request: ClientRequest) => void;
  readonly #nodeIds: () => readonly number[];
  readonly #workload: KvWorkload | null;
  #seq = 0;
  #current: CurrentOp | null = null;
  #leaderGuess = 0;
  #stopped = false;
  completed = 0;
  /** Time the first operation completed (the liveness probe's commit time). */
  firstCompletionMs: number | null = null;

  /**
   * @param id The client id (also the dedup id).
   * @param context The world.
   * @param options Behaviour.
   * @param history Where operations are recorded.
   * @param send Delivers a request to a node (with the client link's delay and loss).
   * @param nodeIds The nodes a client may try.
   * @param workload Issue key-value store operations instead of register ones.
   */
  constructor(
    id: number,
    context: SimContext,
    options: ClientOptions,
    history: HistoryOp[],
    send: (nodeId: number, request: ClientRequest) => void,
    nodeIds: () => readonly number[],
    workload: KvWorkload | null = null,
  ) {
    this.id = id;
    this.#context = context;
    this.#options = options;
    this.#history = history;
    this.#send = send;
    this.#nodeIds = nodeIds;
    this.#workload = workload;
  }

  /** Starts issuing operations after a short random think time. */
  start(): void {
    this.#context.after(this.#context.between(0, this.#options.thinkMsMax), () => this.#issue());
  }

  /** Issues no new operation (the current one still finishes or times out). */
  stop(): void {
    this.#stopped = true;
  }

  /**
   * Handles a node's answer (replies to old operations are ignored).
   *
   * @param reply The answer.
   */
  receive(reply: ClientReply): void {
    const current = this.#current;
    if (current === null || reply.seq !== current.request.seq) return;
    const context = this.#context;
    if (!reply.ok) {
      this.#leaderGuess = reply.leaderHint;
      const attempt = ++current.attempt;
      context.after(this.#options.retryBackoffMs, () => {
        if (this.#current === current && current.attempt === attempt) this.#attempt(current);
      });
      return;
    }
    const returnStamp = context.nextStamp();
    if (current.op !== null) {
      current.op.returnStamp = returnStamp;
      if (current.op.kind === "get") current.op.value = reply.value;
    }
    this.#workload?.complete(current.request, current.kvOp, reply.value, returnStamp);
    if (context.tracing) {
      context.log(`client ${this.id} ok seq ${reply.seq} ${current.request.kind} = ${reply.value}`);
    }
    this.completed++;
    this.firstCompletionMs ??= context.nowMs;
    this.#current = null;
    context.after(context.between(0, this.#options.thinkMsMax), () => this.#issue());
  }

  #issue(): void {
    if (this.#stopped || this.#current !== null) return;
    const context = this.#context;
    const options = this.#options;
    const seq = ++this.#seq;
    const key = context.pick(options.keys);
    if (this.#workload !== null) {
      const issued = this.#workload.issue(
        context,
        this.id,
        seq,
        key,
        options.readPerMille,
        options.leaseReadPerMille,
      );
      return this.#begin({ op: null, kvOp: issued.op, request: issued.request, deadlineMs: 0, attempt: 0 });
    }
    let kind: OpKind = "get";
    let readMode: "safe" | "lease" = "safe";
    if (context.chance(options.readPerMille)) {
      if (context.chance(options.leaseReadPerMille)) readMode = "lease";
    } else {
      kind = context.chance(options.appendPerMille) ? "append" : "put";
    }
    const value = kind === "get" ? "" : `${this.id}.${seq};`;
    const op: HistoryOp = {
      clientId: this.id,
      key,
      kind,
      value,
      callStamp: context.nextStamp(),
      returnStamp: null,
    };
    this.#history.push(op);
    const request: ClientRequest = { clientId: this.id, seq, kind, key, value, readMode };
    this.#begin({ op, kvOp: null, request, deadlineMs: 0, attempt: 0 });
  }

  #begin(current: CurrentOp): void {
    const context = this.#context;
    const { opTimeoutMs } = this.#options;
    current.deadlineMs = opTimeoutMs === null ? Infinity : context.nowMs + opTimeoutMs;
    this.#current = current;
    if (context.tracing) {
      const { seq, kind, readMode, key, value } = current.request;
      context.log(
        `client ${this.id} call seq ${seq} ${kind}${readMode === "lease" ? "(lease)" : ""} ${key} ${value}`,
      );
    }
    this.#attempt(current);
  }

  #attempt(current: CurrentOp): void {
    const context = this.#context;
    if (context.nowMs >= current.deadlineMs) {
      if (context.tracing) context.log(`client ${this.id} gives up seq ${current.request.seq}`);
      this.#current = null;
      this.#leaderGuess = 0;
      context.after(context.between(0, this.#options.thinkMsMax), () => this.#issue());
      return;
    }
    const nodes = this.#nodeIds();
    const useGuess = this.#leaderGuess !== 0 && nodes.includes(this.#leaderGuess) &&
      !context.chance(this.#options.randomTargetPerMille);
    const target = useGuess ? this.#leaderGuess : context.pick(nodes);
    const attempt = current.attempt;
    this.#send(target, current.request);
    context.after(this.#options.attemptTimeoutMs, () => {
      if (this.#current !== current || current.attempt !== attempt) return;
      current.attempt++;
      this.#leaderGuess = 0;
      this.#attempt(current);
    });
  }
}
