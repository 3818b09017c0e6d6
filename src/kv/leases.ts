/**
 * The lease table. Replicated part: id, granted TTL, remaining TTL as of the last grant, keepalive or
 * checkpoint, attached keys. Leader-local part: each lease's expiry on the leader's monotonic clock,
 * rebased by {@link LeaseTable.promote} when a node becomes leader, so remaining TTL survives a leader change.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { compareBytes } from "./bytes.ts";
import { LeaseExistsError, LeaseNotFoundError, LeaseTtlTooLargeError, ValidationError } from "./errors.ts";
import { LEASE_TTL_SECONDS_MAX, LEASES_MAX } from "./limits.ts";
import type { LeaderClock } from "./types.ts";

/** One lease. `expiresAtMs` is on the clock of the last promoted leader, meaningful only there. */
export interface Lease {
  readonly id: number;
  readonly ttlSeconds: number;
  remainingTtlMs: number;
  expiresAtMs: number;
  /** Attached keys by their latin-1 string form. */
  readonly keys: Map<string, Uint8Array>;
}

/**
 * The minimum lease TTL for an election timeout: ceil(1.5 x election timeout), as etcd.
 *
 * @param electionTimeoutMs The Raft election timeout in milliseconds.
 * @returns The minimum TTL in whole seconds (at least 1).
 * @example
 * ```ts
 * import { minimumLeaseTtlSeconds } from "./leases.ts";
 * console.log(minimumLeaseTtlSeconds(1000)); // 2
 * ```
 */
export function minimumLeaseTtlSeconds(electionTimeoutMs: number): number {
  return Math.max(1, Math.ceil((1.5 * electionTimeoutMs) / 1000));
}

/**
 * A key's string form for maps (one char per byte).
 *
 * @param key The key.
 * @returns The map key.
 * @example
 * ```ts
 * import { keyString } from "./leases.ts";
 * console.log(keyString(new Uint8Array([97]))); // "a"
 * ```
 */
export function keyString(key: Uint8Array): string {
  let text = "";
  for (let i = 0; i < key.length; i++) text += String.fromCharCode(key[i]!);
  return text;
}

/**
 * The lease table.
 *
 * @example
 * ```ts
 * import { LeaseTable } from "./leases.ts";
 * const table = new LeaseTable(1);
 * const lease = table.grant(0, 10, { term: 1, nowMs: 0 });
 * console.log(lease.id, lease.ttlSeconds); // 1 10
 * ```
 */
export class LeaseTable {
  readonly leases: Map<number, Lease> = new Map();
  /** Replicated: the next id tried when a grant asks for id 0. */
  idNext = 1;
  readonly ttlSecondsMin: number;
  // Leader-local: the term whose clock `expiresAtMs` values are on (0: not leader), and the latest time seen.
  #clockTerm = 0;
  #lastNowMs = 0;

  /** @param ttlSecondsMin The minimum TTL (a shorter grant is raised to it). */
  constructor(ttlSecondsMin: number) {
    assert(
      Number.isSafeInteger(ttlSecondsMin) && ttlSecondsMin >= 1,
      "ttlSecondsMin must be a positive integer",
    );
    this.ttlSecondsMin = ttlSecondsMin;
  }

  /** @returns Whether this node's expiries are on its own clock (it was promoted and not demoted). */
  get promoted(): boolean {
    return this.#clockTerm !== 0;
  }

  /**
   * Checks a grant without changing anything.
   *
   * @param id The id asked for (0: pick one).
   * @param ttlSeconds The TTL asked for.
   * @throws {LeaseExistsError} When the id is taken.
   * @throws {LeaseTtlTooLargeError} Above {@link LEASE_TTL_SECONDS_MAX}.
   * @throws {ValidationError} For a malformed id or TTL, or when {@link LEASES_MAX} leases exist.
   */
  checkGrant(id: number, ttlSeconds: number): void {
    if (!Number.isSafeInteger(id) || id < 0) {
      throw new ValidationError("ID", `Cannot grant lease ${id}: bad id`);
    }
    if (!Number.isSafeInteger(ttlSeconds)) {
      throw new ValidationError("TTL", `Cannot grant a lease of ${ttlSeconds} s`);
    }
    if (ttlSeconds > LEASE_TTL_SECONDS_MAX) {
      throw new LeaseTtlTooLargeError(ttlSeconds, LEASE_TTL_SECONDS_MAX);
    }
    if (id !== 0 && this.leases.has(id)) throw new LeaseExistsError(id);
    if (this.leases.size >= LEASES_MAX) {
      throw new ValidationError("ID", `Cannot grant a lease: ${LEASES_MAX} leases exist, the limit`);
    }
  }

  /**
   * Grants a lease (after {@link checkGrant}).
   *
   * @param id The id (0: the next free id).
   * @param ttlSeconds The TTL asked for (raised to the minimum).
   * @param clock The proposing leader's clock.
   * @returns The new lease.
   */
  grant(id: number, ttlSeconds: number, clock: LeaderClock): Lease {
    this.checkGrant(id, ttlSeconds);
    let leaseId = id;
    if (leaseId === 0) {
      while (this.leases.has(this.idNext)) this.idNext++;
      leaseId = this.idNext++;
    }
    const ttl = Math.max(ttlSeconds, this.ttlSecondsMin);
    const lease: Lease = {
      id: leaseId,
      ttlSeconds: ttl,
      remainingTtlMs: ttl * 1000,
      expiresAtMs: this.#expiry(clock, ttl * 1000),
      keys: new Map(),
    };
    this.leases.set(leaseId, lease);
    return lease;
  }

  /**
   * Finds a lease or fails.
   *
   * @param action What is attempted, for the message.
   * @param id The lease id.
   * @returns The lease.
   * @throws {LeaseNotFoundError} When absent.
   */
  require(action: string, id: number): Lease {
    const lease = this.leases.get(id);
    if (lease === undefined) throw new LeaseNotFoundError(action, id);
    return lease;
  }

  /**
   * Restarts a lease's TTL.
   *
   * @param id The lease id.
   * @param clock The proposing leader's clock.
   * @returns The lease.
   * @throws {LeaseNotFoundError} When absent.
   */
  keepAlive(id: number, clock: LeaderClock): Lease {
    const lease = this.require("keep alive", id);
    lease.remainingTtlMs = lease.ttlSeconds * 1000;
    lease.expiresAtMs = this.#expiry(clock, lease.remainingTtlMs);
    return lease;
  }

  /**
   * Records a leader's checkpoint of a lease's remaining TTL (ignored for a lease that is gone).
   *
   * @param id The lease id.
   * @param remainingTtlMs The remaining TTL the leader measured.
   * @returns Whether the lease existed.
   */
  checkpoint(id: number, remainingTtlMs: number): boolean {
    const lease = this.leases.get(id);
    if (lease === undefined) return false;
    lease.remainingTtlMs = Math.max(0, Math.min(remainingTtlMs, lease.ttlSeconds * 1000));
    return true;
  }

  /**
   * Removes a lease (its keys must already be deleted).
   *
   * @param id The lease id.
   */
  remove(id: number): void {
    const removed = this.leases.delete(id);
    assert(removed, () => `LeaseTable.remove: lease ${id} absent`);
  }

  /**
   * Attaches a key to a lease, or detaches it (lease 0 attaches nothing).
   *
   * @param key The key.
   * @param fromLease The lease it was attached to (0: none).
   * @param toLease The lease it is now attached to (0: none).
   */
  moveKey(key: Uint8Array, fromLease: number, toLease: number): void {
    if (fromLease === toLease) return;
    const id = keyString(key);
    if (fromLease !== 0) this.leases.get(fromLease)?.keys.delete(id);
    if (toLease !== 0) {
      const lease = this.leases.get(toLease);
      assert(lease !== undefined, () => `attaching to missing lease ${toLease}`);
      lease.keys.set(id, key);
    }
  }

  /**
   * A lease's keys in key order.
   *
   * @param lease The lease.
   * @returns Its attached keys, sorted.
   */
  sortedKeys(lease: Lease): Uint8Array[] {
    return [...lease.keys.values()].sort(compareBytes);
  }

  /**
   * Makes this node's clock the lease clock (call when this node becomes leader): every expiry becomes
   * now + the replicated remaining TTL.
   *
   * @param term The new leader's term.
   * @param nowMs The new leader's monotonic time.
   */
  promote(term: number, nowMs: number): void {
    assert(term > 0, "promote needs a positive term");
    this.#clockTerm = term;
    this.#lastNowMs = nowMs;
    for (const lease of this.leases.values()) lease.expiresAtMs = nowMs + lease.remainingTtlMs;
  }

  /** Stops treating expiries as this node's (call when this node stops being leader). */
  demote(): void {
    this.#clockTerm = 0;
  }

  /**
   * Records the leader's current time (so commands proposed by an older leader get sane expiries).
   *
   * @param nowMs The leader's monotonic time.
   */
  observeTime(nowMs: number): void {
    if (nowMs > this.#lastNowMs) this.#lastNowMs = nowMs;
  }

  /**
   * Remaining TTL of a lease in milliseconds: from the leader clock when promoted, else the replicated value.
   *
   * @param lease The lease.
   * @param nowMs The caller's time (used only when promoted).
   * @returns Milliseconds left, at least 0.
   */
  remainingMs(lease: Lease, nowMs: number): number {
    if (!this.promoted) return lease.remainingTtlMs;
    return Math.max(0, lease.expiresAtMs - nowMs);
  }

  #expiry(clock: LeaderClock, ttlMs: number): number {
    if (this.#clockTerm === 0 || clock.term === this.#clockTerm) {
      this.observeTime(clock.nowMs);
      return clock.nowMs + ttlMs;
    }
    // Proposed under another leader's clock: start the TTL from the latest time this leader has seen.
    return this.#lastNowMs + ttlMs;
  }
}
