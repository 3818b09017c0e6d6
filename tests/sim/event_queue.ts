/**
 * The simulator's event queue: a binary min-heap ordered by (time, insertion number), so events at the same
 * simulated millisecond always run in the order they were scheduled, on every runtime.
 *
 * @module
 */

import { assert } from "../../src/util/assert.ts";

/** The most events that may wait at once; a runaway simulation crashes instead of eating memory. */
export const QUEUED_EVENTS_MAX = 1_000_000;

interface QueuedEvent {
  timeMs: number;
  order: number;
  run: () => void;
}

/**
 * A deterministic priority queue of callbacks keyed by simulated time.
 *
 * @example
 * ```ts
 * import { EventQueue } from "./event_queue.ts";
 * const queue = new EventQueue();
 * queue.schedule(5, () => console.log("later"));
 * queue.schedule(1, () => console.log("first"));
 * queue.pop()?.run(); // first
 * ```
 */
export class EventQueue {
  #heap: QueuedEvent[] = [];
  #nextOrder = 0;

  /** @returns How many events wait. */
  get size(): number {
    return this.#heap.length;
  }

  /**
   * Schedules `run` at `timeMs`.
   *
   * @param timeMs The simulated time to run at.
   * @param run The callback.
   * @throws {AssertionError} When the queue is full or the time is not finite.
   */
  schedule(timeMs: number, run: () => void): void {
    assert(Number.isFinite(timeMs), () => `event time ${timeMs} is not finite`);
    assert(this.#heap.length < QUEUED_EVENTS_MAX, () => `event queue holds ${QUEUED_EVENTS_MAX} events`);
    const heap = this.#heap;
    heap.push({ timeMs, order: this.#nextOrder++, run });
    let child = heap.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!before(heap[child]!, heap[parent]!)) break;
      swap(heap, child, parent);
      child = parent;
    }
  }

  /** @returns The time of the earliest event, or null when empty. */
  peekTimeMs(): number | null {
    return this.#heap.length === 0 ? null : this.#heap[0]!.timeMs;
  }

  /** @returns The earliest event (removed from the queue), or null when empty. */
  pop(): { timeMs: number; run: () => void } | null {
    const heap = this.#heap;
    if (heap.length === 0) return null;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let parent = 0;
      for (;;) {
        const left = parent * 2 + 1;
        const right = left + 1;
        let smallest = parent;
        if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === parent) break;
        swap(heap, parent, smallest);
        parent = smallest;
      }
    }
    return top;
  }
}

function before(a: QueuedEvent, b: QueuedEvent): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.order < b.order);
}

function swap(heap: QueuedEvent[], i: number, j: number): void {
  const held = heap[i]!;
  heap[i] = heap[j]!;
  heap[j] = held;
}
