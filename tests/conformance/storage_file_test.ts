import { mkdtempSync, rmSync } from "node:fs";
import { openStorage } from "../../adapters/storage/mod.ts";
import type { FsyncMode } from "../../adapters/storage/mod.ts";
import { storageConformance } from "./storage.ts";

for (const fsyncMode of ["blocking", "threadpool"] as FsyncMode[]) {
  storageConformance({
    name: `file (${fsyncMode} fdatasync, 16 KiB segments)`,
    skip: false,
    create: () => {
      const directory = mkdtempSync("/tmp/dengine-conformance-file-");
      const file = { segmentSizeBytes: 16 * 1024, fsyncMode, log: () => {} };
      return Promise.resolve({
        open: () => openStorage("file", directory, { file }),
        cleanup: () => Promise.resolve(rmSync(directory, { recursive: true, force: true })),
      });
    },
  });
}
