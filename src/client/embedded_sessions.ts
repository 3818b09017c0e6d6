/**
 * Session recipes over any key-value service: a lease kept alive in the background, locks with fencing
 * tokens and elections, each holding a session lease that is revoked when it is released.
 *
 * @module
 */

import type { ConcurrencyKv } from "../kv/concurrency.ts";
import { campaign, electionLeader, ElectionObserver, proclaim, resign } from "../kv/election.ts";
import { ElectionNoLeaderError, LeaseNotFoundError } from "../kv/errors.ts";
import { acquireLock, releaseLock } from "../kv/lock.ts";
import type { KeyValue } from "../kv/types.ts";
import { toBytes } from "./embedded_request.ts";
import type { Bytes, Election, KeepAlive, Leadership, Lease, Lock } from "./types.ts";

/** Default TTL of the session lease of a lock or a campaign. */
export const SESSION_TTL_SECONDS_DEFAULT = 10;
/** Shortest interval between background renewals. */
export const KEEP_ALIVE_INTERVAL_MS_MIN = 50;

/** What the recipes need besides range/txn/watch. */
export interface SessionHost {
  kv: ConcurrencyKv;
  grantLease(ttlSeconds: number): Promise<Lease>;
  revokeLease(id: number): Promise<void>;
  keepAliveOnce(id: number): Promise<number>;
  /** Starts background renewal of a lease (tracked by the client, so closing it stops them all). */
  startKeepAlive(id: number): KeepAlive;
  /** Whether an error means "stop trying" (lease gone, engine stopped) rather than "retry later". */
  isFinal(error: unknown): boolean;
}

/**
 * Renews a lease in the background: every `intervalMs`, or every third of its TTL learned from the first
 * renewal. Transient failures are retried at the next interval; a lost lease ends it.
 *
 * @example
 * ```ts ignore
 * const keepAlive = new KeepAliveLoop(host, leaseId, undefined);
 * await keepAlive.stop();
 * ```
 */
export class KeepAliveLoop implements KeepAlive {
  readonly leaseId: number;
  readonly done: Promise<Error | null>;
  readonly #host: SessionHost;
  #intervalMs: number | undefined;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #finish: (outcome: Error | null) => void = () => {};
  #finished = false;

  /**
   * @param host The service.
   * @param leaseId The lease.
   * @param intervalMs The renewal period (default: a third of the TTL).
   */
  constructor(host: SessionHost, leaseId: number, intervalMs: number | undefined) {
    this.#host = host;
    this.leaseId = leaseId;
    this.#intervalMs = intervalMs;
    this.done = new Promise((resolve) => this.#finish = resolve);
    this.#renew();
  }

  /** @returns Resolves once renewals have stopped. */
  stop(): Promise<void> {
    this.#end(null);
    return Promise.resolve();
  }

  /** Same as {@link stop}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  #renew(): void {
    this.#timer = null;
    if (this.#finished) return;
    this.#host.keepAliveOnce(this.leaseId).then(
      (ttlSeconds) => {
        this.#intervalMs ??= Math.max(KEEP_ALIVE_INTERVAL_MS_MIN, (ttlSeconds * 1000) / 3);
        this.#schedule();
      },
      (error: unknown) => {
        if (this.#host.isFinal(error)) this.#end(error instanceof Error ? error : new Error(String(error)));
        else this.#schedule();
      },
    );
  }

  #schedule(): void {
    if (this.#finished) return;
    this.#timer = setTimeout(() => this.#renew(), this.#intervalMs ?? KEEP_ALIVE_INTERVAL_MS_MIN);
  }

  #end(outcome: Error | null): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#finish(outcome);
  }
}

/** A session: a lease and its keepalive, ended together. */
interface Session {
  lease: Lease;
  keep: KeepAlive;
}

async function openSession(host: SessionHost, ttlSeconds: number): Promise<Session> {
  const lease = await host.grantLease(ttlSeconds);
  return { lease, keep: host.startKeepAlive(lease.id) };
}

async function closeSession(host: SessionHost, session: Session): Promise<void> {
  await session.keep.stop();
  await host.revokeLease(session.lease.id).catch((error: unknown) => {
    if (!(error instanceof LeaseNotFoundError)) throw error;
  });
}

/**
 * Acquires a lock held by its own session lease.
 *
 * @param host The service.
 * @param name The lock's name.
 * @param ttlSeconds The session lease's TTL.
 * @returns The held lock.
 * @throws {SessionExpiredError} When the session was lost while waiting.
 * @example
 * ```ts ignore
 * await using lock = await acquireSessionLock(host, "jobs", 10);
 * ```
 */
export async function acquireSessionLock(host: SessionHost, name: Bytes, ttlSeconds: number): Promise<Lock> {
  const session = await openSession(host, ttlSeconds);
  let handle;
  try {
    handle = await acquireLock(host.kv, toBytes(name), session.lease.id);
  } catch (error) {
    await closeSession(host, session).catch(() => {});
    throw error;
  }
  let released: Promise<void> | null = null;
  const release = () =>
    released ??= releaseLock(host.kv, handle).then(() => closeSession(host, session), (error) => {
      void closeSession(host, session).catch(() => {});
      throw error;
    });
  return {
    name: handle.name,
    key: handle.key,
    fencingToken: handle.revision,
    leaseId: session.lease.id,
    release,
    [Symbol.asyncDispose]: release,
  };
}

/**
 * An election over a service.
 *
 * @param host The service.
 * @param name The election's name.
 * @returns The election.
 * @example
 * ```ts ignore
 * const leadership = await sessionElection(host, "scheduler").campaign("node-a");
 * ```
 */
export function sessionElection(host: SessionHost, name: Bytes): Election {
  const nameBytes = toBytes(name);
  return {
    name: nameBytes,
    campaign: async (value, options = {}) => {
      const session = await openSession(host, options.ttlSeconds ?? SESSION_TTL_SECONDS_DEFAULT);
      try {
        const key = await campaign(host.kv, nameBytes, session.lease.id, toBytes(value));
        return leadershipOf(host, key, session);
      } catch (error) {
        await closeSession(host, session).catch(() => {});
        throw error;
      }
    },
    leader: async () => {
      try {
        return await electionLeader(host.kv, nameBytes);
      } catch (error) {
        if (error instanceof ElectionNoLeaderError) return null;
        throw error;
      }
    },
    observe: (signal) => observeElection(host.kv, nameBytes, signal),
  };
}

function leadershipOf(
  host: SessionHost,
  key: Awaited<ReturnType<typeof campaign>>,
  session: Session,
): Leadership {
  let resigned: Promise<void> | null = null;
  const resignOnce = () => resigned ??= resign(host.kv, key).then(() => closeSession(host, session));
  return {
    name: key.name,
    key: key.key,
    revision: key.revision,
    leaseId: key.leaseId,
    proclaim: async (value) => {
      await proclaim(host.kv, key, toBytes(value));
    },
    resign: resignOnce,
    [Symbol.asyncDispose]: resignOnce,
  };
}

async function* observeElection(
  kv: ConcurrencyKv,
  name: Uint8Array,
  signal?: AbortSignal,
): AsyncIterable<KeyValue> {
  const observer = new ElectionObserver(kv, name);
  const abort = () => observer.cancel();
  signal?.addEventListener("abort", abort, { once: true });
  try {
    while (signal?.aborted !== true) {
      const leader = await observer.next();
      if (leader === null) return;
      yield leader;
    }
  } finally {
    signal?.removeEventListener("abort", abort);
    observer.cancel();
  }
}
