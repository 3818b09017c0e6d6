/**
 * The world's checks of a run on the real key-value store: the client history (for `kv_model.ts`), the
 * stores' state at each applied index (revision, compact revision and a hash of a range over all keys must
 * agree between nodes), and every node's watch stream (`watch_checker.ts`).
 *
 * @module
 */

import type { WatchResponse } from "../../src/kv/mod.ts";
import { CheckerError } from "./checkers/checker_error.ts";
import { checkKvLinearizable, type KvHistoryOp } from "./kv_model.ts";
import { WatchChecker } from "./watch_checker.ts";

/**
 * Collects and checks everything kv-specific of one run.
 *
 * @example
 * ```ts
 * import { KvChecks } from "./kv_checks.ts";
 * const checks = new KvChecks();
 * checks.observeDigest(1, 5, "rev 3 compact 0 abc");
 * checks.observeDigest(2, 5, "rev 3 compact 0 abc");
 * checks.finish();
 * ```
 */
export class KvChecks {
  readonly history: KvHistoryOp[] = [];
  readonly watch = new WatchChecker();
  /** Client writes some node applied (not as a duplicate), as "clientId:seq". */
  readonly applied = new Set<string>();
  readonly #digestAtIndex = new Map<number, { nodeId: number; digest: string }>();

  /**
   * A node's store after applying up to `index`.
   *
   * @param nodeId The node.
   * @param index Its applied index.
   * @param digest Its {@link KvMachine.digest}.
   * @throws {CheckerError} When another node held a different store at the same index.
   */
  observeDigest(nodeId: number, index: number, digest: string): void {
    const first = this.#digestAtIndex.get(index);
    if (first === undefined) this.#digestAtIndex.set(index, { nodeId, digest });
    else if (first.digest !== digest) {
      throw new CheckerError(
        "state machine safety",
        `at applied index ${index} node ${first.nodeId}'s store is "${first.digest}" but node ${nodeId}'s is ` +
          `"${digest}"`,
      );
    }
  }

  /**
   * A node's watcher answered.
   *
   * @param nodeId The node.
   * @param response The response.
   * @param compactRevision The store's compact revision then.
   * @returns The revision to re-create a cancelled watcher from, else null.
   */
  observeWatch(nodeId: number, response: WatchResponse, compactRevision: number): number | null {
    return this.watch.observe(nodeId, response, compactRevision);
  }

  /**
   * The final checks: watch streams and linearizability of the history.
   *
   * @throws {CheckerError} On a violation.
   */
  finish(): void {
    this.watch.finish();
    const verdict = checkKvLinearizable(this.history, this.applied);
    if (!verdict.ok) throw new CheckerError("linearizability", verdict.message);
  }
}
