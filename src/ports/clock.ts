/**
 * Time, injected: the engine reads a monotonic clock through this port so a simulator can drive it.
 *
 * @module
 */

export type { RandomSource } from "../util/random.ts";

/** A monotonic clock in milliseconds (never jumps backwards; unrelated to wall-clock time). */
export interface MonotonicClock {
  /**
   * @returns Milliseconds since an arbitrary fixed origin.
   */
  nowMs(): number;
}
