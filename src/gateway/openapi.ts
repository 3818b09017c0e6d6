/**
 * `/openapi.json`: the friendly API described from the same zod schemas that validate it.
 *
 * @module
 */

import { z } from "zod";
import {
  friendlyErrorSchema,
  friendlyKeyValueSchema,
  kvDeleteQuerySchema,
  kvGetQuerySchema,
  kvPutQuerySchema,
  leaseGrantBodySchema,
  watchQuerySchema,
} from "./friendly_schemas.ts";
import {
  campaignBodySchema,
  leaderBodySchema,
  lockBodySchema,
  proclaimBodySchema,
} from "./friendly_concurrency.ts";

type JsonSchema = Record<string, unknown>;

function queryParameters(schema: z.ZodObject): JsonSchema[] {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, JsonSchema>;
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: "query",
    required: false,
    schema: property,
  }));
}

const nameParameter = { name: "name", in: "path", required: true, schema: { type: "string" } };

function jsonBody(schema: z.ZodType): JsonSchema {
  return { content: { "application/json": { schema: z.toJSONSchema(schema, { io: "input" }) } } };
}

const keyParameter = { name: "key", in: "path", required: true, schema: { type: "string" } };
const errorResponse = {
  description: "An error",
  content: { "application/json": { schema: z.toJSONSchema(friendlyErrorSchema) } },
};

/**
 * @returns The OpenAPI 3.1 document of the friendly API.
 * @example
 * ```ts
 * import { openApiDocument } from "./openapi.ts";
 * console.log(openApiDocument().openapi); // "3.1.0"
 * ```
 */
export function openApiDocument(): { openapi: string } & JsonSchema {
  const kv = z.toJSONSchema(friendlyKeyValueSchema);
  return {
    openapi: "3.1.0",
    info: { title: "dengine friendly HTTP API", version: "0.1.0" },
    paths: {
      "/api/kv/{key}": {
        get: {
          summary: "Read a key, or every key under it with ?prefix",
          parameters: [keyParameter, ...queryParameters(kvGetQuerySchema)],
          responses: {
            "200": { description: "The key-value", content: { "application/json": { schema: kv } } },
            default: errorResponse,
          },
        },
        put: {
          summary: "Write the request body (UTF-8) as the key's value",
          parameters: [keyParameter, ...queryParameters(kvPutQuerySchema)],
          requestBody: { content: { "text/plain": { schema: { type: "string" } } } },
          responses: { "200": { description: "The revision of the write" }, default: errorResponse },
        },
        delete: {
          summary: "Delete a key, or every key under it with ?prefix",
          parameters: [keyParameter, ...queryParameters(kvDeleteQuerySchema)],
          responses: {
            "200": { description: "The revision and the number deleted" },
            default: errorResponse,
          },
        },
      },
      "/api/watch/{key}": {
        get: {
          summary: "Server-Sent Events of changes; Last-Event-ID resumes after that revision",
          parameters: [keyParameter, ...queryParameters(watchQuerySchema)],
          responses: { "200": { description: "text/event-stream" }, default: errorResponse },
        },
      },
      "/api/leases": {
        post: {
          summary: "Grant a lease",
          requestBody: { content: { "application/json": { schema: z.toJSONSchema(leaseGrantBodySchema) } } },
          responses: { "201": { description: "The lease id and TTL" }, default: errorResponse },
        },
        get: { summary: "List lease ids", responses: { "200": { description: "The ids" } } },
      },
      "/api/leases/{id}": {
        get: {
          summary: "A lease's TTL and keys",
          responses: { "200": { description: "The lease" }, default: errorResponse },
        },
        delete: {
          summary: "Revoke a lease (its keys are deleted)",
          responses: { "200": { description: "The revision" }, default: errorResponse },
        },
      },
      "/api/leases/{id}/keepalive": {
        post: {
          summary: "Renew a lease once",
          responses: { "200": { description: "The TTL" }, default: errorResponse },
        },
      },
      "/api/locks/{name}": {
        post: {
          summary: "Take a lock for a lease; waits until held, then answers its key and fencing token",
          parameters: [nameParameter],
          requestBody: jsonBody(lockBodySchema),
          responses: { "200": { description: "The key, fencing token and lease" }, default: errorResponse },
        },
        delete: {
          summary: "Release the lock whose key (name/lease in hex) the lock answered",
          parameters: [nameParameter],
          responses: {
            "200": { description: "The revision and whether it was held" },
            default: errorResponse,
          },
        },
      },
      "/api/elections/{name}": {
        get: {
          summary: "The election's current leader and value",
          parameters: [nameParameter],
          responses: { "200": { description: "The leader" }, default: errorResponse },
        },
      },
      "/api/elections/{name}/campaign": {
        post: {
          summary: "Campaign with a lease and a value; waits until elected",
          parameters: [nameParameter],
          requestBody: jsonBody(campaignBodySchema),
          responses: { "200": { description: "The leader handle" }, default: errorResponse },
        },
      },
      "/api/elections/{name}/proclaim": {
        post: {
          summary: "Change the leader's value (the leader handle plus value)",
          parameters: [nameParameter],
          requestBody: jsonBody(proclaimBodySchema),
          responses: { "200": { description: "The revision" }, default: errorResponse },
        },
      },
      "/api/elections/{name}/resign": {
        post: {
          summary: "Give up leadership (the leader handle)",
          parameters: [nameParameter],
          requestBody: jsonBody(leaderBodySchema),
          responses: { "200": { description: "Whether it was still leader" }, default: errorResponse },
        },
      },
      "/api/cluster": {
        get: {
          summary: "This node's view of the cluster",
          responses: { "200": { description: "Status and members" } },
        },
      },
      "/health": { get: { summary: "Liveness", responses: { "200": { description: "ok" } } } },
      "/ready": {
        get: {
          summary: "Readiness (a leader is known)",
          responses: { "200": { description: "ready" }, "503": { description: "no leader" } },
        },
      },
      "/metrics": {
        get: { summary: "Prometheus metrics", responses: { "200": { description: "text/plain" } } },
      },
    },
  };
}
