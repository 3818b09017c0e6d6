/**
 * What every part of the simulated world shares: the clock, the one random generator, the event queue and
 * the optional trace.
 *
 * @module
 */

import { randomBelow, type SeededRandom } from "../../src/util/random.ts";
import { EventQueue } from "./event_queue.ts";

/** The most trace lines kept; a trace is for replaying one seed, not an unbounded log. */
export const TRACE_LINES_MAX = 2_000_000;

/**
 * The world's shared services. Probabilities are in per-mille (integers), so every decision is integer
 * arithmetic on the generator's output.
 *
 * @example
 * ```ts
 * import { SeededRandom } from "../../src/util/random.ts";
 * import { SimContext } from "./context.ts";
 * const context = new SimContext(new SeededRandom(1), true);
 * context.after(5, () => context.log("hello"));
 * context.runUntil(10);
 * console.log(context.traceLines()[0]); // "5 hello"
 * ```
 */
export class SimContext {
  readonly random: SeededRandom;
  readonly #queue = new EventQueue();
  readonly #trace: string[] | null;
  #nowMs = 0;
  #stamp = 0;

  /**
   * @param random The one generator of the run.
   * @param tracing Whether to keep a trace.
   */
  constructor(random: SeededRandom, tracing: boolean) {
    this.random = random;
    this.#trace = tracing ? [] : null;
  }

  /** @returns The simulated time in milliseconds. */
  get nowMs(): number {
    return this.#nowMs;
  }

  /** @returns Whether trace lines are kept (callers skip building them otherwise). */
  get tracing(): boolean {
    return this.#trace !== null;
  }

  /** @returns A fresh value of the global history counter (orders client calls and returns exactly). */
  nextStamp(): number {
    return ++this.#stamp;
  }

  /**
   * Schedules `run` after `delayMs` simulated milliseconds.
   *
   * @param delayMs Delay, >= 0.
   * @param run The callback.
   */
  after(delayMs: number, run: () => void): void {
    this.#queue.schedule(this.#nowMs + delayMs, run);
  }

  /**
   * Runs events in order until the queue is empty or the next event is later than `endMs`.
   *
   * @param endMs The time to stop at (the clock is left there).
   */
  runUntil(endMs: number): void {
    for (;;) {
      const next = this.#queue.peekTimeMs();
      if (next === null || next > endMs) break;
      const event = this.#queue.pop()!;
      this.#nowMs = event.timeMs;
      event.run();
    }
    this.#nowMs = Math.max(this.#nowMs, endMs);
  }

  /**
   * @param perMille Probability in thousandths.
   * @returns True with that probability.
   */
  chance(perMille: number): boolean {
    return perMille > 0 && randomBelow(this.random, 1000) < perMille;
  }

  /**
   * @param low Inclusive lower bound.
   * @param high Inclusive upper bound (>= low).
   * @returns A uniform integer in [low, high].
   */
  between(low: number, high: number): number {
    return low + randomBelow(this.random, high - low + 1);
  }

  /**
   * @param items A non-empty list.
   * @returns One item, uniformly.
   */
  pick<T>(items: readonly T[]): T {
    return items[randomBelow(this.random, items.length)]!;
  }

  /**
   * Appends a trace line prefixed with the time, when tracing.
   *
   * @param text The event.
   */
  log(text: string): void {
    const trace = this.#trace;
    if (trace === null || trace.length >= TRACE_LINES_MAX) return;
    trace.push(`${this.#nowMs} ${text}`);
  }

  /** @returns The trace so far (empty when not tracing). */
  traceLines(): readonly string[] {
    return this.#trace ?? [];
  }
}
