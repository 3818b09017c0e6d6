import { EmbeddedClient, type KvBackend } from "../../src/client/embedded.ts";
import { HttpClient } from "../../src/client/http.ts";
import { createGateway, LocalBackend } from "../../src/gateway/mod.ts";
import { KvStore, LeaseNotFoundError } from "../../src/kv/mod.ts";
import { createServer } from "node:net";
import { ETCD_INSTALLED, type EtcdProcess, startEtcd } from "../compat/_etcd.ts";
import { storeApiSuite } from "./_store_api_suite.ts";

storeApiSuite("the embedded client", () => {
  const store = new KvStore();
  const local = new LocalBackend(store);
  const backend: KvBackend = {
    write: (command) => local.write(command),
    range: (request) => local.range(request),
    watch: (options) => store.watch(options),
    leaseTimeToLive: (id, keys) => local.leaseTimeToLive(id, keys),
    leaseIds: () => local.leaseIds(),
    isFinal: (error) => error instanceof LeaseNotFoundError,
  };
  const client = new EmbeddedClient(backend);
  return Promise.resolve({
    client,
    close: () => {
      client.close();
      local.close();
      return Promise.resolve();
    },
  });
});

storeApiSuite("the HTTP client against the dengine gateway", () => {
  const local = new LocalBackend(new KvStore());
  const app = createGateway(local);
  const client = new HttpClient({
    endpoints: ["http://gateway.test"],
    fetch: async (request) => await app.fetch(request),
  });
  return Promise.resolve({
    client,
    close: () => {
      client.close();
      local.close();
      return Promise.resolve();
    },
  });
});

let etcd: EtcdProcess | null = null;
storeApiSuite(
  "the HTTP client against etcd 3.4",
  async () => {
    etcd ??= await startEtcd();
    const running = etcd;
    // The first endpoint refuses connections: every request fails over to etcd.
    const client = new HttpClient({
      endpoints: [`http://127.0.0.1:${await closedPort()}`, running.url],
      retryWritesWithDedup: false, // etcd ignores the dedup headers
    });
    return {
      client,
      close: async () => {
        client.close();
        // The last test stops etcd: the suite has 8 tests.
        if (++closed === 8) await running.stop();
      },
    };
  },
  ETCD_INSTALLED ? false : "etcd not installed",
);
let closed = 0;

async function closedPort(): Promise<number> {
  return await new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}
