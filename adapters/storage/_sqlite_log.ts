/**
 * The log on SQLite, shared by the `bun:sqlite` and `node:sqlite` adapters through a structural database type:
 * WAL journal mode, synchronous=FULL (a commit is durable when it returns), one transaction per batch,
 * prepared statements. Terms stay in memory (loaded on open); entry data is read from the table.
 *
 * @module
 */

import { CorruptionError, StorageWriteError } from "../../src/ports/storage.ts";
import type { Entry, EntryType } from "../../src/raft/types.ts";
import { assert } from "../../src/util/assert.ts";
import { CommittedLog, errorCode } from "./_committed_log.ts";
import type { LogOp } from "./_log_state.ts";

/** A value bound to a statement parameter. */
export type SqlValue = number | string | Uint8Array | null;

/** The part of a prepared statement both `bun:sqlite` and `node:sqlite` offer. */
export interface SqlStatement {
  run(...params: SqlValue[]): unknown;
  get(...params: SqlValue[]): unknown;
  all(...params: SqlValue[]): unknown[];
}

/** The part of a database both `bun:sqlite` and `node:sqlite` offer. */
export interface SqlDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): SqlStatement;
  close(): unknown;
}

const SCHEMA = [
  "PRAGMA journal_mode=WAL",
  "PRAGMA synchronous=FULL",
  "CREATE TABLE IF NOT EXISTS log_entries (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, " +
  "type INTEGER NOT NULL, data BLOB NOT NULL)",
  "CREATE TABLE IF NOT EXISTS log_meta (id INTEGER PRIMARY KEY CHECK (id = 1), term INTEGER NOT NULL, " +
  "vote INTEGER NOT NULL, commit_index INTEGER NOT NULL, compact_index INTEGER NOT NULL, compact_term INTEGER NOT NULL)",
  "INSERT OR IGNORE INTO log_meta VALUES (1, 0, 0, 0, 0, 0)",
];

interface Statements {
  insert: SqlStatement;
  deleteFrom: SqlStatement;
  deleteThrough: SqlStatement;
  deleteAll: SqlStatement;
  saveHardState: SqlStatement;
  saveCompaction: SqlStatement;
  readOne: SqlStatement;
}

/** SQLite's primary result codes for the conditions callers must tell apart. */
const SQLITE_CODES: Record<number, string> = { 8: "SQLITE_READONLY", 10: "SQLITE_IOERR", 13: "SQLITE_FULL" };

function sqliteErrorCode(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const record = error as { errcode?: unknown; code?: unknown };
    if (typeof record.errcode === "number") {
      return SQLITE_CODES[record.errcode & 0xff] ?? `SQLITE_${record.errcode}`;
    }
    if (typeof record.code === "string" && record.code.startsWith("SQLITE_")) return record.code;
  }
  return errorCode(error);
}

/**
 * A {@link LogStorage} in a SQLite database.
 *
 * @example
 * ```ts
 * import { SqliteLogStorage } from "./_sqlite_log.ts";
 * import { DatabaseSync } from "node:sqlite";
 * const log = SqliteLogStorage.open(new DatabaseSync(":memory:"), ":memory:");
 * await log.append([{ index: 1, term: 1, type: 0, data: new Uint8Array([5]) }]);
 * console.log(log.entries(1, 2, 100)[0]?.data[0]); // 5
 * ```
 */
export class SqliteLogStorage extends CommittedLog<number> {
  readonly #db: SqlDatabase;
  readonly #path: string;
  readonly #sql: Statements;

  private constructor(db: SqlDatabase, path: string) {
    super();
    this.#db = db;
    this.#path = path;
    for (const statement of SCHEMA) db.exec(statement);
    this.#sql = {
      insert: db.prepare("INSERT INTO log_entries (idx, term, type, data) VALUES (?, ?, ?, ?)"),
      deleteFrom: db.prepare("DELETE FROM log_entries WHERE idx >= ?"),
      deleteThrough: db.prepare("DELETE FROM log_entries WHERE idx <= ?"),
      deleteAll: db.prepare("DELETE FROM log_entries"),
      saveHardState: db.prepare("UPDATE log_meta SET term = ?, vote = ?, commit_index = ? WHERE id = 1"),
      saveCompaction: db.prepare("UPDATE log_meta SET compact_index = ?, compact_term = ? WHERE id = 1"),
      readOne: db.prepare("SELECT idx, term, type, data FROM log_entries WHERE idx = ?"),
    };
    this.#load();
    this.resetProjection();
  }

  /**
   * Prepares the schema in `db` and loads the log.
   *
   * @param db An open database (its file is the log's).
   * @param path The database's path, for error messages.
   * @returns The log.
   * @throws {CorruptionError} When the stored entries have a hole or a term going down.
   */
  static open(db: SqlDatabase, path: string): SqliteLogStorage {
    return new SqliteLogStorage(db, path);
  }

  #load(): void {
    const meta = this.#db.prepare("SELECT * FROM log_meta WHERE id = 1").get() as Record<string, number>;
    this.state.hardState = { term: meta.term!, vote: meta.vote!, commit: meta.commit_index! };
    this.state.compact(meta.compact_index!, meta.compact_term!, true);
    const rows = this.#db.prepare("SELECT idx, term FROM log_entries ORDER BY idx").all() as {
      idx: number;
      term: number;
    }[];
    for (const row of rows) {
      const expected = this.state.lastIndex() + 1;
      const previousTerm = this.state.term(expected - 1);
      if (row.idx !== expected || row.term < previousTerm) {
        throw new CorruptionError(`entry ${row.idx} (term ${row.term}) where ${expected} was expected`, {
          file: this.#path,
          offsetBytes: -1,
          index: expected,
        });
      }
      this.state.appendOne(row.idx, row.term, 0);
    }
  }

  protected persist(ops: readonly LogOp[]): void {
    const sql = this.#sql;
    try {
      this.#db.exec("BEGIN IMMEDIATE");
      for (const op of ops) {
        if (op.kind === "entries") {
          sql.deleteFrom.run(op.entries[0]!.index);
          for (const entry of op.entries) sql.insert.run(entry.index, entry.term, entry.type, entry.data);
        } else if (op.kind === "hardState") {
          sql.saveHardState.run(op.hardState.term, op.hardState.vote, op.hardState.commit);
        } else if (op.kind === "truncate") {
          sql.deleteFrom.run(op.fromIndex);
        } else if (op.discardAll) {
          sql.deleteAll.run();
          sql.saveCompaction.run(op.index, op.term);
        } else {
          sql.deleteThrough.run(op.index);
          sql.saveCompaction.run(op.index, op.term);
        }
      }
      this.#db.exec("COMMIT");
    } catch (error) {
      try {
        this.#db.exec("ROLLBACK");
      } catch {
        // The transaction may already be gone (SQLite rolls back on some errors by itself).
      }
      throw new StorageWriteError(
        `Cannot commit a log batch to ${this.#path}`,
        sqliteErrorCode(error),
        error,
      );
    }
    for (const op of ops) this.state.apply(op, () => 0);
  }

  protected readAt(index: number, _location: number): Entry {
    const row = this.#sql.readOne.get(index) as
      | { idx: number; term: number; type: number; data: Uint8Array }
      | null;
    assert(row !== null && row !== undefined, () => `entry ${index} is missing from ${this.#path}`);
    return { index: row.idx, term: row.term, type: row.type as EntryType, data: new Uint8Array(row.data) };
  }

  protected closeResources(): void {
    this.#db.close();
  }
}
