/**
 * The remote client's requests: POST JSON to one of several gateway endpoints, failing over to the next
 * on connection errors and 503s, and turning etcd's error bodies into errors carrying `etcdMessage` and
 * `grpcCode` (a missing lease as {@link LeaseNotFoundError}, so callers catch it as with the embedded client).
 *
 * @module
 */

import { ETCD_ERROR_MESSAGES, LeaseNotFoundError } from "../kv/errors.ts";
import type { Json } from "./http_codec.ts";

/** Most endpoints a client is given. */
export const ENDPOINTS_MAX = 64;

/**
 * An error answered by the server.
 *
 * @example
 * ```ts
 * import { RemoteError } from "./http_transport.ts";
 * console.log(new RemoteError(5, "etcdserver: requested lease not found", 404).grpcCode); // 5
 * ```
 */
export class RemoteError extends Error {
  /** etcd's message. */
  readonly etcdMessage: string;
  /** The gRPC code. */
  readonly grpcCode: number;
  /** The HTTP status. */
  readonly httpStatus: number;
  /**
   * @param grpcCode The gRPC code.
   * @param etcdMessage The server's message.
   * @param httpStatus The HTTP status.
   */
  constructor(grpcCode: number, etcdMessage: string, httpStatus: number) {
    super(`The server refused the request (HTTP ${httpStatus}, gRPC code ${grpcCode}): ${etcdMessage}`);
    this.name = "RemoteError";
    this.etcdMessage = etcdMessage;
    this.grpcCode = grpcCode;
    this.httpStatus = httpStatus;
  }
}

/** Options of {@link HttpTransport}. */
export interface HttpTransportOptions {
  /** Gateway base URLs, e.g. `http://127.0.0.1:2379`. */
  endpoints: string[];
  /** The fetch to use (default: the global one); tests pass an app's in-process fetch. */
  fetch?: (request: Request) => Promise<Response>;
  /**
   * Whether a write whose answer was lost is sent again (to the next endpoint) with the same dedup identity
   * (headers `x-dengine-client-id`, `x-dengine-sequence`), which a dengine gateway applies once. Default true;
   * set false against etcd, which ignores those headers (then only refused connections and 503s are retried).
   */
  retryWritesWithDedup?: boolean;
}

/** What a request is, for safe retries and error context. */
export interface CallOptions {
  /** Whether sending it twice is harmless (reads): then any failure tries the next endpoint. */
  idempotent: boolean;
  /** The lease the request names (for a LeaseNotFoundError). */
  leaseId?: number;
  /** A single write: it carries a fresh dedup identity, kept across its retries. */
  write?: boolean;
  signal?: AbortSignal;
}

/**
 * Sends requests to the endpoints.
 *
 * @example
 * ```ts ignore
 * const transport = new HttpTransport({ endpoints: ["http://127.0.0.1:2379"] });
 * await transport.call("/v3/kv/range", { key: "YQ==" }, { idempotent: true });
 * ```
 */
export class HttpTransport {
  readonly #endpoints: string[];
  readonly #fetch: (request: Request) => Promise<Response>;
  #current = 0;
  readonly #retryWritesWithDedup: boolean;

  /** @param options See {@link HttpTransportOptions}. */
  constructor(options: HttpTransportOptions) {
    if (options.endpoints.length === 0 || options.endpoints.length > ENDPOINTS_MAX) {
      throw new RangeError(
        `Cannot create an HTTP client with ${options.endpoints.length} endpoints: give 1 to ${ENDPOINTS_MAX}`,
      );
    }
    this.#endpoints = options.endpoints.map((endpoint) => endpoint.replace(/\/+$/, ""));
    this.#fetch = options.fetch ?? ((request) => fetch(request));
    this.#retryWritesWithDedup = options.retryWritesWithDedup ?? true;
  }

  /**
   * Opens a request and returns the raw response (streams read it themselves).
   *
   * @param path The route.
   * @param body The body (JSON text).
   * @param options Retry policy and signal.
   * @returns The 2xx response.
   * @throws {RemoteError} For an error answer; the last connection error when every endpoint failed.
   */
  async open(path: string, body: string, options: CallOptions): Promise<Response> {
    let lastError: unknown = null;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.write === true) {
      headers["x-dengine-client-id"] = String(newClientId());
      headers["x-dengine-sequence"] = "1";
    }
    const resendable = options.idempotent || (options.write === true && this.#retryWritesWithDedup);
    for (let attempt = 0; attempt < this.#endpoints.length; attempt++) {
      const endpoint = this.#endpoints[this.#current]!;
      let response: Response;
      try {
        const init: RequestInit = { method: "POST", body, headers };
        if (options.signal !== undefined) init.signal = options.signal;
        response = await this.#fetch(new Request(endpoint + path, init));
      } catch (error) {
        if (options.signal?.aborted === true) throw error;
        lastError = error;
        // A write whose connection failed may have been applied: it is resent only with its dedup identity
        // (applied once by the server) or when the connection was refused (nothing was sent).
        if (!resendable && !refused(error)) throw error;
        this.#current = (this.#current + 1) % this.#endpoints.length;
        continue;
      }
      if (response.ok) return response;
      const error = await errorOf(response, options.leaseId);
      // 503 (no leader, stopped) is refused before any change: safe to try elsewhere.
      if (response.status !== 503) throw error;
      lastError = error;
      this.#current = (this.#current + 1) % this.#endpoints.length;
    }
    throw lastError;
  }

  /**
   * A unary call.
   *
   * @param path The route.
   * @param body The JSON body.
   * @param options Retry policy.
   * @returns The answer.
   * @throws {RemoteError} For an error answer.
   */
  async call(path: string, body: Json, options: CallOptions): Promise<Json> {
    const response = await this.open(path, JSON.stringify(body), options);
    return await response.json() as Json;
  }
}

/** A random client id in [1, 2^53): one per write, so concurrent writes never look stale to each other. */
function newClientId(): number {
  const words = crypto.getRandomValues(new Uint32Array(2));
  return (words[0]! & 0x1f_ffff) * 0x1_0000_0000 + words[1]! || 1;
}

function refused(error: unknown): boolean {
  const text = error instanceof Error
    ? `${error.message} ${String((error as { cause?: unknown }).cause ?? "")}`
    : "";
  return /refused|ECONNREFUSED/i.test(text);
}

async function errorOf(response: Response, leaseId: number | undefined): Promise<Error> {
  const text = await response.text();
  let message = text.trim();
  let code = 2;
  try {
    const json = JSON.parse(text) as { message?: unknown; code?: unknown };
    if (typeof json.message === "string") message = json.message;
    if (typeof json.code === "number") code = json.code;
  } catch {
    // a plain-text answer (404 of an unknown route): keep the text
  }
  if (message === ETCD_ERROR_MESSAGES.leaseNotFound) return new LeaseNotFoundError("use", leaseId ?? 0);
  return new RemoteError(code, message, response.status);
}
