/**
 * Child process of the crash test: opens a storage, bumps the term, then appends batches forever (three in
 * flight at a time, to exercise group commit), compacting now and then. After each append resolves it prints
 * `ok <first> <last> <term>`; after the hard state is saved, `term <term>`. The parent kills it with SIGKILL.
 *
 * Usage: <runtime> _storage_crash_child.ts <kind> <directory> <seed>
 *
 * @module
 */

import { writeSync } from "node:fs";
import { openStorage } from "../../adapters/storage/mod.ts";
import type { StorageKind } from "../../adapters/storage/mod.ts";
import { randomBelow, SeededRandom } from "../../src/util/random.ts";
import { makeEntries } from "./_storage_data.ts";

const argv = "Deno" in globalThis
  ? (globalThis as unknown as { Deno: { args: string[] } }).Deno.args
  : (await import("node:process")).argv.slice(2);
const [kind, directory, seedText] = argv as [StorageKind, string, string];
const random = new SeededRandom(Number(seedText));
const IN_FLIGHT_BATCHES = 3;
const COMPACT_EVERY_ENTRIES = 400;

const say = (line: string) => writeSync(1, new TextEncoder().encode(`${line}\n`));
const { log } = await openStorage(kind, directory, { file: { segmentSizeBytes: 128 * 1024, log: () => {} } });
const term = log.hardState().term + 1;
await log.saveHardState({ term, vote: 1, commit: 0 });
say(`term ${term}`);

let next = log.lastIndex() + 1;
let sinceCompact = 0;
const inFlight = new Set<Promise<void>>();
for (;;) {
  const count = 1 + randomBelow(random, 16);
  const first = next;
  next += count;
  sinceCompact += count;
  const write: Promise<void> = log.append(makeEntries(first, count, term)).then(() => {
    say(`ok ${first} ${first + count - 1} ${term}`);
    inFlight.delete(write);
  });
  inFlight.add(write);
  if (sinceCompact >= COMPACT_EVERY_ENTRIES) {
    sinceCompact = 0;
    const through = first - 50;
    if (through > log.firstIndex()) void log.compact(through);
  }
  if (inFlight.size >= IN_FLIGHT_BATCHES) await Promise.race(inFlight);
}
