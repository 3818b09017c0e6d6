/**
 * dengine's HTTP gateway: etcd 3.4's `/v3` JSON API as a Hono app over a {@link GatewayBackend}.
 *
 * @example
 * ```ts
 * import { KvStore } from "../kv/mod.ts";
 * import { createGateway, LocalBackend } from "./mod.ts";
 * const backend = new LocalBackend(new KvStore());
 * const app = createGateway(backend);
 * console.log((await app.request("/v3/maintenance/status", { method: "POST" })).status); // 200
 * backend.close();
 * ```
 *
 * @module
 */

export { createGateway } from "./app.ts";
export {
  concurrencyKvOf,
  type GatewayBackend,
  type GatewayConsistency,
  type GatewayMember,
  type GatewayNodeInfo,
} from "./backend.ts";
export { LocalBackend, type LocalBackendOptions } from "./local_backend.ts";
export { BODY_BYTES_MAX, GatewayError, httpStatusOf } from "./etcd_errors.ts";
export { WATCHES_PER_STREAM_MAX } from "./v3_streams.ts";
export { EngineBackend, type EngineBackendOptions, GATEWAY_ETCD_VERSION } from "./engine_backend.ts";
