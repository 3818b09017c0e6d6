/**
 * Watches, fed from the store's per-revision change log. A watcher is a cursor (`nextRevision`) into that
 * log: history replay and live delivery are the same read, so every revision is delivered whole, in order,
 * once. A watcher that falls more than its pending-event limit behind is cancelled with a reason saying
 * where to resume; one whose cursor is compacted away is cancelled with the compact revision.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { TooManyWatchersError } from "./errors.ts";
import {
  WATCH_EVENTS_PER_RESPONSE_MAX,
  WATCH_PENDING_EVENTS_MAX,
  WATCH_SCAN_REVISIONS_MAX,
} from "./limits.ts";
import { inBounds, type KeyBounds, keyBounds, type MvccStore, type RevisionRecord } from "./mvcc.ts";
import type { KeyValue } from "./types.ts";
import { validateCount, validateKey } from "./validate.ts";

/** What to watch and how. */
export interface WatchOptions {
  key: Uint8Array;
  /** Same rules as a range: absent = the key, `[0]` = every key >= key, else [key, rangeEnd). */
  rangeEnd?: Uint8Array;
  /** First revision to deliver; 0 or absent = only changes after now. */
  startRevision?: number;
  prevKv?: boolean;
  noPut?: boolean;
  noDelete?: boolean;
  /** Receive progress notifications whenever the store's owner calls `notifyProgress()`. */
  progressNotify?: boolean;
  /** Most events per response (a bigger revision is still sent whole). */
  eventsPerResponseMax?: number;
  /** Undelivered live events tolerated before the watcher is cancelled as too slow. */
  pendingEventsMax?: number;
}

/** One change seen by a watcher. */
export interface WatchEvent {
  type: "put" | "delete";
  kv: KeyValue;
  prevKv?: KeyValue;
}

/**
 * One message to a watcher: `created`, a batch of `events` (whole revisions), a progress notification
 * (no flags, no events: everything up to `header.revision` was delivered) or `canceled`.
 */
export interface WatchResponse {
  watchId: number;
  header: { revision: number };
  created: boolean;
  canceled: boolean;
  /** Set with `canceled` when the watcher's next revision was compacted away. */
  compactRevision: number;
  cancelReason: string;
  events: WatchEvent[];
}

/**
 * A watcher. Pull its responses with {@link Watcher.poll}; set {@link Watcher.onReady} to learn when there
 * is something to pull (it is called synchronously by the store: schedule work, do not re-enter the store).
 *
 * @example
 * ```ts
 * import { KvStore, utf8 } from "./mod.ts";
 * const store = new KvStore();
 * const watcher = store.watch({ key: utf8("a") });
 * console.log(watcher.poll()?.created); // true
 * ```
 */
export class Watcher {
  readonly id: number;
  readonly bounds: KeyBounds;
  readonly options: Readonly<WatchOptions>;
  /** Called when the watcher has something new to poll. */
  onReady: ((watcher: Watcher) => void) | null = null;
  // Invariant: every revision < nextRevision that matches has been returned by poll(), exactly once.
  #nextRevision: number;
  readonly #createdAtRevision: number;
  readonly #hub: WatchHub;
  #createdSent = false;
  #cancelReason: string | null = null;
  #closed = false;
  #progressRequested = false;
  /** Matching live events (revisions after creation) not yet delivered. */
  #pendingLiveEvents = 0;

  /**
   * @param hub The hub serving it.
   * @param id Its id.
   * @param options What it watches.
   */
  constructor(hub: WatchHub, id: number, options: WatchOptions) {
    this.#hub = hub;
    this.id = id;
    this.options = options;
    this.bounds = keyBounds(options.key, options.rangeEnd);
    const current = hub.mvcc.currentRevision;
    const start = options.startRevision ?? 0;
    this.#nextRevision = start > 0 ? start : current + 1;
    this.#createdAtRevision = current;
  }

  /** @returns The next revision this watcher will deliver: resume a new watch from here. */
  get nextRevision(): number {
    return this.#nextRevision;
  }

  /** @returns Whether the watcher has ended (its cancel response was polled, or it was cancelled). */
  get closed(): boolean {
    return this.#closed;
  }

  /** @returns Whether {@link poll} would return a response now. */
  get hasPending(): boolean {
    if (this.#closed) return false;
    if (!this.#createdSent || this.#cancelReason !== null) return true;
    const mvcc = this.#hub.mvcc;
    if (this.#nextRevision < mvcc.compactRevision) return true;
    if (this.#nextRevision <= mvcc.currentRevision) return true;
    return this.#progressRequested;
  }

  /** Asks for a progress notification once every event up to the current revision is delivered. */
  requestProgress(): void {
    if (this.#closed) return;
    this.#progressRequested = true;
    this.#hub.wake(this);
  }

  /** Ends the watcher without a cancel response (the consumer cancelled it). */
  cancel(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.remove(this);
  }

  /**
   * Takes the next response. One call examines at most {@link WATCH_SCAN_REVISIONS_MAX} revisions, so a
   * null answer while {@link hasPending} is still true means "call again".
   *
   * @returns A response, or null when nothing is due now.
   */
  poll(): WatchResponse | null {
    if (this.#closed) return null;
    const mvcc = this.#hub.mvcc;
    if (!this.#createdSent) {
      this.#createdSent = true;
      return this.#response({ created: true });
    }
    if (this.#cancelReason !== null) return this.#close(this.#cancelReason, 0);
    if (this.#nextRevision < mvcc.compactRevision) {
      return this.#close(
        `watch ${this.id} cannot resume at revision ${this.#nextRevision}: it has been compacted (compact revision ${mvcc.compactRevision})`,
        mvcc.compactRevision,
      );
    }
    const events = this.#collect(mvcc);
    if (events.length > 0) return this.#response({ events });
    if (this.#progressRequested && this.#nextRevision > mvcc.currentRevision) {
      this.#progressRequested = false;
      return this.#response({});
    }
    return null;
  }

  /**
   * Counts a new revision's matching events (called by the hub after each applied revision). A caught-up
   * watcher skips a revision with nothing for it, so it stays caught up.
   *
   * @param record The new revision.
   * @returns Whether the watcher has something new to deliver (events, or its slow-watcher cancel).
   */
  noteRevision(record: RevisionRecord): boolean {
    if (this.#closed || this.#cancelReason !== null || record.revision < this.#nextRevision) return false;
    let matched = 0;
    for (const event of record.events) if (this.#matches(event.type, event.kv.key)) matched++;
    if (matched === 0) {
      if (record.revision === this.#nextRevision) this.#nextRevision = record.revision + 1;
      return false;
    }
    this.#pendingLiveEvents += matched;
    const limit = this.options.pendingEventsMax ?? WATCH_PENDING_EVENTS_MAX;
    if (this.#pendingLiveEvents > limit) {
      this.#cancelReason = `watch ${this.id} is too slow: more than ${limit} events are undelivered; ` +
        `watch again from revision ${this.#nextRevision} to resume`;
    }
    return true;
  }

  /**
   * Recounts the undelivered live events after the store's state was replaced by a snapshot: the restored
   * history may hold revisions after this watcher's creation that no {@link noteRevision} call counted.
   */
  noteRestored(): void {
    if (this.#closed || this.#cancelReason !== null) return;
    const mvcc = this.#hub.mvcc;
    const log = mvcc.changelog;
    let pending = 0;
    const from = Math.max(this.#nextRevision, this.#createdAtRevision + 1);
    for (let position = mvcc.changelogPosition(from); position < log.length; position++) {
      for (const event of log[position]!.events) if (this.#matches(event.type, event.kv.key)) pending++;
    }
    this.#pendingLiveEvents = pending;
    const limit = this.options.pendingEventsMax ?? WATCH_PENDING_EVENTS_MAX;
    if (pending > limit) {
      this.#cancelReason =
        `watch ${this.id} is too slow: more than ${limit} events are undelivered after a ` +
        `snapshot install; watch again from revision ${this.#nextRevision} to resume`;
    }
  }

  #collect(mvcc: MvccStore): WatchEvent[] {
    const eventsMax = this.options.eventsPerResponseMax ?? WATCH_EVENTS_PER_RESPONSE_MAX;
    const events: WatchEvent[] = [];
    const log = mvcc.changelog;
    let position = mvcc.changelogPosition(this.#nextRevision);
    for (
      let scanned = 0;
      position < log.length && scanned < WATCH_SCAN_REVISIONS_MAX;
      scanned++, position++
    ) {
      const record = log[position]!;
      const matched = this.#eventsOf(mvcc, record);
      if (events.length > 0 && events.length + matched.length > eventsMax) break;
      for (const event of matched) events.push(event);
      this.#nextRevision = record.revision + 1;
      if (record.revision > this.#createdAtRevision) this.#pendingLiveEvents -= matched.length;
      assert(this.#pendingLiveEvents >= 0, "watcher pending count went negative");
    }
    if (position >= log.length && this.#nextRevision <= mvcc.currentRevision) {
      this.#nextRevision = mvcc.currentRevision + 1;
    }
    return events;
  }

  #eventsOf(mvcc: MvccStore, record: RevisionRecord): WatchEvent[] {
    const events: WatchEvent[] = [];
    for (const event of record.events) {
      if (!this.#matches(event.type, event.kv.key)) continue;
      const watchEvent: WatchEvent = { type: event.type, kv: event.kv };
      if (this.options.prevKv === true) {
        const prev = mvcc.previous(event.kv.key, record.revision);
        if (prev !== undefined) watchEvent.prevKv = prev;
      }
      events.push(watchEvent);
    }
    return events;
  }

  #matches(type: "put" | "delete", key: Uint8Array): boolean {
    if (type === "put" && this.options.noPut === true) return false;
    if (type === "delete" && this.options.noDelete === true) return false;
    return inBounds(this.bounds, key);
  }

  #close(reason: string, compactRevision: number): WatchResponse {
    this.#closed = true;
    this.#hub.remove(this);
    return this.#response({ canceled: true, cancelReason: reason, compactRevision });
  }

  #response(fields: Partial<WatchResponse>): WatchResponse {
    return {
      watchId: this.id,
      header: { revision: this.#hub.mvcc.currentRevision },
      created: false,
      canceled: false,
      compactRevision: 0,
      cancelReason: "",
      events: [],
      ...fields,
    };
  }
}

/**
 * The store's watchers: creation (bounded by `watchersMax`), wake-ups after each revision and compaction.
 *
 * @example
 * ```ts
 * import { MvccStore } from "./mvcc.ts";
 * import { WatchHub } from "./watch.ts";
 * const hub = new WatchHub(new MvccStore(), 10);
 * console.log(hub.size); // 0
 * ```
 */
export class WatchHub {
  readonly mvcc: MvccStore;
  readonly watchersMax: number;
  readonly #watchers = new Map<number, Watcher>();
  #idNext = 1;

  /**
   * @param mvcc The store the watchers read.
   * @param watchersMax Most watchers at once.
   */
  constructor(mvcc: MvccStore, watchersMax: number) {
    this.mvcc = mvcc;
    this.watchersMax = watchersMax;
  }

  /** @returns How many watchers are open. */
  get size(): number {
    return this.#watchers.size;
  }

  /**
   * Opens a watcher.
   *
   * @param options What to watch.
   * @returns The watcher; its first poll answers `created`.
   * @throws {TooManyWatchersError} At the limit.
   * @throws {ValidationError} For a bad key or start revision.
   */
  watch(options: WatchOptions): Watcher {
    validateKey("watch", options.key);
    validateCount("startRevision", options.startRevision);
    if (this.#watchers.size >= this.watchersMax) throw new TooManyWatchersError(this.watchersMax);
    const watcher = new Watcher(this, this.#idNext++, options);
    this.#watchers.set(watcher.id, watcher);
    return watcher;
  }

  /**
   * Finds an open watcher by id.
   *
   * @param id The id.
   * @returns The watcher, or undefined.
   */
  get(id: number): Watcher | undefined {
    return this.#watchers.get(id);
  }

  /**
   * Tells every watcher about a new revision and wakes those with something to deliver.
   *
   * @param record The new revision.
   */
  noteRevision(record: RevisionRecord): void {
    for (const watcher of [...this.#watchers.values()]) {
      if (watcher.noteRevision(record)) this.wake(watcher);
    }
  }

  /** Wakes every watcher (after compaction or a snapshot restore, which may cancel some). */
  wakeAll(): void {
    for (const watcher of [...this.#watchers.values()]) if (watcher.hasPending) this.wake(watcher);
  }

  /** Recounts every watcher's undelivered events after a snapshot install, then wakes those with news. */
  restored(): void {
    for (const watcher of this.#watchers.values()) watcher.noteRestored();
    this.wakeAll();
  }

  /** Asks every watcher created with `progressNotify` for a progress notification. */
  notifyProgress(): void {
    for (const watcher of [...this.#watchers.values()]) {
      if (watcher.options.progressNotify === true) watcher.requestProgress();
    }
  }

  /**
   * Calls a watcher's `onReady`.
   *
   * @param watcher The watcher.
   */
  wake(watcher: Watcher): void {
    watcher.onReady?.(watcher);
  }

  /**
   * Forgets a closed watcher.
   *
   * @param watcher The watcher.
   */
  remove(watcher: Watcher): void {
    this.#watchers.delete(watcher.id);
  }
}
