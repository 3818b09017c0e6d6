/**
 * The linearizability model of the real key-value store's single-key operations, checked per key with the
 * same Wing & Gong / Lowe search as the register (`linearizability.ts`): the state of a key is its value, ""
 * when it does not exist (every written value is a non-empty token).
 *
 * - put(v): the key holds v.
 * - get: returns the value ("" when absent).
 * - delete: returns "1" when the key existed (it is then absent), "0" otherwise.
 * - cas(expect, v): a transaction comparing the key (by value, or by the mod revision the client saw with
 *   that value -- equivalent, since each token is written by one put) then putting v; returns "1" when it
 *   succeeded. `expect` "" means "absent" (version 0 / mod revision 0).
 *
 * A timed-out operation (no return) may take effect after its call, or never, with any output. When the
 * caller knows which writes were applied (from the committed log), a timed-out write that was never applied
 * is dropped and one that was applied must be linearized: this keeps the search small when many writes
 * time out together (a leader crashing during its fsync) without weakening the check.
 *
 * @module
 */

import { type LinearizabilityResult, searchLinearization } from "./linearizability.ts";
import { compareStrings } from "./register.ts";

/** The key-value operations clients issue. */
export type KvOpKind = "kvput" | "kvget" | "kvdelete" | "kvcas";

/** One key-value operation as the client saw it. */
export interface KvHistoryOp {
  clientId: number;
  /** The client's sequence number (the dedup key of a write). */
  seq: number;
  key: string;
  kind: KvOpKind;
  /** The value written (put, cas). */
  value: string;
  /** cas: the value expected ("" = absent). */
  expect: string;
  /** get: the value read; delete/cas: "1" or "0"; null while unknown (timed out). */
  output: string | null;
  callStamp: number;
  returnStamp: number | null;
}

/** The default bound on search steps per key. */
export const KV_SEARCH_STEPS_PER_KEY_MAX = 2_000_000;

const OPS_SHOWN_MAX = 40;

/**
 * Checks a key-value history for linearizability, key by key.
 *
 * @param history Every key-value operation of every client.
 * @param applied The writes applied by some node, as "clientId:seq" (null: unknown, any may have been).
 * @param stepsPerKeyMax Bound on the search per key (exceeding it is a failure).
 * @returns ok, or the first key (sorted) whose history has no linearization.
 * @example
 * ```ts
 * import { checkKvLinearizable } from "./kv_model.ts";
 * const result = checkKvLinearizable([
 *   { clientId: 1, seq: 1, key: "k", kind: "kvput", value: "x;", expect: "", output: "", callStamp: 1, returnStamp: 2 },
 *   { clientId: 2, seq: 1, key: "k", kind: "kvdelete", value: "", expect: "", output: "0", callStamp: 3, returnStamp: 4 },
 * ]);
 * console.log(result.ok); // false: the key existed when the delete ran
 * ```
 */
export function checkKvLinearizable(
  history: readonly KvHistoryOp[],
  applied: ReadonlySet<string> | null = null,
  stepsPerKeyMax: number = KV_SEARCH_STEPS_PER_KEY_MAX,
): LinearizabilityResult {
  const byKey = new Map<string, KvHistoryOp[]>();
  for (const op of history) {
    if (op.returnStamp !== null && op.returnStamp <= op.callStamp) {
      return { ok: false, message: `op ${describeKvOp(op)} returns before its call`, searchSteps: 0 };
    }
    if (op.kind === "kvget" && op.returnStamp === null) continue;
    if (op.returnStamp === null && applied !== null && !applied.has(`${op.clientId}:${op.seq}`)) continue;
    const ops = byKey.get(op.key);
    if (ops === undefined) byKey.set(op.key, [op]);
    else ops.push(op);
  }
  let searchSteps = 0;
  for (const key of [...byKey.keys()].sort(compareStrings)) {
    const ops = byKey.get(key)!;
    const verdict = searchKvKey(ops, applied !== null, stepsPerKeyMax);
    searchSteps += verdict.steps;
    if (verdict.failure !== null) {
      const shown = [...ops].sort((a, b) => a.callStamp - b.callStamp).slice(0, OPS_SHOWN_MAX);
      return {
        ok: false,
        message: `kv key "${key}": ${verdict.failure}; its ${ops.length} ops (by call): ` +
          shown.map(describeKvOp).join(", ") + (ops.length > OPS_SHOWN_MAX ? ", ..." : ""),
        searchSteps,
      };
    }
  }
  return { ok: true, message: "", searchSteps };
}

/**
 * Describes an op for failure messages.
 *
 * @param op The op.
 * @returns e.g. `c1 kvcas("" -> "1.2;")=1@3-9`.
 * @example
 * ```ts
 * import { describeKvOp } from "./kv_model.ts";
 * describeKvOp({ clientId: 1, seq: 1, key: "k", kind: "kvget", value: "", expect: "", output: "", callStamp: 1, returnStamp: 2 });
 * ```
 */
export function describeKvOp(op: KvHistoryOp): string {
  const returned = op.returnStamp === null ? "?" : String(op.returnStamp);
  const input = op.kind === "kvcas"
    ? `${JSON.stringify(op.expect)} -> ${JSON.stringify(op.value)}`
    : op.kind === "kvput"
    ? JSON.stringify(op.value)
    : "";
  return `c${op.clientId} ${op.kind}(${input})=${op.output ?? "?"}@${op.callStamp}-${returned}`;
}

/**
 * Applies `op` to a key's state.
 *
 * @returns The next state, or null when its output contradicts the state.
 */
function stepKv(state: string, op: KvHistoryOp): string | null {
  switch (op.kind) {
    case "kvput":
      return op.value;
    case "kvget":
      return op.output === state ? state : null;
    case "kvdelete": {
      const existed = state !== "" ? "1" : "0";
      return op.output === null || op.output === existed ? "" : null;
    }
    case "kvcas": {
      const succeeded = state === op.expect ? "1" : "0";
      if (op.output !== null && op.output !== succeeded) return null;
      return succeeded === "1" ? op.value : state;
    }
  }
}

function searchKvKey(
  ops: readonly KvHistoryOp[],
  pendingMustApply: boolean,
  stepsMax: number,
): { failure: string | null; steps: number } {
  return searchLinearization(ops, {
    step: stepKv,
    mustLinearize: (op) => op.returnStamp !== null || pendingMustApply,
  }, stepsMax);
}
