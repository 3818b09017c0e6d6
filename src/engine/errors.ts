/**
 * The engine's domain errors: conditions a caller of the embedded API catches and acts on. The store's own
 * errors (LeaseNotFoundError, QuotaExceededError, CompactedError, ValidationError...) pass through unchanged.
 *
 * @module
 */

/**
 * A request was refused because a named queue of the engine is full (back-pressure): retry later.
 *
 * @example
 * ```ts
 * import { TooManyRequestsError } from "./errors.ts";
 * const error = new TooManyRequestsError("propose a write", "maxPendingWrites", 10_000);
 * console.log(error.limitName); // "maxPendingWrites"
 * ```
 */
export class TooManyRequestsError extends Error {
  /** The option or constant naming the full queue. */
  readonly limitName: string;
  /** Its value. */
  readonly limit: number;

  /**
   * @param action What was refused, e.g. "propose a write".
   * @param limitName The limit that was reached.
   * @param limit Its value.
   */
  constructor(action: string, limitName: string, limit: number) {
    super(`Cannot ${action}: too many requests, ${limit} are already waiting (${limitName}); retry later`);
    this.name = "TooManyRequestsError";
    this.limitName = limitName;
    this.limit = limit;
  }
}

/**
 * A request did not complete within its deadline (no leader, lost quorum, overloaded). A write that timed
 * out may still be applied later.
 *
 * @example
 * ```ts
 * import { TimeoutError } from "./errors.ts";
 * console.log(new TimeoutError("put", 5000).timeoutMs); // 5000
 * ```
 */
export class TimeoutError extends Error {
  /** The deadline that passed. */
  readonly timeoutMs: number;

  /**
   * @param action What timed out.
   * @param timeoutMs After how long.
   */
  constructor(action: string, timeoutMs: number) {
    super(`Cannot ${action}: no answer within ${timeoutMs} ms (no leader or no quorum?)`);
    this.name = "TimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The engine is stopping or stopped: it takes no more requests.
 *
 * @example
 * ```ts
 * import { EngineStoppedError } from "./errors.ts";
 * console.log(new EngineStoppedError("put").message);
 * ```
 */
export class EngineStoppedError extends Error {
  /** @param action What was refused. */
  constructor(action: string) {
    super(`Cannot ${action}: the engine is stopped`);
    this.name = "EngineStoppedError";
  }
}

/**
 * An engine option is invalid; the message names the option and the expected form.
 *
 * @example
 * ```ts
 * import { EngineOptionsError } from "./errors.ts";
 * const error = new EngineOptionsError("tickIntervalMs", "expected a positive integer, got -1");
 * console.log(error.option); // "tickIntervalMs"
 * ```
 */
export class EngineOptionsError extends Error {
  /** The option's path, e.g. `peers.n2`. */
  readonly option: string;

  /**
   * @param option The option's path.
   * @param problem What is wrong with it.
   */
  constructor(option: string, problem: string) {
    super(`Invalid engine option "${option}": ${problem}`);
    this.name = "EngineOptionsError";
    this.option = option;
  }
}
