/**
 * Reconnect delays: exponential backoff between named bounds, with jitter so peers that lost the same node do
 * not all redial it at the same instant.
 *
 * @module
 */

import { assert } from "../util/assert.ts";

/** The first reconnect delay after a connection is lost or refused. */
export const RECONNECT_DELAY_MS_MIN = 25;

/** The longest delay between reconnect attempts. */
export const RECONNECT_DELAY_MS_MAX = 2000;

/** Bounds of the reconnect delay. */
export interface BackoffLimits {
  delayMsMin: number;
  delayMsMax: number;
}

/** The default bounds. */
export const BACKOFF_LIMITS_DEFAULT: Readonly<BackoffLimits> = {
  delayMsMin: RECONNECT_DELAY_MS_MIN,
  delayMsMax: RECONNECT_DELAY_MS_MAX,
};

/**
 * The delay before the next attempt: the minimum after a success, then doubling up to the maximum.
 *
 * @param previousMs The previous delay, or 0 when the last attempt succeeded.
 * @param limits The bounds.
 * @returns The next delay in milliseconds, before jitter.
 * @example
 * ```ts
 * import { nextReconnectDelayMs } from "./backoff.ts";
 * const limits = { delayMsMin: 10, delayMsMax: 50 };
 * console.log(nextReconnectDelayMs(0, limits), nextReconnectDelayMs(10, limits), nextReconnectDelayMs(40, limits));
 * // 10 20 50
 * ```
 */
export function nextReconnectDelayMs(previousMs: number, limits: BackoffLimits): number {
  assert(
    limits.delayMsMin > 0 && limits.delayMsMin <= limits.delayMsMax,
    () => `bad backoff ${JSON.stringify(limits)}`,
  );
  if (previousMs <= 0) return limits.delayMsMin;
  return Math.min(limits.delayMsMax, Math.max(limits.delayMsMin, previousMs * 2));
}

/**
 * Spreads a delay over [delay/2, delay).
 *
 * @param delayMs The delay from {@link nextReconnectDelayMs}.
 * @param random01 A uniform number in [0, 1), drawn by the caller (the adapters own randomness).
 * @returns The delay to wait, in milliseconds.
 * @example
 * ```ts
 * import { jitteredDelayMs } from "./backoff.ts";
 * console.log(jitteredDelayMs(100, 0)); // 50
 * ```
 */
export function jitteredDelayMs(delayMs: number, random01: number): number {
  assert(random01 >= 0 && random01 < 1, () => `random ${random01} outside [0, 1)`);
  return delayMs / 2 + (delayMs / 2) * random01;
}
