/**
 * Serves a fetch handler (the gateway's Hono app) with the runtime's own HTTP server: `Deno.serve` on
 * Deno, `Bun.serve` with `http2: true` on Bun. Both speak HTTP/1.1 and HTTP/2: cleartext with prior
 * knowledge (h2c), and over TLS by ALPN. The Bun API is typed structurally so `deno check` needs no Bun
 * types.
 *
 * @module
 */

/** A fetch handler. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** Options of {@link serveHttp}. */
export interface ServeHttpOptions {
  fetch: FetchHandler;
  /** Default 127.0.0.1. */
  hostname?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** PEM certificate and key: serve HTTPS (HTTP/2 by ALPN, HTTP/1.1 otherwise). */
  tls?: { cert: string; key: string };
}

/** A running server. */
export interface HttpServer {
  /** `http://host:port` or `https://host:port`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and closes connections. */
  close(): Promise<void>;
}

interface BunServer {
  port: number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}

interface BunServeApi {
  serve(options: {
    fetch: FetchHandler;
    hostname: string;
    port: number;
    http2: boolean;
    idleTimeout: number;
    tls?: { cert: string; key: string };
  }): BunServer;
}

/**
 * Starts serving.
 *
 * @param options The handler, address and optional TLS.
 * @returns The running server.
 * @throws {Error} When neither Deno nor Bun is the runtime.
 * @example
 * ```ts ignore
 * const server = await serveHttp({ fetch: app.fetch, port: 2379 });
 * console.log(server.url);
 * await server.close();
 * ```
 */
export async function serveHttp(options: ServeHttpOptions): Promise<HttpServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  const port = options.port ?? 0;
  const scheme = options.tls === undefined ? "http" : "https";
  const bun = (globalThis as { Bun?: BunServeApi }).Bun;
  if (bun !== undefined) {
    const server = bun.serve({
      fetch: options.fetch,
      hostname,
      port,
      http2: true,
      // Watch streams stay idle for long stretches: never cut them.
      idleTimeout: 0,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    });
    return {
      url: `${scheme}://${hostname}:${server.port}`,
      port: server.port,
      close: async () => {
        await server.stop(true);
      },
    };
  }
  if (typeof Deno !== "undefined") return await serveDeno(options.fetch, hostname, port, options.tls);
  throw new Error("Cannot serve HTTP: this runtime is neither Deno nor Bun (use node:http2 instead)");
}

async function serveDeno(
  fetch: FetchHandler,
  hostname: string,
  port: number,
  tls: { cert: string; key: string } | undefined,
): Promise<HttpServer> {
  const listening = Promise.withResolvers<number>();
  const base = { hostname, port, onListen: (address: { port: number }) => listening.resolve(address.port) };
  const server = tls === undefined
    ? Deno.serve(base, (request) => fetch(request))
    : Deno.serve({ ...base, cert: tls.cert, key: tls.key }, (request) => fetch(request));
  const boundPort = await listening.promise;
  return {
    url: `${tls === undefined ? "http" : "https"}://${hostname}:${boundPort}`,
    port: boundPort,
    close: async () => {
      await server.shutdown();
    },
  };
}
