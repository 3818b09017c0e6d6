import { mkdtempSync, rmSync } from "node:fs";
import { openStorage } from "../../adapters/storage/mod.ts";
import type { StorageKind } from "../../adapters/storage/mod.ts";
import { storageConformance } from "./storage.ts";

const onBun = "Bun" in globalThis;
const onDeno = "Deno" in globalThis;

function sqliteAdapter(kind: StorageKind, skip: string | false) {
  return {
    name: kind,
    skip,
    create: () => {
      const directory = mkdtempSync(`/tmp/dengine-conformance-${kind}-`);
      return Promise.resolve({
        open: () => openStorage(kind, directory),
        cleanup: () => Promise.resolve(rmSync(directory, { recursive: true, force: true })),
      });
    },
  };
}

storageConformance(sqliteAdapter("bun_sqlite", onBun ? false : "bun:sqlite exists only on Bun"));
storageConformance(sqliteAdapter("node_sqlite", onDeno ? false : "node_sqlite is tested under Deno"));
