/**
 * The half of every log adapter that is the same everywhere: argument checks against the projected log (durable
 * state plus queued writes), group commit (every write queued while a batch is being persisted goes into the
 * next batch), failure handling and the synchronous reads. An adapter supplies `persist` and `readAt`.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import type { Entry, HardState } from "../../src/raft/types.ts";
import { assert } from "../../src/util/assert.ts";
import { StorageClosedError, StorageWriteError } from "../../src/ports/storage.ts";
import type { LogStorage, RecoveredLog } from "../../src/ports/storage.ts";
import { LogState, validateEntries, validateHardState } from "./_log_state.ts";
import type { LogOp } from "./_log_state.ts";

/** The most queued writes persisted as one batch (the rest wait for the next one). */
export const OPS_PER_BATCH_MAX = 4096;
/** The most entry data (bytes) persisted as one batch, unless a single write is larger. */
export const BATCH_DATA_BYTES_MAX = 16 * 1024 * 1024;

interface Pending {
  op: LogOp;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function opDataBytes(op: LogOp): number {
  if (op.kind !== "entries") return 64;
  let total = 0;
  for (const entry of op.entries) total += entry.data.byteLength + 32;
  return total;
}

/**
 * Base of the log adapters. Subclasses implement {@link CommittedLog.persist} (make a batch durable, then
 * apply it to `state`) and {@link CommittedLog.readAt}.
 *
 * @example
 * ```ts
 * import { CommittedLog } from "./_committed_log.ts";
 * import type { LogOp } from "./_log_state.ts";
 * import type { Entry } from "../../src/raft/types.ts";
 * class Volatile extends CommittedLog<Entry> {
 *   protected persist(ops: readonly LogOp[]): void {
 *     for (const op of ops) this.state.apply(op, (i) => op.kind === "entries" ? op.entries[i]! : undefined!);
 *   }
 *   protected readAt(_index: number, location: Entry): Entry { return location; }
 *   protected closeResources(): void {}
 * }
 * const log = new Volatile();
 * await log.append([{ index: 1, term: 1, type: 0, data: new Uint8Array() }]);
 * console.log(log.lastIndex()); // 1
 * ```
 */
export abstract class CommittedLog<L> implements LogStorage {
  /** The durable state: changed only by `persist` after a batch is durable. */
  protected state: LogState<L> = new LogState<L>();
  readonly #scheduleLater: (run: () => void) => void;
  #queue: Pending[] = [];
  #inFlight: Pending[] = [];
  #flushing = false;
  #scheduled = false;
  #closed = false;
  #drained: (() => void)[] = [];
  #projectedLast = 0;
  /** Term of #projectedLast, so the common append (right after the last entry) needs no scan of the queue. */
  #projectedLastTerm = 0;
  #projectedCompact = 0;

  /**
   * @param schedule Runs the next flush later. The default, setImmediate, lets every write arriving from the
   *   I/O callbacks of the current event-loop turn join the batch; a simulator may pass its own scheduler.
   */
  constructor(schedule: (run: () => void) => void = setImmediate) {
    this.#scheduleLater = schedule;
  }

  /** Makes `ops` durable, in order, then applies them to `this.state`; throws (state untouched) on failure. */
  protected abstract persist(ops: readonly LogOp[]): Promise<void> | void;
  /** Reads the entry at `index` stored at `location`. */
  protected abstract readAt(index: number, location: L): Entry;
  /** Releases files and handles once every write is settled. */
  protected abstract closeResources(): Promise<void> | void;

  /** Call after replaying the stored log into `state`, so the projection starts from it. */
  protected resetProjection(): void {
    this.#projectedLast = this.state.lastIndex();
    this.#projectedLastTerm = this.state.term(this.#projectedLast);
    this.#projectedCompact = this.state.compactIndex;
  }

  recovered(): RecoveredLog {
    const { hardState, compactTerm } = this.state;
    return {
      hardState: { ...hardState },
      firstIndex: this.state.firstIndex(),
      lastIndex: this.state.lastIndex(),
      compactedTerm: compactTerm,
    };
  }

  firstIndex(): number {
    return this.state.firstIndex();
  }

  lastIndex(): number {
    return this.state.lastIndex();
  }

  term(index: number): number {
    return this.state.term(index);
  }

  hardState(): HardState {
    return { ...this.state.hardState };
  }

  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    if (lo < this.state.firstIndex() || hi > this.state.lastIndex() + 1 || lo > hi) {
      throw new RangeError(
        `Cannot read entries [${lo}, ${hi}): the log holds ${this.state.firstIndex()}..${this.state.lastIndex()}`,
      );
    }
    const result: Entry[] = [];
    let sizeBytes = 0;
    for (let index = lo; index < hi; index++) {
      const entry = this.readAt(index, this.state.location(index));
      assert(entry.index === index, () => `read entry ${entry.index} where ${index} was expected`);
      sizeBytes += entry.data.byteLength;
      if (result.length > 0 && sizeBytes > maxSizeBytes) break;
      result.push(entry);
    }
    return result;
  }

  append(entries: readonly Entry[]): Promise<void> {
    return this.#submit(() => {
      validateEntries(entries);
      const first = entries[0]!.index;
      if (first <= this.#projectedCompact || first > this.#projectedLast + 1) {
        throw new RangeError(
          `Cannot append entries ${first}..${entries.at(-1)!.index}: the log holds ` +
            `${
              this.#projectedCompact + 1
            }..${this.#projectedLast} (no holes, nothing before the compacted prefix)`,
        );
      }
      const term = first - 1 === this.#projectedLast
        ? this.#projectedLastTerm
        : this.#projectedTerm(first - 1);
      if (entries[0]!.term < term) {
        throw new RangeError(`Cannot append entry ${first} with term ${entries[0]!.term} after term ${term}`);
      }
      this.#projectedLast = entries.at(-1)!.index;
      this.#projectedLastTerm = entries.at(-1)!.term;
      return { kind: "entries", entries: entries.slice() };
    });
  }

  saveHardState(hardState: HardState): Promise<void> {
    return this.#submit(() => {
      validateHardState(hardState);
      return {
        kind: "hardState",
        hardState: { term: hardState.term, vote: hardState.vote, commit: hardState.commit },
      };
    });
  }

  truncateSuffix(fromIndex: number): Promise<void> {
    return this.#submit(() => {
      if (
        !Number.isSafeInteger(fromIndex) || fromIndex <= this.#projectedCompact ||
        fromIndex > this.#projectedLast + 1
      ) {
        throw new RangeError(
          `Cannot truncate from ${fromIndex}: the log holds ${
            this.#projectedCompact + 1
          }..${this.#projectedLast}`,
        );
      }
      this.#projectedLastTerm = this.#projectedTerm(fromIndex - 1);
      this.#projectedLast = fromIndex - 1;
      return { kind: "truncate", fromIndex };
    });
  }

  compact(throughIndex: number): Promise<void> {
    return this.#submit(() => {
      if (!Number.isSafeInteger(throughIndex) || throughIndex > this.#projectedLast) {
        throw new RangeError(
          `Cannot compact through ${throughIndex}: the last index is ${this.#projectedLast}`,
        );
      }
      const index = Math.max(throughIndex, this.#projectedCompact);
      const term = this.#projectedTerm(index);
      this.#projectedCompact = index;
      return { kind: "compact", index, term, discardAll: false };
    });
  }

  resetToSnapshot(index: number, term: number): Promise<void> {
    return this.#submit(() => {
      if (
        !Number.isSafeInteger(index) || index < this.#projectedCompact || !Number.isSafeInteger(term) ||
        term < 0
      ) {
        throw new RangeError(
          `Cannot reset the log to snapshot ${index} (term ${term}): the compacted prefix ends at ${this.#projectedCompact}`,
        );
      }
      this.#projectedCompact = index;
      this.#projectedLast = index;
      this.#projectedLastTerm = term;
      return { kind: "compact", index, term, discardAll: true };
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#waitDrained();
    this.#closed = true;
    await this.closeResources();
  }

  /** Rejects every queued write with `error` and refuses all later calls (a simulated crash). */
  protected abandon(error: unknown): void {
    this.#closed = true;
    for (const pending of [...this.#inFlight, ...this.#queue]) pending.reject(error);
    this.#inFlight = [];
    this.#queue = [];
    for (const wake of this.#drained.splice(0)) wake();
  }

  /** @returns Whether close() or abandon() ran. */
  protected isClosed(): boolean {
    return this.#closed;
  }

  #waitDrained(): Promise<void> {
    if (this.#queue.length === 0 && !this.#flushing) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** The term of `index` counting queued writes (which are not in `state` yet). */
  #projectedTerm(index: number): number {
    let cut = Infinity;
    const unsettled = [...this.#inFlight, ...this.#queue];
    for (let i = unsettled.length - 1; i >= 0; i--) {
      const op = unsettled[i]!.op;
      if (op.kind === "truncate") cut = Math.min(cut, op.fromIndex);
      if (op.kind === "compact" && op.index === index) return op.term;
      if (op.kind === "compact" && op.discardAll) {
        throw new RangeError(`Cannot read the term of ${index}: a queued snapshot reset discards it`);
      }
      if (op.kind === "entries") {
        const first = op.entries[0]!.index;
        if (index >= first && index < cut && index <= op.entries.at(-1)!.index) {
          return op.entries[index - first]!.term;
        }
        cut = Math.min(cut, first);
      }
    }
    if (index >= cut) throw new RangeError(`Cannot read the term of ${index}: a queued write removes it`);
    return this.state.term(index);
  }

  #submit(makeOp: () => LogOp): Promise<void> {
    if (this.#closed) return Promise.reject(new StorageClosedError("Cannot write to the log"));
    let op: LogOp;
    try {
      op = makeOp();
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing || this.#queue.length === 0) return;
    this.#scheduled = true;
    this.#scheduleLater(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  #takeBatch(): Pending[] {
    let count = 0;
    let bytes = 0;
    while (count < this.#queue.length && count < OPS_PER_BATCH_MAX) {
      const next = opDataBytes(this.#queue[count]!.op);
      if (count > 0 && bytes + next > BATCH_DATA_BYTES_MAX) break;
      bytes += next;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  async #flush(): Promise<void> {
    if (this.#flushing || this.#queue.length === 0 || this.#closed) return;
    this.#flushing = true;
    this.#inFlight = this.#takeBatch();
    try {
      await this.persist(this.#inFlight.map((pending) => pending.op));
      const done = this.#inFlight;
      this.#inFlight = [];
      for (const pending of done) pending.resolve();
    } catch (error) {
      this.#failAll(error);
    } finally {
      this.#flushing = false;
    }
    if (this.#queue.length > 0) this.#schedule();
    else for (const wake of this.#drained.splice(0)) wake();
  }

  /** A failed batch fails every queued write too: they were checked against a log that included it. */
  #failAll(error: unknown): void {
    // Errors without a system code are bugs, not disk trouble: they go to the callers as they are.
    const wrapped = error instanceof StorageWriteError || error instanceof StorageClosedError ||
        errorCode(error) === "UNKNOWN"
      ? error
      : new StorageWriteError("Cannot persist a log batch", errorCode(error), error);
    const failed = [...this.#inFlight, ...this.#queue];
    this.#inFlight = [];
    this.#queue = [];
    this.resetProjection();
    for (const pending of failed) pending.reject(wrapped);
  }
}

/**
 * @param error Anything thrown by a file system or database call.
 * @returns Its `code` (ENOSPC, SQLITE_FULL...) or "UNKNOWN".
 * @example
 * ```ts
 * import { errorCode } from "./_committed_log.ts";
 * console.log(errorCode(Object.assign(new Error("x"), { code: "ENOSPC" }))); // "ENOSPC"
 * ```
 */
export function errorCode(error: unknown): string {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === "string") return code;
    if (typeof code === "number") return `errno ${code}`;
  }
  return "UNKNOWN";
}
