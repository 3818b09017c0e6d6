/**
 * A linearizability checker for the register's client history: the Wing & Gong search with Lowe's
 * memoization (a cache of "set of linearized operations + model state" already explored), run separately
 * for each key (a register per key is P-compositional).
 *
 * A timed-out operation has no return: it may take effect at any point after its call, or never. Reads
 * without a return change nothing and are dropped; writes without a return may be linearized anywhere after
 * their call, and the search succeeds once every COMPLETED operation is linearized.
 *
 * @module
 */

import { compareStrings } from "./register.ts";

/** The operations of the register. */
export type OpKind = "put" | "append" | "get";

/** One client operation as the client saw it. Stamps come from one global counter, so they are totally ordered. */
export interface HistoryOp {
  clientId: number;
  key: string;
  kind: OpKind;
  /** The value written (put/append) or the value read (get). */
  value: string;
  callStamp: number;
  /** null when the client gave up: the op may take effect after its call, or never. */
  returnStamp: number | null;
}

/** The verdict of {@link checkLinearizable}. */
export interface LinearizabilityResult {
  ok: boolean;
  /** Empty when ok; otherwise the key, why, and the key's history. */
  message: string;
  /** Search steps taken over all keys (for statistics). */
  searchSteps: number;
}

/** The default bound on search steps per key, so a pathological history cannot hang a run. */
export const SEARCH_STEPS_PER_KEY_MAX = 2_000_000;

/** The most operations of one key shown in a failure message. */
const OPS_SHOWN_MAX = 40;

/**
 * Checks that the history is linearizable with respect to a register per key (initial value "").
 *
 * @param history Every operation of every client, in any order.
 * @param searchStepsPerKeyMax Bound on the search per key; exceeding it is reported as a failure.
 * @returns ok, or the first key (in sorted order) whose history is not linearizable.
 * @example
 * ```ts
 * import { checkLinearizable } from "./linearizability.ts";
 * const result = checkLinearizable([
 *   { clientId: 1, key: "k", kind: "put", value: "x", callStamp: 1, returnStamp: 2 },
 *   { clientId: 2, key: "k", kind: "get", value: "", callStamp: 3, returnStamp: 4 },
 * ]);
 * console.log(result.ok); // false: the read began after the put returned
 * ```
 */
export function checkLinearizable(
  history: readonly HistoryOp[],
  searchStepsPerKeyMax: number = SEARCH_STEPS_PER_KEY_MAX,
): LinearizabilityResult {
  const byKey = new Map<string, HistoryOp[]>();
  for (const op of history) {
    if (op.returnStamp !== null && op.returnStamp <= op.callStamp) {
      return { ok: false, message: `op ${describeOp(op)} returns before its call`, searchSteps: 0 };
    }
    if (op.kind === "get" && op.returnStamp === null) continue;
    const ops = byKey.get(op.key);
    if (ops === undefined) byKey.set(op.key, [op]);
    else ops.push(op);
  }
  let searchSteps = 0;
  for (const key of [...byKey.keys()].sort(compareStrings)) {
    const ops = withoutUnobservedPendingWrites(byKey.get(key)!);
    const verdict = searchKey(ops, searchStepsPerKeyMax);
    searchSteps += verdict.steps;
    if (verdict.failure !== null) {
      const shown = [...ops].sort((a, b) => a.callStamp - b.callStamp).slice(0, OPS_SHOWN_MAX);
      return {
        ok: false,
        message: `key "${key}": ${verdict.failure}; its ${ops.length} ops (by call): ` +
          shown.map(describeOp).join(", ") + (ops.length > OPS_SHOWN_MAX ? ", ..." : ""),
        searchSteps,
      };
    }
  }
  return { ok: true, message: "", searchSteps };
}

/**
 * Drops timed-out writes whose value no read ever contains. Sound and complete: with no read observing it,
 * a linearization that includes such a write stays valid without it (no read lies between it and the next
 * put), and "never took effect" is allowed for a timed-out op. This keeps the search from trying every
 * position for writes that made no visible difference.
 */
function withoutUnobservedPendingWrites(ops: readonly HistoryOp[]): HistoryOp[] {
  const observed = ops.filter((op) => op.kind === "get").map((op) => op.value);
  return ops.filter((op) =>
    op.returnStamp !== null || op.kind === "get" || observed.some((value) => value.includes(op.value))
  );
}

function describeOp(op: HistoryOp): string {
  const returned = op.returnStamp === null ? "?" : String(op.returnStamp);
  return `c${op.clientId} ${op.kind}(${JSON.stringify(op.value)})@${op.callStamp}-${returned}`;
}

/** Applies `op` to the register state; null when the op's output contradicts the state. */
function stepModel(state: string, op: HistoryOp): string | null {
  switch (op.kind) {
    case "put":
      return op.value;
    case "append":
      return state + op.value;
    case "get":
      return op.value === state ? state : null;
  }
}

/**
 * The doubly linked list of call/return events the search lifts entries out of and back into (shared with
 * the key-value model's search in `kv_model.ts`).
 *
 * @example
 * ```ts
 * import { EventList } from "./linearizability.ts";
 * const list = new EventList([{ callStamp: 1, returnStamp: 2 }]);
 * console.log(list.next[list.head]); // 0
 * ```
 */
export class EventList {
  readonly head: number;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  readonly opOf: Int32Array;
  readonly isCall: Uint8Array;
  readonly returnNodeOf: Int32Array;

  /** @param ops The operations (only their stamps are read). */
  constructor(ops: readonly { callStamp: number; returnStamp: number | null }[]) {
    const events: { stamp: number; op: number; isCall: boolean }[] = [];
    ops.forEach((op, index) => {
      events.push({ stamp: op.callStamp, op: index, isCall: true });
      if (op.returnStamp !== null) events.push({ stamp: op.returnStamp, op: index, isCall: false });
    });
    events.sort((a, b) => a.stamp - b.stamp || Number(b.isCall) - Number(a.isCall));
    const count = events.length;
    this.head = count;
    this.next = new Int32Array(count + 1);
    this.prev = new Int32Array(count + 1);
    this.opOf = new Int32Array(count);
    this.isCall = new Uint8Array(count);
    this.returnNodeOf = new Int32Array(ops.length).fill(-1);
    for (let node = 0; node < count; node++) {
      const event = events[node]!;
      this.opOf[node] = event.op;
      this.isCall[node] = event.isCall ? 1 : 0;
      if (!event.isCall) this.returnNodeOf[event.op] = node;
      this.prev[node] = node === 0 ? this.head : node - 1;
      this.next[node] = node === count - 1 ? -1 : node + 1;
    }
    this.next[this.head] = count === 0 ? -1 : 0;
  }

  /** @param callNode The call event of the op to take out (with its return). */
  lift(callNode: number): void {
    this.#unlink(callNode);
    const returnNode = this.returnNodeOf[this.opOf[callNode]!]!;
    if (returnNode >= 0) this.#unlink(returnNode);
  }

  /** @param callNode The call event of the op to put back (with its return). */
  unlift(callNode: number): void {
    const returnNode = this.returnNodeOf[this.opOf[callNode]!]!;
    if (returnNode >= 0) this.#relink(returnNode);
    this.#relink(callNode);
  }

  #unlink(node: number): void {
    const before = this.prev[node]!, after = this.next[node]!;
    this.next[before] = after;
    if (after >= 0) this.prev[after] = before;
  }

  #relink(node: number): void {
    const before = this.prev[node]!, after = this.next[node]!;
    this.next[before] = node;
    if (after >= 0) this.prev[after] = node;
  }
}

/**
 * When every write value is a distinct token "X;" (X without ";"), a read's value is exactly a put's token
 * followed by append tokens, so which writes it saw can be read off it. Returns, per op, the tokens its
 * read value contains (empty for writes), or null when the history is not tokenized.
 */
function readTokens(ops: readonly HistoryOp[]): Set<string>[] | null {
  const written = new Set<string>();
  for (const op of ops) {
    if (op.kind === "get") continue;
    if (!/^[^;]+;$/.test(op.value) || written.has(op.value)) return null;
    written.add(op.value);
  }
  return ops.map((op) =>
    op.kind === "get"
      ? new Set(op.value.split(";").filter((token) => token !== "").map((token) => token + ";"))
      : new Set()
  );
}

/**
 * Prunes orders of concurrent writes early (sound: it only cuts branches that cannot reach a linearization).
 * Any read R not yet linearized comes later, and whatever is linearized before it has its call before R's
 * return.
 * 1. A put linearized before R leaves its value as a prefix of R's value (the last such put does); so if no
 *    put called before R's return has a value that prefixes R's value, only appends happen until R and the
 *    new state must prefix R's value.
 * 2. With tokenized values: if R saw the chosen write's token, nothing may erase it before R, so again only
 *    appends happen until R and the new state must prefix R's value.
 */
function canStillReachReads(
  list: EventList,
  ops: readonly HistoryOp[],
  tokens: Set<string>[] | null,
  chosen: number,
  state: string,
): boolean {
  const chosenOp = list.opOf[chosen]!;
  const chosenValue = ops[chosenOp]!.kind === "get" ? null : ops[chosenOp]!.value;
  const putValues: string[] = [];
  for (let node = list.next[list.head]!; node >= 0; node = list.next[node]!) {
    const op = list.opOf[node]!;
    if (op === chosenOp) continue;
    const candidate = ops[op]!;
    if (list.isCall[node] === 1) {
      if (candidate.kind === "put") putValues.push(candidate.value);
      continue;
    }
    if (candidate.kind !== "get" || candidate.value.startsWith(state)) continue;
    if (tokens !== null && chosenValue !== null && tokens[op]!.has(chosenValue)) return false;
    if (!putValues.some((value) => candidate.value.startsWith(value))) return false;
  }
  return true;
}

/** What the search needs of a sequential model over string states (the empty string is the initial state). */
export interface SearchModel<Op> {
  /** The state after `op`, or null when the op's output contradicts `state`. */
  step(state: string, op: Op): string | null;
  /** Whether `op` must be linearized for the history to pass (a pending op may also never take effect). */
  mustLinearize(op: Op): boolean;
  /** Optional pruning: false only for a branch that cannot reach a linearization. */
  canStillSucceed?(list: EventList, chosenCallNode: number, nextState: string): boolean;
}

/**
 * Wing & Gong / Lowe search with memoization (linearized set + state) over one key's operations.
 *
 * @param ops The key's operations.
 * @param model The sequential model.
 * @param stepsMax Search steps before giving up (reported as inconclusive).
 * @returns The failure (null when a linearization exists) and the steps taken.
 */
export function searchLinearization<Op extends { callStamp: number; returnStamp: number | null }>(
  ops: readonly Op[],
  model: SearchModel<Op>,
  stepsMax: number,
): { failure: string | null; steps: number } {
  const list = new EventList(ops);
  const linearized = new Uint32Array(Math.ceil(ops.length / 32) + 1);
  const cache = new Set<string>();
  const stack: { callNode: number; state: string }[] = [];
  const completedTotal = ops.filter((op) => model.mustLinearize(op)).length;
  let completedLinearized = 0;
  let state = "";
  let entry = list.next[list.head]!;
  for (let steps = 1;; steps++) {
    if (completedLinearized === completedTotal) return { failure: null, steps };
    if (steps > stepsMax) return { failure: `search gave up after ${stepsMax} steps (inconclusive)`, steps };
    if (entry < 0 || list.isCall[entry] === 0) {
      const top = stack.pop();
      if (top === undefined) return { failure: "no linearization exists", steps };
      const op = list.opOf[top.callNode]!;
      linearized[op >> 5]! &= ~(1 << (op & 31));
      if (model.mustLinearize(ops[op]!)) completedLinearized--;
      state = top.state;
      list.unlift(top.callNode);
      entry = list.next[top.callNode]!;
      continue;
    }
    const op = list.opOf[entry]!;
    const nextState = model.step(state, ops[op]!);
    if (nextState !== null && (model.canStillSucceed?.(list, entry, nextState) ?? true)) {
      linearized[op >> 5]! |= 1 << (op & 31);
      const cacheKey = linearized.join(",") + "|" + nextState;
      if (!cache.has(cacheKey)) {
        cache.add(cacheKey);
        stack.push({ callNode: entry, state });
        state = nextState;
        if (model.mustLinearize(ops[op]!)) completedLinearized++;
        list.lift(entry);
        entry = list.next[list.head]!;
        continue;
      }
      linearized[op >> 5]! &= ~(1 << (op & 31));
    }
    entry = list.next[entry]!;
  }
}

function searchKey(ops: readonly HistoryOp[], stepsMax: number): { failure: string | null; steps: number } {
  const tokens = readTokens(ops);
  return searchLinearization(ops, {
    step: stepModel,
    mustLinearize: (op) => op.returnStamp !== null,
    canStillSucceed: (list, chosen, nextState) => canStillReachReads(list, ops, tokens, chosen, nextState),
  }, stepsMax);
}
