/**
 * The streaming `/v3` routes: `watch` (several watches per stream, created, cancelled and asked for
 * progress by request objects), `lease/keepalive` and `election/observe`. Each answer is one
 * `{"result":...}\n` line, enqueued (and so flushed) on its own.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import type { WatchStream } from "../kv/concurrency.ts";
import { ElectionObserver } from "../kv/election.ts";
import type { WatchEvent, WatchOptions, WatchResponse } from "../kv/watch.ts";
import { REQUEST_BYTES_MAX } from "../kv/limits.ts";
import { concurrencyKvOf, type GatewayBackend } from "./backend.ts";
import { encodeHeader, encodeKeyValue, encodeWatchResponse, type JsonObject } from "./etcd_json.ts";
import { type EtcdError, etcdErrorOf, GatewayError, Grpc, parseBody, readBodyText } from "./etcd_errors.ts";
import {
  electionNameSchema,
  leaseIdSchema,
  type watchCreateSchema,
  watchRequestSchema,
} from "./etcd_schemas.ts";
import { jsonObjects } from "./json_stream.ts";

/** Most watches one stream may hold at once. */
export const WATCHES_PER_STREAM_MAX = 1_000;

const encoder = new TextEncoder();
const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  404: "Not Found",
  412: "Precondition Failed",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** One streamed response: lines go out as they are produced; `close` ends it once. */
class LineSink {
  readonly stream: ReadableStream<Uint8Array>;
  #controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  #closed = false;
  readonly #onCancel: () => void;

  constructor(onCancel: () => void) {
    this.#onCancel = onCancel;
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      cancel: () => {
        this.#closed = true;
        this.#onCancel();
      },
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  result(message: JsonObject): void {
    this.#line({ result: message });
  }

  error(error: EtcdError): void {
    this.#line({
      error: {
        grpc_code: error.grpcCode,
        http_code: error.httpStatus,
        message: error.message,
        http_status: STATUS_TEXT[error.httpStatus] ?? "Internal Server Error",
      },
    });
    this.close();
  }

  #line(value: unknown): void {
    if (this.#closed) return;
    this.#controller!.enqueue(encoder.encode(JSON.stringify(value) + "\n"));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onCancel();
    this.#controller!.close();
  }
}

function streamResponse(sink: LineSink): Response {
  return new Response(sink.stream, { headers: { "content-type": "application/json" } });
}

/** The watches of one `/v3/watch` stream, with ids local to it (from 0, as etcd's). */
class WatchSession {
  readonly #backend: GatewayBackend;
  readonly #sink: LineSink;
  readonly #watches = new Map<number, WatchStream>();
  #nextId = 0;

  constructor(backend: GatewayBackend) {
    this.#backend = backend;
    this.#sink = new LineSink(() => this.closeAll());
  }

  get sink(): LineSink {
    return this.#sink;
  }

  async handle(text: string): Promise<void> {
    const request = parseBody(text, watchRequestSchema);
    if (request.create_request !== undefined) this.#create(request.create_request);
    else if (request.cancel_request !== undefined) this.#cancel(request.cancel_request.watch_id ?? 0);
    else if (request.progress_request !== undefined) await this.#progress();
  }

  #create(create: NonNullable<ReturnType<typeof watchCreateSchema.parse>>): void {
    if (this.#watches.size >= WATCHES_PER_STREAM_MAX) {
      throw new GatewayError(
        Grpc.ResourceExhausted,
        `etcdserver: too many watches on one stream (limit ${WATCHES_PER_STREAM_MAX})`,
      );
    }
    const id = create.watch_id !== undefined && create.watch_id > 0 && !this.#watches.has(create.watch_id)
      ? create.watch_id
      : this.#freeId();
    const options: WatchOptions = { key: create.key ?? new Uint8Array(0) };
    if (create.range_end !== undefined && create.range_end.length > 0) options.rangeEnd = create.range_end;
    if (create.start_revision !== undefined && create.start_revision > 0) {
      options.startRevision = create.start_revision;
    }
    if (create.prev_kv === true) options.prevKv = true;
    if (create.progress_notify === true) options.progressNotify = true;
    if (create.filters?.includes("NOPUT") === true) options.noPut = true;
    if (create.filters?.includes("NODELETE") === true) options.noDelete = true;
    let stream: WatchStream;
    try {
      stream = this.#backend.watch(options);
    } catch (error) {
      const info = this.#backend.info();
      const message = etcdErrorOf(error).message;
      this.#sink.result({
        header: encodeHeader(info, info.revision),
        watch_id: String(id),
        created: true,
        canceled: true,
        cancel_reason: message,
      });
      return;
    }
    this.#watches.set(id, stream);
    void this.#pump(id, stream, create.fragment === true);
  }

  #freeId(): number {
    while (this.#watches.has(this.#nextId)) this.#nextId++;
    return this.#nextId++;
  }

  async #pump(id: number, stream: WatchStream, fragment: boolean): Promise<void> {
    for (;;) {
      const response = await stream.next();
      if (response === null || this.#watches.get(id) !== stream) return;
      const parts = fragment ? fragmentsOf(response) : [response];
      for (let i = 0; i < parts.length; i++) {
        const out = encodeWatchResponse(parts[i]!, id, this.#backend.info());
        if (i < parts.length - 1) out["fragment"] = true;
        this.#sink.result(out);
      }
      if (response.canceled) {
        this.#watches.delete(id);
        return;
      }
    }
  }

  #cancel(id: number): void {
    const stream = this.#watches.get(id);
    stream?.cancel();
    this.#watches.delete(id);
    const info = this.#backend.info();
    const out: JsonObject = { header: encodeHeader(info, info.revision) };
    if (id !== 0) out["watch_id"] = String(id);
    out["canceled"] = true;
    this.#sink.result(out);
  }

  async #progress(): Promise<void> {
    // Let every watch deliver what its store watcher already holds before vouching for the revision.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const info = this.#backend.info();
    this.#sink.result({ header: encodeHeader(info, info.revision), watch_id: "-1" });
  }

  closeAll(): void {
    for (const stream of this.#watches.values()) stream.cancel();
    this.#watches.clear();
  }
}

/** The most event bytes (keys, values, previous values) in one fragment of a fragmented watch response. */
export const WATCH_FRAGMENT_BYTES_MAX = REQUEST_BYTES_MAX;

/**
 * Splits a watch response whose events exceed {@link WATCH_FRAGMENT_BYTES_MAX} into several, as etcd does for a
 * watch created with `fragment`: every part but the last is marked `fragment` by the caller. A single event
 * larger than the limit travels alone.
 */
function fragmentsOf(response: WatchResponse): WatchResponse[] {
  const parts: WatchResponse[] = [];
  let events: WatchEvent[] = [];
  let bytes = 0;
  for (const event of response.events) {
    const size = event.kv.key.length + event.kv.value.length +
      (event.prevKv === undefined ? 0 : event.prevKv.key.length + event.prevKv.value.length);
    if (events.length > 0 && bytes + size > WATCH_FRAGMENT_BYTES_MAX) {
      // Only the last part carries the response's created/canceled state.
      parts.push({
        ...response,
        events,
        created: false,
        canceled: false,
        cancelReason: "",
        compactRevision: 0,
      });
      events = [];
      bytes = 0;
    }
    events.push(event);
    bytes += size;
  }
  parts.push({ ...response, events });
  return parts;
}

async function drive(
  body: ReadableStream<Uint8Array> | null,
  sink: LineSink,
  each: (text: string) => Promise<void>,
) {
  if (body === null) return;
  try {
    for await (const text of jsonObjects(body)) {
      if (sink.closed) return;
      await each(text);
    }
  } catch (error) {
    const etcd = error instanceof RangeError
      ? etcdErrorOf(new GatewayError(Grpc.InvalidArgument, error.message))
      : etcdErrorOf(error);
    sink.error(etcd);
  }
}

function watchRoute(backend: GatewayBackend) {
  return (c: Context): Response => {
    const session = new WatchSession(backend);
    void drive(c.req.raw.body, session.sink, (text) => session.handle(text));
    return streamResponse(session.sink);
  };
}

function keepAliveRoute(backend: GatewayBackend) {
  return (c: Context): Response => {
    const sink = new LineSink(() => {});
    void drive(c.req.raw.body, sink, async (text) => {
      const id = parseBody(text, leaseIdSchema).ID ?? 0;
      try {
        const response = await backend.write({ type: "leaseKeepAlive", id, clock: { term: 0, nowMs: 0 } });
        const ttl = response.type === "leaseKeepAlive" ? response.response.ttlSeconds : 0;
        const revision = response.type === "leaseKeepAlive" ? response.response.header.revision : 0;
        sink.result({ header: encodeHeader(backend.info(), revision), ID: String(id), TTL: String(ttl) });
      } catch (error) {
        if (etcdErrorOf(error).grpcCode !== Grpc.NotFound) throw error;
        const info = backend.info();
        sink.result({ header: encodeHeader(info, info.revision), ID: String(id) });
      }
    });
    return streamResponse(sink);
  };
}

function observeRoute(backend: GatewayBackend) {
  return async (c: Context): Promise<Response> => {
    let observer: ElectionObserver | null = null;
    const sink = new LineSink(() => observer?.cancel());
    try {
      const name = parseBody(await readBodyText(c.req.raw), electionNameSchema).name ?? new Uint8Array(0);
      observer = new ElectionObserver(concurrencyKvOf(backend), name);
    } catch (error) {
      sink.error(etcdErrorOf(error));
      return streamResponse(sink);
    }
    const running = observer;
    void (async () => {
      for (;;) {
        const kv = await running.next();
        if (kv === null) return sink.close();
        const info = backend.info();
        sink.result({ header: encodeHeader(info, info.revision), kv: encodeKeyValue(kv) });
      }
    })().catch((error) => sink.error(etcdErrorOf(error, Grpc.Unknown)));
    return streamResponse(sink);
  };
}

/**
 * Mounts the streaming `/v3` routes under `prefix`.
 *
 * @param app The Hono app.
 * @param backend The backend.
 * @param prefix `/v3` or `/v3beta`.
 * @example
 * ```ts ignore
 * mountV3Streams(app, backend, "/v3");
 * ```
 */
export function mountV3Streams(app: Hono, backend: GatewayBackend, prefix: string): void {
  app.post(`${prefix}/watch`, watchRoute(backend));
  app.post(`${prefix}/lease/keepalive`, keepAliveRoute(backend));
  app.post(`${prefix}/election/observe`, observeRoute(backend));
}
