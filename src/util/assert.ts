/**
 * Invariant checks that stay on in production: a broken invariant must crash, not corrupt.
 *
 * @module
 */

/** Thrown when an internal invariant does not hold: a bug in dengine, never a user error. */
export class AssertionError extends Error {
  /**
   * @param message What invariant failed, with the values involved.
   * @example
   * ```ts
   * import { AssertionError } from "./assert.ts";
   * const error = new AssertionError("applied 5 > committed 4");
   * console.log(error.name); // "AssertionError"
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

/**
 * Crashes with an {@link AssertionError} when `condition` is false.
 *
 * @param condition The invariant that must hold.
 * @param message What failed; a function is only called on failure, so building it costs nothing normally.
 * @throws {AssertionError} When the condition is false.
 * @example
 * ```ts
 * import { assert } from "./assert.ts";
 * const applied = 3, committed = 4;
 * assert(applied <= committed, () => `applied ${applied} > committed ${committed}`);
 * ```
 */
export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) {
    throw new AssertionError(typeof message === "string" ? message : message());
  }
}

/**
 * Marks a branch that cannot be reached when every case of a union is handled.
 *
 * @param value The value whose type has been narrowed to `never`.
 * @throws {AssertionError} Always.
 * @example
 * ```ts
 * import { unreachable } from "./assert.ts";
 * type Role = "leader" | "follower";
 * function describe(role: Role): string {
 *   switch (role) {
 *     case "leader": return "leads";
 *     case "follower": return "follows";
 *     default: return unreachable(role);
 *   }
 * }
 * console.log(describe("leader"));
 * ```
 */
export function unreachable(value: never): never {
  throw new AssertionError(`unreachable: ${String(value)}`);
}
