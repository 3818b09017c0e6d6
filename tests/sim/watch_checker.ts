/**
 * Watch guarantees across leader changes, crashes and snapshots: each node's all-keys watcher (re-created
 * from its last revision after a restart) delivers events in revision order, never twice, each revision in
 * one response, and every node sees the same events at each revision with no revision skipped -- except
 * across a cancel for compaction, which must name the compact revision and after which the watcher resumes
 * there.
 *
 * @module
 */

import type { WatchResponse } from "../../src/kv/mod.ts";
import { toText } from "../../src/kv/mod.ts";
import { CheckerError } from "./checkers/checker_error.ts";

/** One unbroken stretch of a node's watch stream. */
interface Segment {
  startRevision: number;
  /** Revisions delivered, ascending. */
  revisions: number[];
}

/** One node's watch stream. */
interface Stream {
  segments: Segment[];
  lastRevision: number;
}

/**
 * The checker. Feed it every response of every node's watcher; call {@link WatchChecker.finish} at the end.
 *
 * @example
 * ```ts
 * import { WatchChecker } from "./watch_checker.ts";
 * const checker = new WatchChecker();
 * console.log(checker.startRevision(1)); // 1
 * checker.finish();
 * ```
 */
export class WatchChecker {
  readonly #streams = new Map<number, Stream>();
  /** The events of each revision, as "key:type" joined, from the first node that delivered it. */
  readonly #global = new Map<number, string>();
  /** How many watchers were cancelled because their next revision was compacted away. */
  compactionCancels = 0;
  /** How many events were delivered over all nodes. */
  eventsDelivered = 0;

  /**
   * Where a node's (new) watcher must start: after the last revision it delivered.
   *
   * @param nodeId The node.
   * @returns The start revision.
   */
  startRevision(nodeId: number): number {
    return this.#stream(nodeId).lastRevision + 1;
  }

  /**
   * Checks one response of a node's watcher.
   *
   * @param nodeId The node.
   * @param response The response.
   * @param compactRevision The node store's compact revision when the response was polled.
   * @returns The revision to re-create the watcher from when it was cancelled, else null.
   * @throws {CheckerError} When a guarantee breaks.
   */
  observe(nodeId: number, response: WatchResponse, compactRevision: number): number | null {
    const stream = this.#stream(nodeId);
    if (response.canceled) return this.#cancelled(nodeId, stream, response, compactRevision);
    const segment = stream.segments[stream.segments.length - 1]!;
    const byRevision = new Map<number, string[]>();
    for (const event of response.events) {
      const revision = event.kv.modRevision;
      if (revision <= stream.lastRevision) {
        fail(
          nodeId,
          `event at revision ${revision} (key "${
            toText(event.kv.key)
          }") after revision ${stream.lastRevision} ` +
            `was already delivered (out of order, duplicated or split)`,
        );
      }
      const last = [...byRevision.keys()].at(-1);
      if (last !== undefined && revision < last) {
        fail(nodeId, `revision ${revision} follows revision ${last} in one response`);
      }
      const events = byRevision.get(revision) ?? [];
      const item = `${toText(event.kv.key)}:${event.type}`;
      if (events.includes(item)) fail(nodeId, `event ${item} delivered twice at revision ${revision}`);
      events.push(item);
      this.eventsDelivered++;
      byRevision.set(revision, events);
    }
    for (const [revision, events] of byRevision) {
      const signature = events.join(",");
      const known = this.#global.get(revision);
      if (known === undefined) this.#global.set(revision, signature);
      else if (known !== signature) {
        fail(nodeId, `revision ${revision} has events [${signature}] but another node saw [${known}]`);
      }
      segment.revisions.push(revision);
      stream.lastRevision = revision;
    }
    return null;
  }

  /**
   * Checks that no node skipped a revision another node delivered within one unbroken stretch.
   *
   * @throws {CheckerError} When one did.
   */
  finish(): void {
    const all = [...this.#global.keys()].sort((a, b) => a - b);
    for (const [nodeId, stream] of this.#streams) {
      for (const segment of stream.segments) {
        const last = segment.revisions.at(-1);
        if (last === undefined) continue;
        const expected = all.filter((revision) => revision >= segment.startRevision && revision <= last);
        if (expected.length !== segment.revisions.length) {
          const missing = expected.filter((revision) => !segment.revisions.includes(revision));
          fail(
            nodeId,
            `its watcher from revision ${segment.startRevision} skipped revisions ${missing.join(",")}`,
          );
        }
      }
    }
  }

  #cancelled(nodeId: number, stream: Stream, response: WatchResponse, compactRevision: number): number {
    const next = stream.lastRevision + 1;
    if (response.compactRevision === 0) {
      // Cancelled for another reason (a slow watcher): it resumes where it stopped.
      return next;
    }
    if (response.compactRevision !== compactRevision || response.compactRevision <= next) {
      fail(
        nodeId,
        `watcher at revision ${next} was cancelled with compact revision ${response.compactRevision}, but the ` +
          `store's compact revision is ${compactRevision}`,
      );
    }
    this.compactionCancels++;
    stream.segments.push({ startRevision: response.compactRevision, revisions: [] });
    stream.lastRevision = response.compactRevision - 1;
    return response.compactRevision;
  }

  #stream(nodeId: number): Stream {
    let stream = this.#streams.get(nodeId);
    if (stream === undefined) {
      stream = { segments: [{ startRevision: 1, revisions: [] }], lastRevision: 0 };
      this.#streams.set(nodeId, stream);
    }
    return stream;
  }
}

function fail(nodeId: number, message: string): never {
  throw new CheckerError("watch", `node ${nodeId}: ${message}`);
}
