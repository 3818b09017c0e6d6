/**
 * The `node:sqlite` adapter (Deno, Node >= 22.5, Bun): the log in `<directory>/log.sqlite`.
 *
 * @module
 */

import { SqliteLogStorage } from "./_sqlite_log.ts";
import type { SqlDatabase } from "./_sqlite_log.ts";
import * as fs from "node:fs";

/** The database file name inside the storage directory. */
export const NODE_SQLITE_FILE = "log.sqlite";

/**
 * Opens (creating if needed) the log in `directory` with `node:sqlite`.
 *
 * @param directory The storage directory.
 * @returns The log.
 * @throws {CorruptionError} When the stored log has a hole.
 * @throws {Error} When the runtime has no `node:sqlite` (Node < 22.5).
 * @example
 * ```ts
 * import { openNodeSqliteLog } from "./node_sqlite.ts";
 * import { mkdtempSync, rmSync } from "node:fs";
 * const dir = mkdtempSync("/tmp/dengine-nsq-");
 * const log = await openNodeSqliteLog(dir);
 * console.log(log.lastIndex()); // 0
 * await log.close();
 * rmSync(dir, { recursive: true });
 * ```
 */
export async function openNodeSqliteLog(directory: string): Promise<SqliteLogStorage> {
  const { DatabaseSync } = await import("node:sqlite");
  fs.mkdirSync(directory, { recursive: true });
  const path = `${directory}/${NODE_SQLITE_FILE}`;
  const db = new DatabaseSync(path) as unknown as SqlDatabase;
  try {
    return SqliteLogStorage.open(db, path);
  } catch (error) {
    db.close();
    throw error;
  }
}
