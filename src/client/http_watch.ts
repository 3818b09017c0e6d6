/**
 * A watch over the `/v3/watch` stream that reconnects when the connection drops and resumes from the
 * revision after the last one delivered, so no revision is lost or repeated.
 *
 * @module
 */

import type { WatchOptions as StoreWatchOptions, WatchResponse } from "../kv/watch.ts";
import { encodeBase64 } from "../gateway/base64.ts";
import { decodeWatchResponse, type Json } from "./http_codec.ts";
import type { HttpTransport } from "./http_transport.ts";
import type { WatchStream } from "./types.ts";

/** Pause before reconnecting a dropped watch. */
export const WATCH_RECONNECT_DELAY_MS = 100;
/** Largest line accepted from the server. */
export const WATCH_LINE_BYTES_MAX = 64 * 1024 * 1024;

function createBody(options: StoreWatchOptions, startRevision: number): string {
  const create: Json = { key: encodeBase64(options.key) };
  if (options.rangeEnd !== undefined) create["range_end"] = encodeBase64(options.rangeEnd);
  if (startRevision > 0) create["start_revision"] = String(startRevision);
  if (options.prevKv === true) create["prev_kv"] = true;
  const filters = [
    ...(options.noPut === true ? ["NOPUT"] : []),
    ...(options.noDelete === true ? ["NODELETE"] : []),
  ];
  if (filters.length > 0) create["filters"] = filters;
  return JSON.stringify({ create_request: create });
}

/**
 * The remote watch: `next()` (the recipes' stream) and async iteration (the client's).
 *
 * @example
 * ```ts ignore
 * const stream = new HttpWatchStream(transport, { key: utf8("a") });
 * for await (const response of stream) console.log(response.events);
 * ```
 */
export class HttpWatchStream implements WatchStream {
  readonly watchId = 0;
  readonly #transport: HttpTransport;
  readonly #options: StoreWatchOptions;
  readonly #abort = new AbortController();
  readonly #queue: (WatchResponse | null)[] = [];
  #wake: (() => void) | null = null;
  #nextRevision: number;
  #createdSeen = false;
  #ended = false;

  /**
   * @param transport The client's transport.
   * @param options What to watch.
   * @param signal Ends the watch when aborted.
   */
  constructor(transport: HttpTransport, options: StoreWatchOptions, signal?: AbortSignal) {
    this.#transport = transport;
    this.#options = options;
    this.#nextRevision = options.startRevision ?? 0;
    signal?.addEventListener("abort", () => this.cancel(), { once: true });
    if (signal?.aborted === true) this.cancel();
    else void this.#run();
  }

  async #run(): Promise<void> {
    while (!this.#ended) {
      try {
        await this.#connect();
      } catch (error) {
        if (this.#ended) return;
        if (!(error instanceof TypeError)) return this.#push(null);
      }
      if (this.#ended) return;
      await new Promise((resolve) => setTimeout(resolve, WATCH_RECONNECT_DELAY_MS));
    }
  }

  async #connect(): Promise<void> {
    const response = await this.#transport.open("/v3/watch", createBody(this.#options, this.#nextRevision), {
      idempotent: true,
      signal: this.#abort.signal,
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += value;
      if (buffer.length > WATCH_LINE_BYTES_MAX) {
        throw new RangeError("Cannot read the watch: a line is too long");
      }
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        this.#receive(JSON.parse(buffer.slice(0, newline)) as Json);
        buffer = buffer.slice(newline + 1);
        if (this.#ended) return;
      }
    }
  }

  #receive(line: Json): void {
    if (line["error"] !== undefined) {
      const error = line["error"] as { message?: string };
      throw new Error(`The watch stream failed: ${error.message ?? "unknown error"}`);
    }
    const response = decodeWatchResponse(line["result"] as Json);
    if (response.created) {
      // A reconnect's `created` is not news to the caller.
      if (this.#createdSeen && !response.canceled) return;
      this.#createdSeen = true;
    }
    const last = response.events.at(-1);
    if (last !== undefined) this.#nextRevision = last.kv.modRevision + 1;
    else if (!response.created && response.header.revision > 0) {
      this.#nextRevision = Math.max(this.#nextRevision, response.header.revision + 1);
    }
    if (this.#nextRevision === 0 && response.created) this.#nextRevision = response.header.revision + 1;
    this.#push(response);
    if (response.canceled) this.#finish();
  }

  #push(response: WatchResponse | null): void {
    this.#queue.push(response);
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #finish(): void {
    this.#ended = true;
    this.#abort.abort();
  }

  /** @returns The next response (the first is `created`), or null once the watch has ended. */
  async next(): Promise<WatchResponse | null> {
    for (;;) {
      if (this.#queue.length > 0) return this.#queue.shift()!;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  /** Ends the watch; a pending `next()` resolves null. */
  cancel(): void {
    if (this.#ended) return;
    this.#finish();
    this.#push(null);
  }

  /**
   * Iterates the responses after `created`.
   *
   * @returns The iterator; breaking out cancels the watch.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<WatchResponse> {
    try {
      for (;;) {
        const response = await this.next();
        if (response === null) return;
        if (response.created && !response.canceled) continue;
        yield response;
        if (response.canceled) return;
      }
    } finally {
      this.cancel();
    }
  }
}
