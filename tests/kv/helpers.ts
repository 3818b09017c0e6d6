// Shared fixtures of the kv tests: a synchronous driver that applies commands at increasing indexes.
import {
  type Command,
  type CommandResponse,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  encodeCommand,
  type KeyValue,
  type KvConfig,
  KvStore,
  type LeaseGrantResponse,
  type PutRequest,
  type PutResponse,
  toText,
  type TxnRequest,
  type TxnResponse,
  utf8,
} from "../../src/kv/mod.ts";

export const b = utf8;

export function keysOf(kvs: KeyValue[]): string[] {
  return kvs.map((kv) => toText(kv.key));
}

export function valuesOf(kvs: KeyValue[]): string[] {
  return kvs.map((kv) => toText(kv.value));
}

/** Drives a store through encoded commands, like a single-node engine. */
export class Driver {
  readonly store: KvStore;
  index = 0;
  nowMs = 0;
  term = 1;
  readonly log: Uint8Array[] = [];

  constructor(config: Partial<KvConfig> = {}) {
    this.store = new KvStore(config);
  }

  run(command: Command, identity?: { clientId: number; sequence: number }): CommandResponse {
    const bytes = encodeCommand(command, identity);
    this.log.push(bytes);
    const result = this.store.apply(++this.index, bytes);
    if (!result.ok) throw result.error;
    return result.response;
  }

  put(key: string, value: string, extra: Partial<PutRequest> = {}): PutResponse {
    const response = this.run({ type: "put", request: { key: b(key), value: b(value), ...extra } });
    if (response.type !== "put") throw new Error("wrong response type");
    return response.response;
  }

  del(key: string, rangeEnd?: string, prevKv = false): DeleteRangeResponse {
    const request: DeleteRangeRequest = { key: b(key), prevKv };
    if (rangeEnd !== undefined) request.rangeEnd = b(rangeEnd);
    const response = this.run({ type: "deleteRange", request });
    if (response.type !== "deleteRange") throw new Error("wrong response type");
    return response.response;
  }

  txn(request: TxnRequest): TxnResponse {
    const response = this.run({ type: "txn", request });
    if (response.type !== "txn") throw new Error("wrong response type");
    return response.response;
  }

  compact(revision: number): void {
    this.run({ type: "compact", revision });
  }

  grant(ttlSeconds: number, id = 0): LeaseGrantResponse {
    const response = this.run({
      type: "leaseGrant",
      id,
      ttlSeconds,
      clock: { term: this.term, nowMs: this.nowMs },
    });
    if (response.type !== "leaseGrant") throw new Error("wrong response type");
    return response.response;
  }

  keepAlive(id: number): void {
    this.run({ type: "leaseKeepAlive", id, clock: { term: this.term, nowMs: this.nowMs } });
  }

  revoke(id: number): void {
    this.run({ type: "leaseRevoke", id });
  }

  get(key: string, revision?: number): KeyValue | undefined {
    const request = revision === undefined ? { key: b(key) } : { key: b(key), revision };
    return this.store.range(request).kvs[0];
  }
}
