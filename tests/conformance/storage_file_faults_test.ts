import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { spawnSync } from "node:child_process";
import { FileLogStorage } from "../../adapters/storage/file.ts";
import { FileSnapshotStorage } from "../../adapters/storage/file_snapshot.ts";
import { listSegments } from "../../adapters/storage/_wal_recovery.ts";
import { parseRecord, RecordType } from "../../adapters/storage/_wal_format.ts";
import type { ParsedRecord } from "../../adapters/storage/_wal_format.ts";
import { ByteReader, readEntry } from "../../adapters/storage/codec.ts";
import { nodeFileSystem } from "../../adapters/storage/fs_port.ts";
import { CorruptionError, StorageWriteError } from "../../src/ports/storage.ts";
import { emptyConfState } from "../../src/raft/types.ts";
import { randomBelow, SeededRandom } from "../../src/util/random.ts";
import { makeEntries, makeEntry } from "./storage.ts";
import { FaultyFileSystem } from "./_storage_faulty_fs.ts";

const quiet = { log: () => {} };
const SEED = Number(process.env.DENGINE_STORAGE_SEED ?? 20261122);

function tempDir(): string {
  return fs.mkdtempSync("/tmp/dengine-faults-");
}

/** Every intact record of a segment file, in order, with the entry index of entry records. */
function recordsOf(path: string): (ParsedRecord & { offset: number; index: number })[] {
  const bytes = new Uint8Array(fs.readFileSync(path));
  const records = [];
  for (let offset = 0;;) {
    const record = parseRecord(bytes, offset);
    if (record === null) return records;
    const index = record.type === RecordType.Entry
      ? readEntry(new ByteReader(bytes, record.payloadStart, record.payloadEnd)).index
      : -1;
    records.push({ ...record, offset, index });
    offset = record.nextOffset;
  }
}

/** Writes `batches` appends of 1..5 entries (one term) and returns the last index. */
async function writeBatches(
  directory: string,
  batches: number,
  segmentSizeBytes: number,
  seed: number,
): Promise<number> {
  const random = new SeededRandom(seed);
  const log = await FileLogStorage.open(directory, { segmentSizeBytes, ...quiet });
  for (let i = 0; i < batches; i++) {
    await log.append(makeEntries(log.lastIndex() + 1, 1 + randomBelow(random, 5), 1));
  }
  const last = log.lastIndex();
  await log.close();
  return last;
}

async function assertIntact(log: FileLogStorage, last: number): Promise<void> {
  assert.equal(log.lastIndex(), last);
  if (last > 0) assert.deepEqual(log.entries(1, last + 1, Infinity), makeEntries(1, last, 1));
  await log.append([makeEntry(last + 1, 2)]);
  assert.deepEqual(log.entries(last + 1, last + 2, Infinity), [makeEntry(last + 1, 2)]);
}

describe("file WAL recovery from torn writes and corruption", () => {
  test("a log cut at random bytes keeps every record before the cut, reports the torn tail, and takes new writes", async () => {
    const template = tempDir();
    const random = new SeededRandom(SEED);
    try {
      await writeBatches(template, 40, 1024 * 1024, SEED);
      const segment = listSegments(template, nodeFileSystem)[0]!;
      const records = recordsOf(segment.path);
      const dataEnd = records.at(-1)!.payloadEnd;
      for (let round = 0; round < 30; round++) {
        const directory = tempDir();
        try {
          const cut = randomBelow(random, dataEnd + 1);
          const copy = `${directory}/${segment.name}`;
          const bytes = new Uint8Array(fs.readFileSync(segment.path));
          if (round % 2 === 0) bytes.fill(0, cut);
          fs.writeFileSync(copy, round % 2 === 0 ? bytes : bytes.subarray(0, cut));
          const batchEnd = new Map<number, number>();
          for (const r of records) {
            batchEnd.set(r.batchSeq, Math.max(batchEnd.get(r.batchSeq) ?? 0, r.payloadEnd));
          }
          const kept = records.filter((record) => batchEnd.get(record.batchSeq)! <= cut);
          const stop = kept.at(-1)?.nextOffset ?? 0;
          const cutBytes = round % 2 === 0 ? bytes : bytes.subarray(0, cut);
          const torn = cutBytes.subarray(stop).some((byte) => byte !== 0);
          const messages: string[] = [];
          const log = await FileLogStorage.open(directory, {
            segmentSizeBytes: 1024 * 1024,
            log: (m) => messages.push(m),
          });
          const expectedLast = kept.filter((record) => record.index > 0).at(-1)?.index ?? 0;
          assert.equal(log.recovery.tornTail !== null, torn, `cut at ${cut}: torn tail reported`);
          assert.equal(messages.length > 0, torn);
          await assertIntact(log, expectedLast);
          await log.close();
          const reopened = await FileLogStorage.open(directory, quiet);
          assert.equal(reopened.lastIndex(), expectedLast + 1);
          await reopened.close();
        } finally {
          fs.rmSync(directory, { recursive: true, force: true });
        }
      }
    } finally {
      fs.rmSync(template, { recursive: true, force: true });
    }
  });

  test("a flipped bit before the last batch is a CorruptionError naming file, offset and index, never skipped", async () => {
    const template = tempDir();
    const random = new SeededRandom(SEED + 1);
    try {
      const last = await writeBatches(template, 100, 4096, SEED + 1);
      const segments = listSegments(template, nodeFileSystem);
      assert.ok(segments.length >= 3, `expected several segments, got ${segments.length}`);
      const lastSeq = Math.max(...segments.flatMap((s) => recordsOf(s.path).map((r) => r.batchSeq)));
      const candidates = segments.flatMap((segment) =>
        recordsOf(segment.path).filter((r) => r.index > 0 && r.batchSeq < lastSeq).map((r) => ({
          segment,
          r,
        }))
      );
      for (let round = 0; round < 20; round++) {
        const directory = tempDir();
        try {
          for (const segment of segments) fs.copyFileSync(segment.path, `${directory}/${segment.name}`);
          const { segment, r } = candidates[randomBelow(random, candidates.length)]!;
          const bit = randomBelow(random, (r.payloadEnd - r.offset) * 8);
          const path = `${directory}/${segment.name}`;
          const bytes = new Uint8Array(fs.readFileSync(path));
          bytes[r.offset + (bit >> 3)]! ^= 1 << (bit & 7);
          fs.writeFileSync(path, bytes);
          const error = await FileLogStorage.open(directory, quiet).then(() => null, (e) => e);
          assert.ok(error instanceof CorruptionError, `flip of bit ${bit} in entry ${r.index}: ${error}`);
          assert.equal(error.location.file, path);
          assert.equal(error.location.offsetBytes, r.offset);
          assert.equal(error.location.index, r.index);
          assert.match(
            error.message,
            new RegExp(`${segment.name} at offset ${r.offset} \\(entry index ${r.index}\\)`),
          );
          const { log, dropped } = await FileLogStorage.repair(directory, quiet);
          const batchFirst = Math.min(
            ...recordsOf(segment.path).filter((x) => x.batchSeq === r.batchSeq && x.index > 0).map((x) =>
              x.index
            ),
          );
          assert.match(dropped ?? "", new RegExp(`entries from index ${batchFirst} on were dropped`));
          await assertIntact(log, batchFirst - 1);
          await log.close();
          const reopened = await FileLogStorage.open(directory, quiet);
          assert.equal(reopened.lastIndex(), batchFirst);
          await reopened.close();
        } finally {
          fs.rmSync(directory, { recursive: true, force: true });
        }
      }
      assert.ok(last > 100);
    } finally {
      fs.rmSync(template, { recursive: true, force: true });
    }
  });

  test("a missing middle segment is a CorruptionError", async () => {
    const directory = tempDir();
    try {
      await writeBatches(directory, 100, 4096, SEED + 2);
      const segments = listSegments(directory, nodeFileSystem);
      fs.unlinkSync(segments[1]!.path);
      await assert.rejects(FileLogStorage.open(directory, quiet), (error) => {
        assert.ok(error instanceof CorruptionError);
        assert.match(error.message, /is missing/);
        return true;
      });
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });

  test("segments behind a compaction are deleted and the log reopens at the compacted boundary", async () => {
    const directory = tempDir();
    try {
      const last = await writeBatches(directory, 100, 4096, SEED + 3);
      const log = await FileLogStorage.open(directory, { segmentSizeBytes: 4096, ...quiet });
      const before = log.segmentPaths().length;
      await log.compact(last - 3);
      const after = log.segmentPaths().length;
      assert.ok(before >= 4 && after <= 2, `segments before ${before}, after ${after}`);
      await log.close();
      const reopened = await FileLogStorage.open(directory, quiet);
      assert.equal(reopened.firstIndex(), last - 2);
      assert.equal(reopened.term(last - 3), 1);
      assert.deepEqual(reopened.entries(last - 2, last + 1, Infinity), makeEntries(last - 2, 3, 1));
      await reopened.close();
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe("file WAL on a full disk or a read-only directory", () => {
  for (const code of ["ENOSPC", "EROFS"]) {
    test(`${code}: appends fail clearly, durable data is untouched, reads go on, and writes resume afterwards`, async () => {
      const directory = tempDir();
      const faulty = new FaultyFileSystem();
      try {
        const log = await FileLogStorage.open(directory, {
          segmentSizeBytes: 8192,
          fileSystem: faulty,
          ...quiet,
        });
        await log.append(makeEntries(1, 20, 1));
        await log.saveHardState({ term: 1, vote: 1, commit: 20 });
        faulty.failure = code;
        const failures: unknown[] = [];
        for (let i = 0; i < 40; i++) {
          await log.append(makeEntries(21, 5, 1)).catch((error) => failures.push(error));
        }
        assert.equal(failures.length, 40);
        const first = failures[0];
        assert.ok(first instanceof StorageWriteError);
        assert.equal(first.code, code);
        assert.match(first.message, code === "ENOSPC" ? /disk is full/ : /read-only/);
        assert.equal(log.lastIndex(), 20);
        assert.deepEqual(log.entries(1, 21, Infinity), makeEntries(1, 20, 1));
        const onDisk = await FileLogStorage.open(directory, quiet);
        assert.equal(onDisk.lastIndex(), 20);
        assert.deepEqual(onDisk.hardState(), { term: 1, vote: 1, commit: 20 });
        await onDisk.close();
        faulty.failure = null;
        for (let i = 0; i < 10; i++) await log.append(makeEntries(log.lastIndex() + 1, 10, 2));
        await log.close();
        const reopened = await FileLogStorage.open(directory, quiet);
        assert.equal(reopened.lastIndex(), 120);
        assert.deepEqual(reopened.entries(21, 121, Infinity), makeEntries(21, 100, 2));
        await reopened.close();
      } finally {
        fs.rmSync(directory, { recursive: true, force: true });
      }
    });
  }

  test("a snapshot save on a full disk fails clearly and leaves the previous snapshot loadable", async () => {
    const directory = tempDir();
    const faulty = new FaultyFileSystem();
    try {
      const store = FileSnapshotStorage.open(directory, { fileSystem: faulty });
      const snapshot = (index: number) => ({
        metadata: { index, term: 1, confState: emptyConfState() },
        data: new Uint8Array(5000).fill(index),
      });
      await store.save(snapshot(5));
      faulty.failure = "ENOSPC";
      await assert.rejects(
        store.save(snapshot(9)),
        (error) => error instanceof StorageWriteError && error.code === "ENOSPC",
      );
      faulty.failure = null;
      assert.deepEqual(await store.loadNewest(), snapshot(5));
      assert.deepEqual(fs.readdirSync(directory).filter((name) => name.endsWith(".tmp")), []);
      await store.save(snapshot(9));
      assert.deepEqual(await store.list(), [5, 9]);
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});

/** Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN); probed once, mounted and unmounted. */
function canMountTmpfs(): boolean {
  const probe = fs.mkdtempSync("/tmp/dengine-tmpfs-probe-");
  try {
    if (spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe]).status !== 0) return false;
    return spawnSync("umount", [probe]).status === 0;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

const tmpfsSkip = canMountTmpfs() ? false : "cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)";

describe("file WAL on a real full disk (a 1 MiB tmpfs)", () => {
  test(
    "ENOSPC from the kernel fails appends clearly, keeps durable data, and writes resume once space is freed",
    {
      skip: tmpfsSkip,
    },
    async () => {
      const mountPoint = fs.mkdtempSync("/tmp/dengine-tmpfs-");
      assert.equal(spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]).status, 0);
      try {
        fs.writeFileSync(`${mountPoint}/ballast`, new Uint8Array(300 * 1024));
        const directory = `${mountPoint}/wal`;
        const log = await FileLogStorage.open(directory, { segmentSizeBytes: 128 * 1024, ...quiet });
        let failure: unknown = null;
        for (let i = 0; i < 200 && failure === null; i++) {
          const first = log.lastIndex() + 1;
          await log.append(Array.from({ length: 4 }, (_, j) => makeEntry(first + j, 1, 2000))).catch((
            e,
          ) => (failure = e));
        }
        assert.ok(failure instanceof StorageWriteError, `expected ENOSPC, got ${failure}`);
        assert.equal(failure.code, "ENOSPC");
        assert.match(failure.message, /disk is full/);
        const last = log.lastIndex();
        assert.ok(last >= 100, `only ${last} entries fit`);
        const expected = Array.from({ length: last }, (_, i) => makeEntry(i + 1, 1, 2000));
        assert.deepEqual(log.entries(1, last + 1, Infinity), expected);
        await assert.rejects(log.append([makeEntry(last + 1, 1, 2000)]), StorageWriteError);
        fs.unlinkSync(`${mountPoint}/ballast`);
        for (let i = 0; i < 5; i++) await log.append([makeEntry(log.lastIndex() + 1, 1, 2000)]);
        await log.close();
        const reopened = await FileLogStorage.open(directory, quiet);
        assert.deepEqual(reopened.entries(1, last + 6, Infinity), [
          ...expected,
          ...Array.from({ length: 5 }, (_, i) => makeEntry(last + 1 + i, 1, 2000)),
        ]);
        await reopened.close();
      } finally {
        spawnSync("umount", [mountPoint]);
        fs.rmSync(mountPoint, { recursive: true, force: true });
      }
    },
  );
});
