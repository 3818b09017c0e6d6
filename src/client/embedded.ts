/**
 * The embedded client: {@link KvClient} in-process, over a {@link KvBackend} (the engine's node driver).
 * Writes are replicated (forwarded to the leader when this node follows); reads honour the requested
 * consistency; watches are served from this node's store.
 *
 * @module
 */

import type { Command, CommandResponse } from "../kv/commands.ts";
import type { ConcurrencyKv } from "../kv/concurrency.ts";
import { nextPageRequest } from "../kv/pagination.ts";
import type {
  CompactResponse,
  DeleteRangeResponse,
  KeyValue,
  LeaseTimeToLiveResponse,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from "../kv/types.ts";
import type { Watcher, WatchOptions as StoreWatchOptions } from "../kv/watch.ts";
import { assert } from "../util/assert.ts";
import {
  compareOf,
  deleteRequest,
  putRequest,
  rangeRequest,
  requestOpOf,
  spanEnd,
  spanKey,
  toBytes,
} from "./embedded_request.ts";
import {
  acquireSessionLock,
  KeepAliveLoop,
  SESSION_TTL_SECONDS_DEFAULT,
  sessionElection,
  type SessionHost,
} from "./embedded_sessions.ts";
import { WatcherStream } from "./embedded_watch.ts";
import type {
  Bytes,
  DeleteOptions,
  Election,
  GetOptions,
  KeepAlive,
  KvClient,
  Lease,
  Lock,
  PageOptions,
  PutOptions,
  RangeOptions,
  ReadConsistency,
  TxnBuilder,
  TxnCompare,
  TxnOp,
  WatchOptions,
  WatchStream,
} from "./types.ts";

/** Default keys per page of {@link EmbeddedClient.pages}. */
export const PAGE_SIZE_DEFAULT = 1_000;

/** What the embedded client runs on. */
export interface KvBackend {
  /** Replicates a command; resolves with its answer once applied here. */
  write(command: Command, identity?: { clientId: number; sequence: number }): Promise<CommandResponse>;
  /** Reads with the given consistency. */
  range(request: RangeRequest, consistency: ReadConsistency): Promise<RangeResponse>;
  /** Opens a watcher on this node's store. */
  watch(options: StoreWatchOptions): Watcher;
  leaseTimeToLive(id: number, keys: boolean): Promise<LeaseTimeToLiveResponse>;
  leaseIds(): Promise<number[]>;
  /** Whether an error ends background work (lease gone, engine stopped) rather than being transient. */
  isFinal(error: unknown): boolean;
}

type ResponseOf<T extends CommandResponse["type"]> = Extract<CommandResponse, { type: T }>["response"];

function expect<T extends CommandResponse["type"]>(response: CommandResponse, type: T): ResponseOf<T> {
  assert(response.type === type, () => `a ${type} command was answered with ${response.type}`);
  return response.response as unknown as ResponseOf<T>;
}

/**
 * The in-process client.
 *
 * @example
 * ```ts ignore
 * const client = engine.client;
 * await client.put("a", "1");
 * console.log((await client.get("a"))?.version); // 1
 * ```
 */
export class EmbeddedClient implements KvClient {
  readonly #backend: KvBackend;
  readonly #streams = new Set<WatcherStream>();
  readonly #keepAlives = new Set<KeepAliveLoop>();
  readonly #host: SessionHost;

  /** @param backend The node it runs on. */
  constructor(backend: KvBackend) {
    this.#backend = backend;
    const kv: ConcurrencyKv = {
      range: (request) => backend.range(request, "linearizable"),
      txn: (request) => this.#txn(request),
      watch: (options) => this.#openStream(options, undefined),
    };
    this.#host = {
      kv,
      grantLease: (ttlSeconds) => this.grantLease(ttlSeconds),
      revokeLease: (id) => this.revokeLease(id),
      keepAliveOnce: (id) => this.keepAliveOnce(id),
      startKeepAlive: (id) => this.keepAlive(id),
      isFinal: (error) => backend.isFinal(error),
    };
  }

  /** @inheritdoc */
  async get(key: Bytes, options: GetOptions = {}): Promise<KeyValue | null> {
    const request: RangeRequest = { key: toBytes(key) };
    if (options.revision !== undefined) request.revision = options.revision;
    const response = await this.#backend.range(request, options.consistency ?? "linearizable");
    return response.kvs[0] ?? null;
  }

  /** @inheritdoc */
  range(key: Bytes, options: RangeOptions = {}): Promise<RangeResponse> {
    return this.#backend.range(rangeRequest(key, options), options.consistency ?? "linearizable");
  }

  /** @inheritdoc */
  async *pages(key: Bytes, options: PageOptions = {}): AsyncIterable<RangeResponse> {
    const { pageSize = PAGE_SIZE_DEFAULT, consistency = "linearizable", ...span } = options;
    let request: RangeRequest | null = rangeRequest(key, { ...span, limit: pageSize });
    let first = true;
    while (request !== null) {
      // Later pages are pinned to the first page's revision: a local read of history is as consistent.
      const response: RangeResponse = await this.#backend.range(
        request,
        first ? consistency : "serializable",
      );
      first = false;
      yield response;
      request = nextPageRequest(request, response);
    }
  }

  /** @inheritdoc */
  async put(key: Bytes, value: Bytes, options: PutOptions = {}): Promise<PutResponse> {
    return expect(
      await this.#backend.write({ type: "put", request: putRequest(key, value, options) }),
      "put",
    );
  }

  /** @inheritdoc */
  async delete(key: Bytes, options: DeleteOptions = {}): Promise<DeleteRangeResponse> {
    const response = await this.#backend.write({ type: "deleteRange", request: deleteRequest(key, options) });
    return expect(response, "deleteRange");
  }

  /** @inheritdoc */
  txn(): TxnBuilder {
    const compares: TxnCompare[] = [];
    const success: TxnOp[] = [];
    const failure: TxnOp[] = [];
    const builder: TxnBuilder = {
      when: (...more) => (compares.push(...more), builder),
      then: (...ops) => (success.push(...ops), builder),
      else: (...ops) => (failure.push(...ops), builder),
      commit: () =>
        this.#txn({
          compare: compares.map(compareOf),
          success: success.map(requestOpOf),
          failure: failure.map(requestOpOf),
        }),
    };
    return builder;
  }

  async #txn(request: TxnRequest): Promise<TxnResponse> {
    return expect(await this.#backend.write({ type: "txn", request }), "txn");
  }

  /** @inheritdoc */
  async compact(revision: number): Promise<CompactResponse> {
    return expect(await this.#backend.write({ type: "compact", revision }), "compact");
  }

  /** @inheritdoc */
  watch(key: Bytes, options: WatchOptions = {}): WatchStream {
    const keyBytes = spanKey(key, options);
    const storeOptions: StoreWatchOptions = { key: keyBytes };
    const end = spanEnd(toBytes(key), options);
    if (end !== undefined) storeOptions.rangeEnd = end;
    for (const field of ["startRevision", "prevKv", "noPut", "noDelete"] as const) {
      if (options[field] !== undefined) {
        (storeOptions as unknown as Record<string, unknown>)[field] = options[field];
      }
    }
    return this.#openStream(storeOptions, options.signal);
  }

  #openStream(options: StoreWatchOptions, signal: AbortSignal | undefined): WatcherStream {
    const stream: WatcherStream = new WatcherStream(
      this.#backend.watch(options),
      signal,
      () => this.#streams.delete(stream),
    );
    this.#streams.add(stream);
    return stream;
  }

  /** @inheritdoc */
  async grantLease(ttlSeconds: number, options: { id?: number } = {}): Promise<Lease> {
    // The leader stamps its own clock on the grant; this one is a placeholder.
    const response = await this.#backend.write({
      type: "leaseGrant",
      id: options.id ?? 0,
      ttlSeconds,
      clock: { term: 0, nowMs: 0 },
    });
    const granted = expect(response, "leaseGrant");
    return { id: granted.id, ttlSeconds: granted.ttlSeconds };
  }

  /** @inheritdoc */
  async revokeLease(id: number): Promise<void> {
    expect(await this.#backend.write({ type: "leaseRevoke", id }), "leaseRevoke");
  }

  /** @inheritdoc */
  async keepAliveOnce(id: number): Promise<number> {
    const response = await this.#backend.write({ type: "leaseKeepAlive", id, clock: { term: 0, nowMs: 0 } });
    return expect(response, "leaseKeepAlive").ttlSeconds;
  }

  /** @inheritdoc */
  keepAlive(id: number, options: { intervalMs?: number } = {}): KeepAlive {
    const loop = new KeepAliveLoop(this.#host, id, options.intervalMs);
    this.#keepAlives.add(loop);
    void loop.done.then(() => this.#keepAlives.delete(loop));
    return loop;
  }

  /** @inheritdoc */
  leaseTimeToLive(id: number, options: { keys?: boolean } = {}): Promise<LeaseTimeToLiveResponse> {
    return this.#backend.leaseTimeToLive(id, options.keys === true);
  }

  /** @inheritdoc */
  leases(): Promise<number[]> {
    return this.#backend.leaseIds();
  }

  /** @inheritdoc */
  async lock(name: Bytes, options: { ttlSeconds?: number } = {}): Promise<Lock> {
    return await acquireSessionLock(this.#host, name, options.ttlSeconds ?? SESSION_TTL_SECONDS_DEFAULT);
  }

  /** @inheritdoc */
  election(name: Bytes): Election {
    return sessionElection(this.#host, name);
  }

  /** Ends every watch stream and background keepalive (the engine calls it when stopping). */
  close(): void {
    for (const stream of [...this.#streams]) stream.cancel();
    for (const loop of [...this.#keepAlives]) void loop.stop();
  }
}
