/**
 * {@link HttpClient}: the {@link KvClient} over dengine's (or etcd's) `/v3` JSON gateway, fetch-based, for
 * Deno, Bun, Node and browsers. Reads fail over across endpoints; writes are resent only when the server
 * refused them unapplied (503); watches reconnect and resume. Locks and elections run the same session
 * recipes as the embedded client, over HTTP.
 *
 * @module
 */

import type { ConcurrencyKv } from "../kv/concurrency.ts";
import { ETCD_ERROR_MESSAGES, LeaseNotFoundError } from "../kv/errors.ts";
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
import type { WatchOptions as StoreWatchOptions } from "../kv/watch.ts";
import { decodeBase64 } from "../gateway/base64.ts";
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
import {
  decodeDeleteResponse,
  decodePutResponse,
  decodeRangeResponse,
  decodeTxnResponse,
  encodeDeleteRequest,
  encodePutRequest,
  encodeRangeRequest,
  encodeTxnRequest,
  revisionOf,
} from "./http_codec.ts";
import { HttpTransport, type HttpTransportOptions, RemoteError } from "./http_transport.ts";
import { HttpWatchStream } from "./http_watch.ts";
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

/** Random lease ids tried before a grant gives up on collisions. */
export const LEASE_ID_ATTEMPTS_MAX = 8;

function randomLeaseId(): number {
  const words = crypto.getRandomValues(new Uint32Array(2));
  // 21 high bits and 32 low bits: at most 2^53 - 1, a safe integer.
  const id = (words[0]! % 0x200000) * 2 ** 32 + words[1]!;
  return id === 0 ? 1 : id;
}

/** Default keys per page of {@link HttpClient.pages}. */
export const HTTP_PAGE_SIZE_DEFAULT = 1_000;

/**
 * The remote client.
 *
 * @example
 * ```ts ignore
 * const client = new HttpClient({ endpoints: ["http://127.0.0.1:2379"] });
 * await client.put("a", "1");
 * console.log((await client.get("a"))?.version);
 * client.close();
 * ```
 */
export class HttpClient implements KvClient {
  readonly #transport: HttpTransport;
  readonly #host: SessionHost;
  readonly #streams = new Set<HttpWatchStream>();
  readonly #keepAlives = new Set<KeepAliveLoop>();

  /** @param options Endpoints and an optional fetch. */
  constructor(options: HttpTransportOptions) {
    this.#transport = new HttpTransport(options);
    const kv: ConcurrencyKv = {
      range: (request) => this.#range(request, "linearizable"),
      txn: (request) => this.#txn(request),
      watch: (options) => this.#openWatch(options, undefined),
    };
    this.#host = {
      kv,
      grantLease: (ttlSeconds) => this.grantLease(ttlSeconds),
      revokeLease: (id) => this.revokeLease(id),
      keepAliveOnce: (id) => this.keepAliveOnce(id),
      startKeepAlive: (id) => this.keepAlive(id),
      isFinal: (error) => error instanceof LeaseNotFoundError,
    };
  }

  async #range(request: RangeRequest, consistency: ReadConsistency): Promise<RangeResponse> {
    const body = encodeRangeRequest(request);
    if (consistency === "serializable") body["serializable"] = true;
    return decodeRangeResponse(await this.#transport.call("/v3/kv/range", body, { idempotent: true }));
  }

  async #txn(request: TxnRequest): Promise<TxnResponse> {
    const readOnly = [...request.success, ...request.failure].every((op) => op.type === "range");
    return decodeTxnResponse(
      await this.#transport.call("/v3/kv/txn", encodeTxnRequest(request), {
        idempotent: readOnly,
        write: !readOnly,
      }),
    );
  }

  /** @inheritdoc */
  async get(key: Bytes, options: GetOptions = {}): Promise<KeyValue | null> {
    const request: RangeRequest = { key: toBytes(key) };
    if (options.revision !== undefined) request.revision = options.revision;
    return (await this.#range(request, options.consistency ?? "linearizable")).kvs[0] ?? null;
  }

  /** @inheritdoc */
  range(key: Bytes, options: RangeOptions = {}): Promise<RangeResponse> {
    return this.#range(rangeRequest(key, options), options.consistency ?? "linearizable");
  }

  /** @inheritdoc */
  async *pages(key: Bytes, options: PageOptions = {}): AsyncIterable<RangeResponse> {
    const { pageSize = HTTP_PAGE_SIZE_DEFAULT, consistency = "linearizable", ...span } = options;
    let request: RangeRequest | null = rangeRequest(key, { ...span, limit: pageSize });
    let first = true;
    while (request !== null) {
      const response: RangeResponse = await this.#range(request, first ? consistency : "serializable");
      first = false;
      yield response;
      request = nextPageRequest(request, response);
    }
  }

  /** @inheritdoc */
  async put(key: Bytes, value: Bytes, options: PutOptions = {}): Promise<PutResponse> {
    const request = putRequest(key, value, options);
    const json = await this.#transport.call("/v3/kv/put", encodePutRequest(request), {
      idempotent: false,
      write: true,
      ...(request.lease === undefined ? {} : { leaseId: request.lease }),
    });
    return decodePutResponse(json);
  }

  /** @inheritdoc */
  async delete(key: Bytes, options: DeleteOptions = {}): Promise<DeleteRangeResponse> {
    const body = encodeDeleteRequest(deleteRequest(key, options));
    return decodeDeleteResponse(
      await this.#transport.call("/v3/kv/deleterange", body, { idempotent: false, write: true }),
    );
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

  /** @inheritdoc */
  async compact(revision: number): Promise<CompactResponse> {
    const json = await this.#transport.call("/v3/kv/compaction", { revision: String(revision) }, {
      idempotent: true,
    });
    return { header: revisionOf(json) };
  }

  /** @inheritdoc */
  watch(key: Bytes, options: WatchOptions = {}): WatchStream {
    const storeOptions: StoreWatchOptions = { key: spanKey(key, options) };
    const end = spanEnd(toBytes(key), options);
    if (end !== undefined) storeOptions.rangeEnd = end;
    if (options.startRevision !== undefined) storeOptions.startRevision = options.startRevision;
    if (options.prevKv !== undefined) storeOptions.prevKv = options.prevKv;
    if (options.noPut !== undefined) storeOptions.noPut = options.noPut;
    if (options.noDelete !== undefined) storeOptions.noDelete = options.noDelete;
    return this.#openWatch(storeOptions, options.signal);
  }

  #openWatch(options: StoreWatchOptions, signal: AbortSignal | undefined): HttpWatchStream {
    const stream = new HttpWatchStream(this.#transport, options, signal);
    this.#streams.add(stream);
    return stream;
  }

  /**
   * Grants a lease. Without an id the client picks a random one below 2^53: etcd's own ids use all 64 bits,
   * beyond what a JavaScript number holds exactly.
   *
   * @param ttlSeconds The TTL.
   * @param options `id`: the lease id to use.
   * @returns The lease.
   */
  async grantLease(ttlSeconds: number, options: { id?: number } = {}): Promise<Lease> {
    for (let attempt = 0;; attempt++) {
      const id = options.id ?? randomLeaseId();
      try {
        const json = await this.#transport.call("/v3/lease/grant", {
          TTL: String(ttlSeconds),
          ID: String(id),
        }, {
          idempotent: false,
          write: true,
        });
        return { id: Number(json["ID"]), ttlSeconds: Number(json["TTL"]) };
      } catch (error) {
        const taken = error instanceof RemoteError && error.etcdMessage === ETCD_ERROR_MESSAGES.leaseExists;
        if (!taken || options.id !== undefined || attempt >= LEASE_ID_ATTEMPTS_MAX) throw error;
      }
    }
  }

  /** @inheritdoc */
  async revokeLease(id: number): Promise<void> {
    await this.#transport.call("/v3/lease/revoke", { ID: String(id) }, { idempotent: true, leaseId: id });
  }

  /** @inheritdoc */
  async keepAliveOnce(id: number): Promise<number> {
    const abort = new AbortController();
    try {
      const response = await this.#transport.open("/v3/lease/keepalive", JSON.stringify({ ID: String(id) }), {
        idempotent: true,
        signal: abort.signal,
      });
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      while (!buffer.includes("\n")) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
      }
      const line = JSON.parse(buffer.slice(0, buffer.indexOf("\n"))) as {
        result?: { TTL?: string };
        error?: unknown;
      };
      if (line.result?.TTL === undefined) throw new LeaseNotFoundError("keep alive", id);
      return Number(line.result.TTL);
    } finally {
      abort.abort();
    }
  }

  /** @inheritdoc */
  keepAlive(id: number, options: { intervalMs?: number } = {}): KeepAlive {
    const loop = new KeepAliveLoop(this.#host, id, options.intervalMs);
    this.#keepAlives.add(loop);
    void loop.done.then(() => this.#keepAlives.delete(loop));
    return loop;
  }

  /** @inheritdoc */
  async leaseTimeToLive(id: number, options: { keys?: boolean } = {}): Promise<LeaseTimeToLiveResponse> {
    const json = await this.#transport.call("/v3/lease/timetolive", {
      ID: String(id),
      keys: options.keys === true,
    }, {
      idempotent: true,
    });
    return {
      header: revisionOf(json),
      id: Number(json["ID"] ?? id),
      ttlSeconds: Number(json["TTL"] ?? 0),
      grantedTtlSeconds: Number(json["grantedTTL"] ?? 0),
      keys: ((json["keys"] ?? []) as string[]).map((key) => decodeBase64(key) ?? new Uint8Array(0)),
    };
  }

  /** @inheritdoc */
  async leases(): Promise<number[]> {
    const json = await this.#transport.call("/v3/lease/leases", {}, { idempotent: true });
    return ((json["leases"] ?? []) as { ID: string }[]).map((lease) => Number(lease.ID)).sort((a, b) =>
      a - b
    );
  }

  /** @inheritdoc */
  async lock(name: Bytes, options: { ttlSeconds?: number } = {}): Promise<Lock> {
    return await acquireSessionLock(this.#host, name, options.ttlSeconds ?? SESSION_TTL_SECONDS_DEFAULT);
  }

  /** @inheritdoc */
  election(name: Bytes): Election {
    return sessionElection(this.#host, name);
  }

  /** Ends every watch and background keepalive of this client. */
  close(): void {
    for (const stream of [...this.#streams]) stream.cancel();
    for (const loop of [...this.#keepAlives]) void loop.stop();
    this.#streams.clear();
  }
}
