/**
 * The binary codec of replicated commands: `[version][clientId][sequence][tag][body]`, integers as
 * unsigned LEB128, byte strings length-prefixed, lease clock times as float64.
 *
 * @module
 */

import { unreachable } from "../util/assert.ts";
import { ByteReader, ByteWriter } from "./byte_codec.ts";
import type { Command, CommandEnvelope, LeaseCheckpoint } from "./commands.ts";
import { RequestTooLargeError, ValidationError } from "./errors.ts";
import { REQUEST_BYTES_MAX, TXN_DEPTH_MAX } from "./limits.ts";
import type {
  Compare,
  CompareNumberTarget,
  CompareResult,
  DeleteRangeRequest,
  LeaderClock,
  PutRequest,
  RangeRequest,
  RequestOp,
  SortOrder,
  SortTarget,
  TxnRequest,
} from "./types.ts";

const CODEC_VERSION = 1;
const COMMAND_TAGS = [
  "put",
  "deleteRange",
  "txn",
  "compact",
  "leaseGrant",
  "leaseRevoke",
  "leaseKeepAlive",
  "leaseCheckpoint",
] as const;
const OP_TAGS = ["range", "put", "deleteRange", "txn"] as const;
const SORT_ORDERS: readonly SortOrder[] = ["none", "ascend", "descend"];
const SORT_TARGETS: readonly SortTarget[] = ["key", "version", "create", "mod", "value"];
const COMPARE_RESULTS: readonly CompareResult[] = ["equal", "greater", "less", "notEqual"];
const COMPARE_TARGETS = ["version", "create", "mod", "value", "lease"] as const;

/**
 * Encodes a command (optionally with its dedup identity).
 *
 * @param command The command.
 * @param identity The client id and sequence for dedup (absent: no dedup).
 * @returns The encoding.
 * @throws {RequestTooLargeError} When the encoding exceeds {@link REQUEST_BYTES_MAX}.
 * @throws {ValidationError} For a negative or fractional number field (named).
 * @example
 * ```ts
 * import { decodeCommand, encodeCommand } from "./command_codec.ts";
 * const bytes = encodeCommand({ type: "compact", revision: 5 });
 * console.log(decodeCommand(bytes).command.type); // "compact"
 * ```
 */
export function encodeCommand(
  command: Command,
  identity?: { clientId: number; sequence: number },
): Uint8Array {
  const writer = new ByteWriter();
  writer.byte(CODEC_VERSION);
  uintField(writer, "clientId", identity?.clientId ?? 0);
  uintField(writer, "sequence", identity?.sequence ?? 0);
  writer.byte(COMMAND_TAGS.indexOf(command.type));
  writeCommandBody(writer, command);
  if (writer.length > REQUEST_BYTES_MAX) throw new RequestTooLargeError(writer.length, REQUEST_BYTES_MAX);
  return writer.finish();
}

/**
 * Decodes a command.
 *
 * @param bytes The encoding.
 * @returns The command with its dedup identity (clientId 0: none).
 * @throws {CodecError} For malformed bytes.
 * @throws {RequestTooLargeError} Above {@link REQUEST_BYTES_MAX}.
 * @example
 * ```ts
 * import { decodeCommand, encodeCommand } from "./command_codec.ts";
 * const envelope = decodeCommand(encodeCommand({ type: "leaseRevoke", id: 3 }, { clientId: 1, sequence: 2 }));
 * console.log(envelope.clientId, envelope.sequence); // 1 2
 * ```
 */
export function decodeCommand(bytes: Uint8Array): CommandEnvelope {
  if (bytes.length > REQUEST_BYTES_MAX) throw new RequestTooLargeError(bytes.length, REQUEST_BYTES_MAX);
  const reader = new ByteReader(bytes, "command");
  const version = reader.byte();
  if (version !== CODEC_VERSION) throw reader.fail(`unknown command codec version ${version}`);
  const clientId = reader.uint();
  const sequence = reader.uint();
  const command = readCommandBody(reader);
  reader.end();
  return { command, clientId, sequence };
}

function writeCommandBody(writer: ByteWriter, command: Command): void {
  switch (command.type) {
    case "put":
      return writePut(writer, command.request);
    case "deleteRange":
      return writeDelete(writer, command.request);
    case "txn":
      return writeTxn(writer, command.request);
    case "compact":
      return uintField(writer, "revision", command.revision);
    case "leaseGrant":
      uintField(writer, "ID", command.id);
      uintField(writer, "TTL", command.ttlSeconds);
      return writeClock(writer, command.clock);
    case "leaseRevoke":
      return uintField(writer, "ID", command.id);
    case "leaseKeepAlive":
      uintField(writer, "ID", command.id);
      return writeClock(writer, command.clock);
    case "leaseCheckpoint":
      writer.uint(command.checkpoints.length);
      for (const checkpoint of command.checkpoints) {
        uintField(writer, "ID", checkpoint.id);
        uintField(writer, "remainingTtlMs", checkpoint.remainingTtlMs);
      }
      return;
    default:
      unreachable(command);
  }
}

function readCommandBody(reader: ByteReader): Command {
  const tag = reader.byte();
  const type = COMMAND_TAGS[tag];
  switch (type) {
    case "put":
      return { type, request: readPut(reader) };
    case "deleteRange":
      return { type, request: readDelete(reader) };
    case "txn":
      return { type, request: readTxn(reader, 0) };
    case "compact":
      return { type, revision: reader.uint() };
    case "leaseGrant":
      return { type, id: reader.uint(), ttlSeconds: reader.uint(), clock: readClock(reader) };
    case "leaseRevoke":
      return { type, id: reader.uint() };
    case "leaseKeepAlive":
      return { type, id: reader.uint(), clock: readClock(reader) };
    case "leaseCheckpoint": {
      const checkpoints: LeaseCheckpoint[] = [];
      const count = reader.count(2);
      for (let i = 0; i < count; i++) checkpoints.push({ id: reader.uint(), remainingTtlMs: reader.uint() });
      return { type, checkpoints };
    }
    default:
      throw reader.fail(`unknown command tag ${tag}`);
  }
}

/** Writes a non-negative integer field, refusing anything else with an error naming the field. */
function uintField(writer: ByteWriter, field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(
      field,
      `Cannot encode ${field} ${value}: it must be a non-negative safe integer`,
    );
  }
  writer.uint(value);
}

function writeClock(writer: ByteWriter, clock: LeaderClock): void {
  uintField(writer, "term", clock.term);
  writer.float(clock.nowMs);
}

function readClock(reader: ByteReader): LeaderClock {
  return { term: reader.uint(), nowMs: reader.float() };
}

function flags(...values: (boolean | undefined)[]): number {
  let result = 0;
  values.forEach((value, bit) => {
    if (value === true) result |= 1 << bit;
  });
  return result;
}

function writePut(writer: ByteWriter, request: PutRequest): void {
  writer.bytes(request.key);
  writer.bytes(request.value);
  uintField(writer, "lease", request.lease ?? 0);
  writer.byte(flags(request.prevKv, request.ignoreValue, request.ignoreLease));
}

function readPut(reader: ByteReader): PutRequest {
  const key = reader.bytes();
  const value = reader.bytes();
  const lease = reader.uint();
  const bits = reader.byte();
  return {
    key,
    value,
    lease,
    prevKv: (bits & 1) !== 0,
    ignoreValue: (bits & 2) !== 0,
    ignoreLease: (bits & 4) !== 0,
  };
}

function writeDelete(writer: ByteWriter, request: DeleteRangeRequest): void {
  writer.bytes(request.key);
  writer.bytes(request.rangeEnd ?? new Uint8Array(0));
  writer.byte(flags(request.prevKv));
}

function readDelete(reader: ByteReader): DeleteRangeRequest {
  const key = reader.bytes();
  const rangeEnd = reader.bytes();
  return { key, rangeEnd, prevKv: (reader.byte() & 1) !== 0 };
}

function writeRange(writer: ByteWriter, request: RangeRequest): void {
  writer.bytes(request.key);
  writer.bytes(request.rangeEnd ?? new Uint8Array(0));
  uintField(writer, "limit", request.limit ?? 0);
  uintField(writer, "revision", request.revision ?? 0);
  writer.byte(SORT_ORDERS.indexOf(request.sortOrder ?? "none"));
  writer.byte(SORT_TARGETS.indexOf(request.sortTarget ?? "key"));
  writer.byte(flags(request.keysOnly, request.countOnly));
  uintField(writer, "min_mod_revision", request.minModRevision ?? 0);
  uintField(writer, "max_mod_revision", request.maxModRevision ?? 0);
  uintField(writer, "min_create_revision", request.minCreateRevision ?? 0);
  uintField(writer, "max_create_revision", request.maxCreateRevision ?? 0);
}

function readRange(reader: ByteReader): RangeRequest {
  const key = reader.bytes();
  const rangeEnd = reader.bytes();
  const limit = reader.uint();
  const revision = reader.uint();
  const sortOrder = SORT_ORDERS[reader.byte()];
  const sortTarget = SORT_TARGETS[reader.byte()];
  if (sortOrder === undefined || sortTarget === undefined) throw reader.fail("unknown sort order or target");
  const bits = reader.byte();
  return {
    key,
    rangeEnd,
    limit,
    revision,
    sortOrder,
    sortTarget,
    keysOnly: (bits & 1) !== 0,
    countOnly: (bits & 2) !== 0,
    minModRevision: reader.uint(),
    maxModRevision: reader.uint(),
    minCreateRevision: reader.uint(),
    maxCreateRevision: reader.uint(),
  };
}

function writeCompare(writer: ByteWriter, compare: Compare): void {
  writer.bytes(compare.key);
  writer.bytes(compare.rangeEnd ?? new Uint8Array(0));
  writer.byte(COMPARE_RESULTS.indexOf(compare.result));
  writer.byte(COMPARE_TARGETS.indexOf(compare.target));
  if (compare.target === "value") writer.bytes(compare.value);
  else uintField(writer, "compare.target_value", compare.number);
}

function readCompare(reader: ByteReader): Compare {
  const key = reader.bytes();
  const rangeEnd = reader.bytes();
  const result = COMPARE_RESULTS[reader.byte()];
  const target = COMPARE_TARGETS[reader.byte()];
  if (result === undefined || target === undefined) throw reader.fail("unknown compare result or target");
  if (target === "value") return { key, rangeEnd, result, target, value: reader.bytes() };
  return { key, rangeEnd, result, target: target as CompareNumberTarget, number: reader.uint() };
}

function writeTxn(writer: ByteWriter, request: TxnRequest): void {
  writer.uint(request.compare.length);
  for (const compare of request.compare) writeCompare(writer, compare);
  for (const branch of [request.success, request.failure]) {
    writer.uint(branch.length);
    for (const op of branch) writeOp(writer, op);
  }
}

function readTxn(reader: ByteReader, depth: number): TxnRequest {
  if (depth >= TXN_DEPTH_MAX) throw reader.fail(`transactions nested deeper than ${TXN_DEPTH_MAX}`);
  const compare: Compare[] = [];
  const compareCount = reader.count(4);
  for (let i = 0; i < compareCount; i++) compare.push(readCompare(reader));
  const branches: RequestOp[][] = [[], []];
  for (const branch of branches) {
    const count = reader.count(2);
    for (let i = 0; i < count; i++) branch.push(readOp(reader, depth));
  }
  return { compare, success: branches[0]!, failure: branches[1]! };
}

function writeOp(writer: ByteWriter, op: RequestOp): void {
  writer.byte(OP_TAGS.indexOf(op.type));
  switch (op.type) {
    case "range":
      return writeRange(writer, op.request);
    case "put":
      return writePut(writer, op.request);
    case "deleteRange":
      return writeDelete(writer, op.request);
    case "txn":
      return writeTxn(writer, op.request);
  }
}

function readOp(reader: ByteReader, depth: number): RequestOp {
  const tag = reader.byte();
  const type = OP_TAGS[tag];
  switch (type) {
    case "range":
      return { type, request: readRange(reader) };
    case "put":
      return { type, request: readPut(reader) };
    case "deleteRange":
      return { type, request: readDelete(reader) };
    case "txn":
      return { type, request: readTxn(reader, depth + 1) };
    default:
      throw reader.fail(`unknown operation tag ${tag}`);
  }
}
