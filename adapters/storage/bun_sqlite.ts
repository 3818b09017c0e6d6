/**
 * The `bun:sqlite` adapter (Bun only): the log in `<directory>/log.sqlite`. `bun:sqlite` is imported
 * dynamically through a variable and typed structurally, so `deno check` never has to resolve it.
 *
 * @module
 */

import { SqliteLogStorage } from "./_sqlite_log.ts";
import type { SqlDatabase } from "./_sqlite_log.ts";
import * as fs from "node:fs";

/** The database file name inside the storage directory. */
export const BUN_SQLITE_FILE = "log.sqlite";

interface BunSqliteModule {
  Database: new (path: string, options: { create: boolean; strict: boolean }) => SqlDatabase;
}

/**
 * Opens (creating if needed) the log in `directory` with `bun:sqlite`.
 *
 * @param directory The storage directory.
 * @returns The log.
 * @throws {CorruptionError} When the stored log has a hole.
 * @throws {Error} When not running on Bun.
 * @example
 * ```ts
 * import { openBunSqliteLog } from "./bun_sqlite.ts";
 * if ("Bun" in globalThis) {
 *   const log = await openBunSqliteLog("/tmp/dengine-bsq-example");
 *   console.log(log.lastIndex() >= 0); // true
 *   await log.close();
 * }
 * ```
 */
export async function openBunSqliteLog(directory: string): Promise<SqliteLogStorage> {
  const specifier = "bun:sqlite";
  const { Database } = (await import(specifier)) as BunSqliteModule;
  fs.mkdirSync(directory, { recursive: true });
  const path = `${directory}/${BUN_SQLITE_FILE}`;
  const db = new Database(path, { create: true, strict: true });
  try {
    return SqliteLogStorage.open(db, path);
  } catch (error) {
    db.close();
    throw error;
  }
}
