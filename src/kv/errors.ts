/**
 * The errors of the key-value store: one named class per condition a caller may catch, each carrying the
 * etcd error text the gateway answers with (`etcdMessage`) and the gRPC code it maps to (`grpcCode`).
 *
 * @module
 */

/** etcd's error texts, as the v3 gateway returns them. */
export const ETCD_ERROR_MESSAGES = {
  compacted: "etcdserver: mvcc: required revision has been compacted",
  futureRevision: "etcdserver: mvcc: required revision is a future revision",
  leaseNotFound: "etcdserver: requested lease not found",
  leaseExists: "etcdserver: lease already exists",
  leaseTtlTooLarge: "etcdserver: too large lease TTL",
  spaceExceeded: "etcdserver: mvcc: database space exceeded",
  requestTooLarge: "etcdserver: request is too large",
  keyNotProvided: "etcdserver: key is not provided",
  keyNotFound: "etcdserver: key not found",
  valueProvided: "etcdserver: value is provided",
  leaseProvided: "etcdserver: lease is provided",
  tooManyOps: "etcdserver: too many operations in txn request",
  duplicateKey: "etcdserver: duplicate key given in txn request",
  tooManyWatchers: "etcdserver: too many watchers",
  staleSequence: "etcdserver: duplicate request with a stale sequence",
  invalidArgument: "etcdserver: invalid argument",
} as const;

/** gRPC status codes used by the store's errors. */
export const GrpcCode = {
  InvalidArgument: 3,
  NotFound: 5,
  FailedPrecondition: 9,
  ResourceExhausted: 8,
  OutOfRange: 11,
} as const;
/** One of {@link GrpcCode}'s values. */
export type GrpcCode = typeof GrpcCode[keyof typeof GrpcCode];

/**
 * The base of every key-value domain error.
 *
 * @example
 * ```ts
 * import { KvError, LeaseNotFoundError } from "./errors.ts";
 * const error = new LeaseNotFoundError("revoke", 7);
 * console.log(error instanceof KvError, error.etcdMessage);
 * ```
 */
export class KvError extends Error {
  /** etcd's text for this condition (for the `/v3` gateway). */
  readonly etcdMessage: string;
  /** The gRPC status code etcd answers with. */
  readonly grpcCode: GrpcCode;

  /**
   * @param message What failed, with the values involved.
   * @param etcdMessage etcd's text for the condition.
   * @param grpcCode The matching gRPC code.
   */
  constructor(message: string, etcdMessage: string, grpcCode: GrpcCode) {
    super(message);
    this.name = "KvError";
    this.etcdMessage = etcdMessage;
    this.grpcCode = grpcCode;
  }
}

/**
 * A read or watch asked for a revision below the compaction.
 *
 * @example
 * ```ts
 * import { CompactedError } from "./errors.ts";
 * console.log(new CompactedError(3, 10).compactRevision); // 10
 * ```
 */
export class CompactedError extends KvError {
  /** The store's compact revision. */
  readonly compactRevision: number;
  /**
   * @param revision The revision asked for.
   * @param compactRevision The store's compact revision.
   */
  constructor(revision: number, compactRevision: number) {
    super(
      `Cannot read at revision ${revision}: it has been compacted (compact revision ${compactRevision})`,
      ETCD_ERROR_MESSAGES.compacted,
      GrpcCode.OutOfRange,
    );
    this.name = "CompactedError";
    this.compactRevision = compactRevision;
  }
}

/**
 * A read asked for a revision above the current one.
 *
 * @example
 * ```ts
 * import { FutureRevisionError } from "./errors.ts";
 * console.log(new FutureRevisionError(9, 4).message);
 * ```
 */
export class FutureRevisionError extends KvError {
  /**
   * @param revision The revision asked for.
   * @param currentRevision The store's current revision.
   */
  constructor(revision: number, currentRevision: number) {
    super(
      `Cannot read at revision ${revision}: it is a future revision (current revision ${currentRevision})`,
      ETCD_ERROR_MESSAGES.futureRevision,
      GrpcCode.OutOfRange,
    );
    this.name = "FutureRevisionError";
  }
}

/**
 * The lease named does not exist (never granted, revoked or expired).
 *
 * @example
 * ```ts
 * import { LeaseNotFoundError } from "./errors.ts";
 * console.log(new LeaseNotFoundError("keep alive", 5).leaseId); // 5
 * ```
 */
export class LeaseNotFoundError extends KvError {
  /** The lease id asked for. */
  readonly leaseId: number;
  /**
   * @param action What was attempted ("revoke", "attach key \"a\" to").
   * @param leaseId The lease id.
   */
  constructor(action: string, leaseId: number) {
    super(
      `Cannot ${action} lease ${leaseId}: it does not exist`,
      ETCD_ERROR_MESSAGES.leaseNotFound,
      GrpcCode.NotFound,
    );
    this.name = "LeaseNotFoundError";
    this.leaseId = leaseId;
  }
}

/**
 * A grant named an id that is already in use.
 *
 * @example
 * ```ts
 * import { LeaseExistsError } from "./errors.ts";
 * console.log(new LeaseExistsError(5).message);
 * ```
 */
export class LeaseExistsError extends KvError {
  /** @param leaseId The id already in use. */
  constructor(leaseId: number) {
    super(
      `Cannot grant lease ${leaseId}: it already exists`,
      ETCD_ERROR_MESSAGES.leaseExists,
      GrpcCode.FailedPrecondition,
    );
    this.name = "LeaseExistsError";
  }
}

/**
 * A grant asked for a TTL above the maximum.
 *
 * @example
 * ```ts
 * import { LeaseTtlTooLargeError } from "./errors.ts";
 * console.log(new LeaseTtlTooLargeError(1e10, 9e9).message);
 * ```
 */
export class LeaseTtlTooLargeError extends KvError {
  /**
   * @param ttlSeconds The TTL asked for.
   * @param ttlSecondsMax The maximum.
   */
  constructor(ttlSeconds: number, ttlSecondsMax: number) {
    super(
      `Cannot grant a lease of ${ttlSeconds} s: the limit is ${ttlSecondsMax} s`,
      ETCD_ERROR_MESSAGES.leaseTtlTooLarge,
      GrpcCode.OutOfRange,
    );
    this.name = "LeaseTtlTooLargeError";
  }
}

/**
 * A write would take the stored data past the configured quota. Reads, deletes and compaction still work.
 *
 * @example
 * ```ts
 * import { QuotaExceededError } from "./errors.ts";
 * console.log(new QuotaExceededError("put key \"a\"", 10, 8).etcdMessage);
 * ```
 */
export class QuotaExceededError extends KvError {
  /**
   * @param action What was attempted.
   * @param sizeBytesAfter The data size the write would have reached.
   * @param quotaBytes The quota.
   */
  constructor(action: string, sizeBytesAfter: number, quotaBytes: number) {
    super(
      `Cannot ${action}: database space exceeded (the data would be ${sizeBytesAfter} bytes, the quota is ${quotaBytes} bytes); compact and defragment to free space`,
      ETCD_ERROR_MESSAGES.spaceExceeded,
      GrpcCode.ResourceExhausted,
    );
    this.name = "QuotaExceededError";
  }
}

/**
 * A request's encoding is larger than {@link REQUEST_BYTES_MAX}-style limits.
 *
 * @example
 * ```ts
 * import { RequestTooLargeError } from "./errors.ts";
 * console.log(new RequestTooLargeError(2_000_000, 1_572_864).message);
 * ```
 */
export class RequestTooLargeError extends KvError {
  /**
   * @param sizeBytes The request's size.
   * @param sizeBytesMax The limit.
   */
  constructor(sizeBytes: number, sizeBytesMax: number) {
    super(
      `Cannot accept a request of ${sizeBytes} bytes: the limit is ${sizeBytesMax} bytes`,
      ETCD_ERROR_MESSAGES.requestTooLarge,
      GrpcCode.InvalidArgument,
    );
    this.name = "RequestTooLargeError";
  }
}

/**
 * A request field is missing, malformed or over its limit; `field` names it.
 *
 * @example
 * ```ts
 * import { ValidationError } from "./errors.ts";
 * const error = new ValidationError("key", "Cannot put: the key is empty", "etcdserver: key is not provided");
 * console.log(error.field); // "key"
 * ```
 */
export class ValidationError extends KvError {
  /** The request field at fault (`key`, `value`, `lease`, `success`, ...). */
  readonly field: string;
  /**
   * @param field The field at fault.
   * @param message What failed and why.
   * @param etcdMessage etcd's text (defaults to "invalid argument").
   */
  constructor(field: string, message: string, etcdMessage: string = ETCD_ERROR_MESSAGES.invalidArgument) {
    super(message, etcdMessage, GrpcCode.InvalidArgument);
    this.name = "ValidationError";
    this.field = field;
  }
}

/**
 * A put with `ignoreValue` or `ignoreLease` named a key that does not exist.
 *
 * @example
 * ```ts
 * import { KeyNotFoundError } from "./errors.ts";
 * console.log(new KeyNotFoundError("put with ignoreValue", "a").etcdMessage);
 * ```
 */
export class KeyNotFoundError extends KvError {
  /**
   * @param action What was attempted.
   * @param key The key, rendered.
   */
  constructor(action: string, key: string) {
    super(
      `Cannot ${action} key "${key}": it does not exist`,
      ETCD_ERROR_MESSAGES.keyNotFound,
      GrpcCode.InvalidArgument,
    );
    this.name = "KeyNotFoundError";
  }
}

/**
 * The store already serves its maximum number of watchers.
 *
 * @example
 * ```ts
 * import { TooManyWatchersError } from "./errors.ts";
 * console.log(new TooManyWatchersError(10).message);
 * ```
 */
export class TooManyWatchersError extends KvError {
  /** @param watchersMax The limit. */
  constructor(watchersMax: number) {
    super(
      `Cannot create a watcher: the store already serves ${watchersMax} watchers, the limit`,
      ETCD_ERROR_MESSAGES.tooManyWatchers,
      GrpcCode.ResourceExhausted,
    );
    this.name = "TooManyWatchersError";
  }
}

/**
 * A client's request carries a sequence number older than the last one applied for that client: it is a
 * late retry of a request whose answer the client has already moved past.
 *
 * @example
 * ```ts
 * import { StaleSequenceError } from "./errors.ts";
 * console.log(new StaleSequenceError(4, 2, 3).message);
 * ```
 */
export class StaleSequenceError extends KvError {
  /**
   * @param clientId The client.
   * @param sequence The request's sequence.
   * @param sequenceApplied The client's last applied sequence.
   */
  constructor(clientId: number, sequence: number, sequenceApplied: number) {
    super(
      `Cannot apply request ${sequence} of client ${clientId}: request ${sequenceApplied} was already applied`,
      ETCD_ERROR_MESSAGES.staleSequence,
      GrpcCode.FailedPrecondition,
    );
    this.name = "StaleSequenceError";
  }
}

/**
 * Encoded bytes (a command or a snapshot) are malformed.
 *
 * @example
 * ```ts
 * import { CodecError } from "./errors.ts";
 * console.log(new CodecError("command", 3, "unknown tag 99").message);
 * ```
 */
export class CodecError extends KvError {
  /**
   * @param what What was being decoded.
   * @param offset The byte offset of the fault.
   * @param reason What is wrong.
   */
  constructor(what: string, offset: number, reason: string) {
    super(
      `Cannot decode ${what} at byte ${offset}: ${reason}`,
      ETCD_ERROR_MESSAGES.invalidArgument,
      GrpcCode.InvalidArgument,
    );
    this.name = "CodecError";
  }
}

/**
 * A lock or election entry vanished while waiting: its session's lease expired or was revoked.
 *
 * @example
 * ```ts
 * import { SessionExpiredError } from "./errors.ts";
 * console.log(new SessionExpiredError("lock", "jobs/1f").message);
 * ```
 */
export class SessionExpiredError extends KvError {
  /**
   * @param recipe "lock" or "election".
   * @param key The entry's key, rendered.
   */
  constructor(recipe: string, key: string) {
    super(
      `Cannot hold ${recipe} entry "${key}": it was deleted (its session's lease expired or was revoked)`,
      `${recipe}: session expired`,
      GrpcCode.FailedPrecondition,
    );
    this.name = "SessionExpiredError";
  }
}

/**
 * A proclaim or resign by a campaigner that is no longer (or never was) the leader.
 *
 * @example
 * ```ts
 * import { ElectionNotLeaderError } from "./errors.ts";
 * console.log(new ElectionNotLeaderError("proclaim", "e/1").etcdMessage); // "election: not leader"
 * ```
 */
export class ElectionNotLeaderError extends KvError {
  /**
   * @param action What was attempted.
   * @param key The leader key, rendered.
   */
  constructor(action: string, key: string) {
    super(
      `Cannot ${action} with leader key "${key}": it is not the leader`,
      "election: not leader",
      GrpcCode.FailedPrecondition,
    );
    this.name = "ElectionNotLeaderError";
  }
}

/**
 * An election has no leader.
 *
 * @example
 * ```ts
 * import { ElectionNoLeaderError } from "./errors.ts";
 * console.log(new ElectionNoLeaderError("e").etcdMessage); // "election: no leader"
 * ```
 */
export class ElectionNoLeaderError extends KvError {
  /** @param name The election, rendered. */
  constructor(name: string) {
    super(
      `Cannot find the leader of election "${name}": it has none`,
      "election: no leader",
      GrpcCode.NotFound,
    );
    this.name = "ElectionNoLeaderError";
  }
}
