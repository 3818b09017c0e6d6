/**
 * Storage benchmark: entries/s and MB/s of durable appends (every append awaited = fsynced) of 256-byte entries
 * at batch sizes 1, 16 and 256, for each adapter this runtime has, beside the disk's raw fdatasync rate
 * measured by this same script on the same directory. Also batch 1 from 32 concurrent writers, which is
 * what group commit is for. Prints a markdown table.
 *
 * Usage: deno run -A bench/storage.ts [seconds-per-case]   |   bun bench/storage.ts [seconds-per-case]
 *
 * @module
 */

import * as fs from "node:fs";
import process from "node:process";
import { currentRuntime, openStorage } from "../adapters/storage/mod.ts";
import type { FsyncMode, StorageKind } from "../adapters/storage/mod.ts";
import type { LogStorage } from "../src/ports/storage.ts";
import type { Entry } from "../src/raft/types.ts";

const ENTRY_BYTES = 256;
const CONCURRENT_WRITERS = 32;
const secondsPerCase = Number(process.argv[2] ?? 0) || 2;
/** Batch-1 runs alternate with raw fdatasync runs this many times, so both see the same disk weather. */
const INTERLEAVE_ROUNDS = 8;
const runtime = currentRuntime();

interface Row {
  name: string;
  batch: string;
  entriesPerSecond: number;
  megabytesPerSecond: number;
  syncsPerSecond: number;
  /** CPU time of this process over wall time. */
  cpuPercent: number;
  /** Raw preallocated fdatasync rate measured interleaved with this case (batch 1 only). */
  rawPerSecond: number;
}

/** Raw rate: 4 KiB write + fdatasyncSync in a loop, on a fresh growing file or a preallocated one. */
function rawFsync(directory: string, preallocate: boolean, seconds: number): { syncs: number; ms: number } {
  const path = `${directory}/raw-${preallocate}`;
  const fd = fs.openSync(path, "w+");
  const block = new Uint8Array(4096).fill(1);
  if (preallocate) {
    const zeros = new Uint8Array(1024 * 1024);
    for (let mb = 0; mb < 64; mb++) fs.writeSync(fd, zeros, 0, zeros.length, mb * zeros.length);
    fs.fsyncSync(fd);
  }
  const started = performance.now();
  let done = 0;
  while (done < 16_000 && performance.now() - started < seconds * 1000) {
    fs.writeSync(fd, block, 0, block.length, done * 4096);
    fs.fdatasyncSync(fd);
    done++;
  }
  const ms = performance.now() - started;
  fs.closeSync(fd);
  fs.unlinkSync(path);
  return { syncs: done, ms };
}

function entries(first: number, count: number): Entry[] {
  const data = new Uint8Array(ENTRY_BYTES).fill(0xab);
  return Array.from({ length: count }, (_, i) => ({ index: first + i, term: 1, type: 0, data }));
}

interface Measured {
  entries: number;
  syncs: number;
  ms: number;
  rawSyncs: number;
  rawMs: number;
}

async function sequential(log: LogStorage, batch: number, seconds = secondsPerCase): Promise<Measured> {
  const started = performance.now();
  let appended = 0;
  let syncs = 0;
  while (performance.now() - started < seconds * 1000) {
    await log.append(entries(log.lastIndex() + 1, batch));
    appended += batch;
    syncs++;
  }
  return { entries: appended, syncs, ms: performance.now() - started, rawSyncs: 0, rawMs: 0 };
}

/** Batch 1, alternating with raw fdatasync runs on the same directory. */
async function interleaved(log: LogStorage, directory: string): Promise<Measured> {
  const total: Measured = { entries: 0, syncs: 0, ms: 0, rawSyncs: 0, rawMs: 0 };
  for (let round = 0; round < INTERLEAVE_ROUNDS; round++) {
    const raw = rawFsync(directory, true, secondsPerCase / INTERLEAVE_ROUNDS);
    total.rawSyncs += raw.syncs;
    total.rawMs += raw.ms;
    const run = await sequential(log, 1, secondsPerCase / INTERLEAVE_ROUNDS);
    total.entries += run.entries;
    total.syncs += run.syncs;
    total.ms += run.ms;
  }
  return total;
}

async function concurrent(log: LogStorage): Promise<Measured> {
  const started = performance.now();
  let next = log.lastIndex() + 1;
  let appended = 0;
  const writer = async () => {
    while (performance.now() - started < secondsPerCase * 1000) {
      await log.append(entries(next++, 1));
      appended++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_WRITERS }, writer));
  return { entries: appended, syncs: 0, ms: performance.now() - started, rawSyncs: 0, rawMs: 0 };
}

async function benchAdapter(
  name: string,
  kind: StorageKind,
  fsyncMode: FsyncMode,
  root: string,
): Promise<Row[]> {
  const rows: Row[] = [];
  const cases: [string, (log: LogStorage, directory: string) => Promise<Measured>][] = [
    ["1", interleaved],
    ["16", (log) => sequential(log, 16)],
    ["256", (log) => sequential(log, 256)],
    [`1 x ${CONCURRENT_WRITERS} writers`, concurrent],
  ];
  for (const [label, run] of cases) {
    const directory = fs.mkdtempSync(`${root}/${kind}-`);
    const { log, snapshots } = await openStorage(kind, directory, { file: { fsyncMode, log: () => {} } });
    await log.append(entries(1, 1)); // creates the first segment / tables outside the timing
    const cpuBefore = process.cpuUsage();
    const result = await run(log, directory);
    const cpu = process.cpuUsage(cpuBefore);
    rows.push({
      name,
      batch: label,
      entriesPerSecond: result.entries / (result.ms / 1000),
      megabytesPerSecond: (result.entries * ENTRY_BYTES) / 1e6 / (result.ms / 1000),
      syncsPerSecond: result.syncs / (result.ms / 1000),
      cpuPercent: ((cpu.user + cpu.system) / 1000 / (result.ms + result.rawMs)) * 100,
      rawPerSecond: result.rawMs > 0 ? result.rawSyncs / (result.rawMs / 1000) : 0,
    });
    await log.close();
    await snapshots.close();
    fs.rmSync(directory, { recursive: true, force: true });
  }
  return rows;
}

const root = fs.mkdtempSync("/tmp/dengine-bench-storage-");
try {
  const rawAppend = rawFsync(root, false, secondsPerCase);
  const rawPreallocated = rawFsync(root, true, secondsPerCase);
  const adapters: [string, StorageKind, FsyncMode][] = [
    ["file (blocking fdatasync)", "file", "blocking"],
    ["file (thread-pool fdatasync)", "file", "threadpool"],
  ];
  if (runtime === "bun") adapters.push(["bun_sqlite", "bun_sqlite", "blocking"]);
  if (runtime !== "node") adapters.push(["node_sqlite", "node_sqlite", "blocking"]);
  const rows: Row[] = [];
  for (const [name, kind, mode] of adapters) rows.push(...await benchAdapter(name, kind, mode, root));
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  const rate = (m: { syncs: number; ms: number }) => m.syncs / (m.ms / 1000);
  console.log(
    `### ${runtime} (${secondsPerCase} s per case, ${ENTRY_BYTES}-byte entries, every append awaited)\n`,
  );
  console.log(
    `Raw 4 KiB write + fdatasync on this directory, before the cases: ${
      fmt(rate(rawAppend))
    }/s appending to ` +
      `a growing file, ${fmt(rate(rawPreallocated))}/s overwriting a preallocated one.\n`,
  );
  console.log(
    "| adapter | batch | entries/s | MB/s | appends/s | CPU | raw fdatasync/s, interleaved | batch 1 / raw |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const row of rows) {
    const raw = row.rawPerSecond > 0 ? fmt(row.rawPerSecond) : "";
    const ratio = row.rawPerSecond > 0 ? `${Math.round((100 * row.syncsPerSecond) / row.rawPerSecond)}%` : "";
    console.log(
      `| ${row.name} | ${row.batch} | ${fmt(row.entriesPerSecond)} | ${
        row.megabytesPerSecond.toFixed(1)
      } | ` +
        `${row.syncsPerSecond > 0 ? fmt(row.syncsPerSecond) : "-"} | ${
          Math.round(row.cpuPercent)
        }% | ${raw} | ${ratio} |`,
    );
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
