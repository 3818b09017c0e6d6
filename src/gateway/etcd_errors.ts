/**
 * etcd's error answers: a gRPC code, etcd's message, and the HTTP status the gateway maps the code to;
 * plus the body reader that turns malformed or invalid input into 400s naming the field.
 *
 * @module
 */

import type { z } from "zod";
import { REQUEST_BYTES_MAX } from "../kv/limits.ts";
import { protoNames } from "./etcd_schemas.ts";

/** Largest request body read (etcd's request limit plus room for JSON and base64 overhead). */
export const BODY_BYTES_MAX = Math.ceil(REQUEST_BYTES_MAX * 4 / 3) + 64 * 1024;

/** gRPC status codes the gateway answers with. */
export const Grpc = {
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  Unauthenticated: 16,
} as const;

const HTTP_STATUS_OF_GRPC: Record<number, number> = {
  0: 200,
  1: 499,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 412,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

/**
 * @param grpcCode A gRPC code.
 * @returns The HTTP status etcd's gateway answers it with.
 * @example
 * ```ts
 * import { httpStatusOf } from "./etcd_errors.ts";
 * console.log(httpStatusOf(5)); // 404
 * ```
 */
export function httpStatusOf(grpcCode: number): number {
  return HTTP_STATUS_OF_GRPC[grpcCode] ?? 500;
}

/**
 * An error the gateway answers with as it stands (bad input, unsupported request).
 *
 * @example
 * ```ts
 * import { GatewayError } from "./etcd_errors.ts";
 * console.log(new GatewayError(3, "bad").grpcCode); // 3
 * ```
 */
export class GatewayError extends Error {
  /** The gRPC code. */
  readonly grpcCode: number;
  /**
   * @param grpcCode The gRPC code.
   * @param message What failed.
   */
  constructor(grpcCode: number, message: string) {
    super(message);
    this.name = "GatewayError";
    this.grpcCode = grpcCode;
  }
}

/** An error as etcd reports it. */
export interface EtcdError {
  grpcCode: number;
  message: string;
  httpStatus: number;
}

const ENGINE_ERRORS: Record<string, [number, string]> = {
  TimeoutError: [Grpc.Unavailable, "etcdserver: request timed out"],
  TooManyRequestsError: [Grpc.ResourceExhausted, "etcdserver: too many requests"],
  EngineStoppedError: [Grpc.Unavailable, "etcdserver: server stopped"],
  NotLeaderError: [Grpc.Unavailable, "etcdserver: no leader"],
};

/**
 * Maps any thrown value to etcd's code and message: store errors carry theirs, engine errors map by
 * name, anything else is Unknown with its own message.
 *
 * @param error The thrown value.
 * @param recipeCode The code for store errors (etcd's lock and election services answer Unknown).
 * @returns The etcd error.
 * @example
 * ```ts
 * import { etcdErrorOf } from "./etcd_errors.ts";
 * console.log(etcdErrorOf(new Error("x")).httpStatus); // 500
 * ```
 */
export function etcdErrorOf(error: unknown, recipeCode?: number): EtcdError {
  if (error instanceof GatewayError) return make(error.grpcCode, error.message);
  if (error instanceof Error) {
    const withCode = error as Error & { etcdMessage?: unknown; grpcCode?: unknown };
    if (typeof withCode.etcdMessage === "string" && typeof withCode.grpcCode === "number") {
      return make(recipeCode ?? withCode.grpcCode, withCode.etcdMessage);
    }
    // A refused membership change keeps its own message, which says why.
    if (error.name === "ConfChangeRejectedError") return make(Grpc.FailedPrecondition, error.message);
    const known = ENGINE_ERRORS[error.name];
    if (known !== undefined) return make(known[0], known[1]);
    return make(Grpc.Unknown, error.message);
  }
  return make(Grpc.Unknown, String(error));
}

function make(grpcCode: number, message: string): EtcdError {
  return { grpcCode, message, httpStatus: httpStatusOf(grpcCode) };
}

/**
 * @param error The etcd error.
 * @returns etcd's unary error body.
 * @example
 * ```ts
 * import { etcdErrorBody, etcdErrorOf } from "./etcd_errors.ts";
 * console.log(etcdErrorBody(etcdErrorOf(new Error("x")))); // { error: "x", message: "x", code: 2 }
 * ```
 */
export function etcdErrorBody(error: EtcdError): Record<string, unknown> {
  return { error: error.message, message: error.message, code: error.grpcCode };
}

/**
 * Names the first invalid field of a zod error: `field "compare.0.key": illegal base64 data`.
 *
 * @param error The zod error.
 * @returns The message.
 * @example
 * ```ts ignore
 * describeZodError(result.error);
 * ```
 */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "invalid request body";
  const path = issue.path.map(String).join(".");
  return path === "" ? `invalid request body: ${issue.message}` : `field "${path}": ${issue.message}`;
}

/**
 * Parses one JSON body text with a schema (empty text is `{}`).
 *
 * @param text The body.
 * @param schema The schema.
 * @returns The parsed request.
 * @throws {GatewayError} InvalidArgument naming the field, for malformed JSON or an invalid field.
 * @example
 * ```ts ignore
 * parseBody('{"key":"YQ=="}', rangeSchema);
 * ```
 */
export function parseBody<S extends z.ZodType>(text: string, schema: S): z.output<S> {
  let json: unknown = {};
  if (text.trim() !== "") {
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new GatewayError(Grpc.InvalidArgument, `malformed JSON body: ${(error as Error).message}`);
    }
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new GatewayError(Grpc.InvalidArgument, "invalid request body: expected a JSON object");
  }
  let named: unknown;
  try {
    named = protoNames(json);
  } catch (error) {
    throw new GatewayError(Grpc.InvalidArgument, (error as Error).message);
  }
  const result = schema.safeParse(named);
  if (!result.success) throw new GatewayError(Grpc.InvalidArgument, describeZodError(result.error));
  return result.data;
}

/**
 * Reads a request body as text, up to {@link BODY_BYTES_MAX}.
 *
 * @param request The request.
 * @returns The text.
 * @throws {GatewayError} When the body is larger than the limit.
 * @example
 * ```ts ignore
 * const text = await readBodyText(c.req.raw);
 * ```
 */
export async function readBodyText(request: Request): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > BODY_BYTES_MAX) throw tooLarge(declared);
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let sizeBytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    sizeBytes += value.length;
    if (sizeBytes > BODY_BYTES_MAX) {
      await reader.cancel();
      throw tooLarge(sizeBytes);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(sizeBytes);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(all);
}

function tooLarge(sizeBytes: number): GatewayError {
  return new GatewayError(
    Grpc.InvalidArgument,
    `etcdserver: request is too large (body of at least ${sizeBytes} bytes, the limit is ${BODY_BYTES_MAX})`,
  );
}
