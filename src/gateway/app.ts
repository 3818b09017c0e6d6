/**
 * The gateway's Hono app: etcd's `/v3` (and `/v3beta`) JSON API, the friendly `/api` routes, `/health`,
 * `/ready`, `/metrics` and `/openapi.json`, over a {@link GatewayBackend}. Web-standard
 * only; serve `app.fetch` with any runtime's server or mount the app inside another Hono app.
 *
 * @module
 */

import { Hono } from "hono";
import type { GatewayBackend } from "./backend.ts";
import { mountFriendlyApi } from "./friendly_api.ts";
import { mountMetrics } from "./metrics.ts";
import { openApiDocument } from "./openapi.ts";
import { mountV3Streams } from "./v3_streams.ts";
import { mountV3Unary } from "./v3_routes.ts";
import { mountV3Admin } from "./v3_admin_routes.ts";

/**
 * Builds the gateway app.
 *
 * @param backend The node to serve.
 * @returns The Hono app.
 * @example
 * ```ts
 * import { KvStore } from "../kv/mod.ts";
 * import { createGateway } from "./app.ts";
 * import { LocalBackend } from "./local_backend.ts";
 * const backend = new LocalBackend(new KvStore());
 * const app = createGateway(backend);
 * const response = await app.request("/v3/kv/put", { method: "POST", body: '{"key":"YQ==","value":"MQ=="}' });
 * console.log(response.status); // 200
 * backend.close();
 * ```
 */
export function createGateway(backend: GatewayBackend): Hono {
  const app = new Hono();
  mountMetrics(app, backend);
  for (const prefix of ["/v3", "/v3beta"]) {
    mountV3Unary(app, backend, prefix);
    mountV3Admin(app, backend, prefix);
    mountV3Streams(app, backend, prefix);
  }
  mountFriendlyApi(app, backend);
  const openApi = openApiDocument();
  app.get("/openapi.json", (c) => c.json(openApi));
  app.notFound((c) => c.text("Not Found\n", 404));
  return app;
}
