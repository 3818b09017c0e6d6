/**
 * A latest-value channel: subscribers iterate the current value, then every change. A slow subscriber sees
 * only the newest value it missed (memory stays bounded no matter how many changes happen).
 *
 * @module
 */

/**
 * The channel.
 *
 * @example
 * ```ts
 * import { Broadcast } from "./broadcast.ts";
 * const channel = new Broadcast(1);
 * const iterator = channel.subscribe();
 * channel.publish(2);
 * console.log((await iterator.next()).value); // 2
 * ```
 */
export class Broadcast<T> {
  #value: T;
  #version = 0;
  #closed = false;
  readonly #waiters = new Set<() => void>();

  /** @param initial The first value. */
  constructor(initial: T) {
    this.#value = initial;
  }

  /** @returns The current value. */
  get value(): T {
    return this.#value;
  }

  /** @param value The new value (subscribers wake up). */
  publish(value: T): void {
    this.#value = value;
    this.#version++;
    this.#wake();
  }

  /** Ends every subscription. */
  close(): void {
    this.#closed = true;
    this.#wake();
  }

  /**
   * @param signal Ends the subscription when aborted.
   * @returns An iterator: the current value first, then each newest value.
   */
  subscribe(signal?: AbortSignal): AsyncIterableIterator<T> {
    let seen = -1;
    let done = false;
    const finish = (): IteratorResult<T> => {
      done = true;
      return { done: true, value: undefined };
    };
    const iterator: AsyncIterableIterator<T> = {
      next: async () => {
        while (!done && !this.#closed && signal?.aborted !== true && seen === this.#version) {
          await new Promise<void>((resolve) => {
            const wake = () => {
              this.#waiters.delete(wake);
              signal?.removeEventListener("abort", wake);
              resolve();
            };
            this.#waiters.add(wake);
            signal?.addEventListener("abort", wake, { once: true });
          });
        }
        if (done || this.#closed || signal?.aborted === true) return finish();
        seen = this.#version;
        return { done: false, value: this.#value };
      },
      return: () => Promise.resolve(finish()),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
