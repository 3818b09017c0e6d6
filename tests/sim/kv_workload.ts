/**
 * What a simulated client asks of the real key-value store: put, get, delete, compare-and-set transactions
 * (by value or by the mod revision it last read) and, rarely, a compaction of old history. Each operation
 * but the compaction is recorded for the key-value linearizability model (`kv_model.ts`).
 *
 * @module
 */

import type { ClientRequest } from "./client.ts";
import type { SimContext } from "./context.ts";
import type { KvHistoryOp } from "./kv_model.ts";

/** Of the writes: how many are deletes, transactions and compactions (per mille; the rest are puts). */
const DELETE_PER_MILLE = 150;
const CAS_PER_MILLE = 350;
const COMPACT_PER_MILLE = 40;
/** A compaction keeps this many revisions below the newest one the client has seen. */
const COMPACT_KEEP_REVISIONS = 3;

/** What the client last read of a key. */
interface SeenKey {
  value: string;
  modRevision: number;
}

/**
 * One client's key-value workload.
 *
 * @example
 * ```ts
 * import { SeededRandom } from "../../src/util/random.ts";
 * import { SimContext } from "./context.ts";
 * import { KvWorkload } from "./kv_workload.ts";
 * const workload = new KvWorkload([]);
 * const issued = workload.issue(new SimContext(new SeededRandom(1), false), 1, 1, "a", 500, 0);
 * console.log(issued.request.kind.startsWith("kv")); // true
 * ```
 */
export class KvWorkload {
  readonly #history: KvHistoryOp[];
  readonly #seen = new Map<string, SeenKey>();
  #revisionSeen = 1;

  /** @param history Where operations are recorded. */
  constructor(history: KvHistoryOp[]) {
    this.#history = history;
  }

  /**
   * Draws and records the next operation.
   *
   * @param context The world (its generator and stamps).
   * @param clientId The client.
   * @param seq The operation's sequence number.
   * @param key The key drawn.
   * @param readPerMille How often it is a read.
   * @param leaseReadPerMille Of the reads, how many use lease mode.
   * @returns The request and its history record (null for a compaction).
   */
  issue(
    context: SimContext,
    clientId: number,
    seq: number,
    key: string,
    readPerMille: number,
    leaseReadPerMille: number,
  ): { request: ClientRequest; op: KvHistoryOp | null } {
    const value = `${clientId}.${seq};`;
    const request: ClientRequest = { clientId, seq, kind: "kvget", key, value: "", readMode: "safe" };
    if (context.chance(readPerMille)) {
      if (context.chance(leaseReadPerMille)) request.readMode = "lease";
    } else {
      const draw = context.between(0, 999);
      if (draw < COMPACT_PER_MILLE) {
        request.kind = "kvcompact";
        request.value = String(Math.max(1, this.#revisionSeen - COMPACT_KEEP_REVISIONS));
        return { request, op: null };
      }
      request.value = value;
      if (draw < COMPACT_PER_MILLE + DELETE_PER_MILLE) request.kind = "kvdelete";
      else if (draw < COMPACT_PER_MILLE + DELETE_PER_MILLE + CAS_PER_MILLE) {
        request.kind = "kvcas";
        const seen = this.#seen.get(key) ?? { value: "", modRevision: 0 };
        request.expect = seen.value;
        request.expectModRevision = context.chance(500) ? seen.modRevision : null;
      } else request.kind = "kvput";
    }
    const op: KvHistoryOp = {
      clientId,
      seq,
      key,
      kind: request.kind === "kvget" ? "kvget" : request.kind as KvHistoryOp["kind"],
      value: request.kind === "kvdelete" ? "" : request.value,
      expect: request.expect ?? "",
      output: null,
      callStamp: context.nextStamp(),
      returnStamp: null,
    };
    this.#history.push(op);
    return { request, op };
  }

  /**
   * Records a successful answer.
   *
   * @param request The request answered.
   * @param op Its history record (null for a compaction).
   * @param replyValue The node's reply value.
   * @param returnStamp The return stamp.
   */
  complete(request: ClientRequest, op: KvHistoryOp | null, replyValue: string, returnStamp: number): void {
    if (op === null) return;
    op.returnStamp = returnStamp;
    if (request.kind !== "kvget") {
      op.output = request.kind === "kvput" ? "" : replyValue;
      return;
    }
    const [modRevision, revision, ...rest] = replyValue.split(" ");
    const value = rest.join(" ");
    op.output = value;
    this.#seen.set(request.key, { value, modRevision: Number(modRevision) });
    this.#revisionSeen = Math.max(this.#revisionSeen, Number(revision));
  }
}
