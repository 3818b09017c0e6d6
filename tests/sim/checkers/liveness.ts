/**
 * Liveness: once every fault is healed, a leader is elected and a write commits within a bound.
 *
 * @module
 */

import { CheckerError } from "./checker_error.ts";

/** What the world observed after healing. Times are simulated milliseconds; null = never happened. */
export interface LivenessObservation {
  healedAtMs: number;
  leaderElectedAtMs: number | null;
  writeCommittedAtMs: number | null;
  boundMs: number;
}

/**
 * Checks that both a leader and a committed write came within `boundMs` of the heal.
 *
 * @param observation What happened after the heal.
 * @throws {CheckerError} When either is missing or late.
 * @example
 * ```ts
 * import { checkLiveness } from "./liveness.ts";
 * checkLiveness({ healedAtMs: 1000, leaderElectedAtMs: 1200, writeCommittedAtMs: 1300, boundMs: 2000 });
 * ```
 */
export function checkLiveness(observation: LivenessObservation): void {
  const { healedAtMs, leaderElectedAtMs, writeCommittedAtMs, boundMs } = observation;
  const deadline = healedAtMs + boundMs;
  if (leaderElectedAtMs === null || leaderElectedAtMs > deadline) {
    throw new CheckerError(
      "liveness",
      `no leader within ${boundMs} ms of healing at ${healedAtMs} ms (leader at ${
        leaderElectedAtMs ?? "never"
      })`,
    );
  }
  if (writeCommittedAtMs === null || writeCommittedAtMs > deadline) {
    throw new CheckerError(
      "liveness",
      `no write committed within ${boundMs} ms of healing at ${healedAtMs} ms ` +
        `(committed at ${writeCommittedAtMs ?? "never"})`,
    );
  }
}
