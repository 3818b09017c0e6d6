/**
 * A store watcher as a promise-based stream and an `AsyncIterable`: the store's pull-based watcher wakes it
 * through `onReady`; an `AbortSignal`, `cancel()` or the engine stopping ends it.
 *
 * @module
 */

import type { Watcher, WatchResponse } from "../kv/watch.ts";
import type { WatchStream } from "./types.ts";

/**
 * The stream over one watcher.
 *
 * @example
 * ```ts
 * import { KvStore, utf8 } from "../kv/mod.ts";
 * import { WatcherStream } from "./embedded_watch.ts";
 * const stream = new WatcherStream(new KvStore().watch({ key: utf8("a") }));
 * console.log((await stream.next())?.created); // true
 * stream.cancel();
 * ```
 */
export class WatcherStream implements WatchStream {
  readonly #watcher: Watcher;
  readonly #onEnd: () => void;
  readonly #signal: AbortSignal | undefined;
  #wake: (() => void) | null = null;
  #ended = false;

  /**
   * @param watcher The store's watcher (its `onReady` is taken over).
   * @param signal Ends the stream when aborted.
   * @param onEnd Called once when the stream ends.
   */
  constructor(watcher: Watcher, signal?: AbortSignal, onEnd: () => void = () => {}) {
    this.#watcher = watcher;
    this.#onEnd = onEnd;
    this.#signal = signal;
    watcher.onReady = () => this.#notify();
    if (signal?.aborted === true) this.cancel();
    else signal?.addEventListener("abort", this.#abort, { once: true });
  }

  /** @returns The watcher's id. */
  get watchId(): number {
    return this.#watcher.id;
  }

  /** @returns The next response (the first is `created`), or null once the stream has ended. */
  async next(): Promise<WatchResponse | null> {
    for (;;) {
      if (this.#ended) return null;
      let response = this.#watcher.poll();
      while (response === null && this.#watcher.hasPending) response = this.#watcher.poll();
      if (response !== null) {
        if (response.canceled) this.#end();
        return response;
      }
      if (this.#watcher.closed) {
        this.#end();
        return null;
      }
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  /** Ends the stream; a pending `next()` resolves null. */
  cancel(): void {
    this.#watcher.cancel();
    this.#end();
  }

  /**
   * Iterates the responses after `created`: events, progress notifications, and a final `canceled` one
   * when the store cancels the watch (compaction, too slow).
   *
   * @returns The iterator; breaking out of the loop cancels the watch.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<WatchResponse> {
    try {
      for (;;) {
        const response = await this.next();
        if (response === null) return;
        if (response.created) continue;
        yield response;
        if (response.canceled) return;
      }
    } finally {
      this.cancel();
    }
  }

  readonly #abort = (): void => this.cancel();

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#signal?.removeEventListener("abort", this.#abort);
    this.#onEnd();
    this.#notify();
  }
}
