/**
 * Election safety: at most one leader per term, over the whole run (crashes included).
 *
 * @module
 */

import { CheckerError } from "./checker_error.ts";

/**
 * Remembers the leader of each term and rejects a second one.
 *
 * @example
 * ```ts
 * import { ElectionSafetyChecker } from "./election_safety.ts";
 * const checker = new ElectionSafetyChecker();
 * checker.observeLeader(2, 1);
 * checker.observeLeader(2, 1); // the same leader again: fine
 * console.log(checker.elections); // 1
 * ```
 */
export class ElectionSafetyChecker {
  #leaderByTerm = new Map<number, number>();

  /** @returns How many (term, leader) pairs were seen. */
  get elections(): number {
    return this.#leaderByTerm.size;
  }

  /**
   * Records that `nodeId` believes it leads `term`.
   *
   * @param term The term.
   * @param nodeId The leader.
   * @throws {CheckerError} When another node led the same term.
   */
  observeLeader(term: number, nodeId: number): void {
    const known = this.#leaderByTerm.get(term);
    if (known === undefined) {
      this.#leaderByTerm.set(term, nodeId);
    } else if (known !== nodeId) {
      throw new CheckerError(
        "election safety",
        `term ${term} has two leaders: node ${known} and node ${nodeId}`,
      );
    }
  }
}
