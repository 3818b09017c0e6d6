/**
 * Helpers of the engine tests: temporary data directories, an in-process cluster over the memory transport,
 * and bounded polling.
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryNetwork } from "../../adapters/transport/memory.ts";
import { Engine, type EngineOptions } from "../../mod.ts";

/** Fast timing for tests: 20 ms ticks, elections after 200-400 ms. */
export const FAST_TIMING = {
  tickIntervalMs: 20,
  electionTimeoutTicks: 10,
  heartbeatIntervalTicks: 2,
} as const;

/** Small WAL segments so tests do not preallocate 64 MiB per node. */
export const SMALL_WAL = { walSegmentSizeBytes: 1024 * 1024 } as const;

/**
 * @param prefix A name for the directory.
 * @returns A fresh temporary directory and its remover.
 */
export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `dengine-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Polls `check` every 10 ms until it returns true.
 *
 * @param what What is awaited (for the failure message).
 * @param check The condition.
 * @param timeoutMs Give up after this long (generous: the bound only stops a hung test).
 */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > timeoutMs) {
      throw new Error(`Gave up waiting for ${what} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A cluster of engines in one process over one memory network, each with its own data directory. */
export class TestCluster {
  readonly network = new MemoryNetwork();
  readonly names: string[];
  readonly engines = new Map<string, Engine>();
  readonly #dir = tempDir("cluster");
  readonly #extra: Partial<EngineOptions>;
  readonly #peers: Record<string, string>;
  readonly #founders: number;

  /**
   * @param size Number of members (named n1..nN).
   * @param extra Options for every member.
   * @param founders How many of them found the cluster; the others join it (after `addMember`).
   */
  constructor(size: number, extra: Partial<EngineOptions> = {}, founders = size) {
    this.names = Array.from({ length: size }, (_, i) => `n${i + 1}`);
    this.#peers = Object.fromEntries(this.names.map((name, i) => [name, this.peerAddress(name, i)]));
    this.#extra = extra;
    this.#founders = founders;
  }

  /** @returns The memory address of a member. */
  peerAddress(name: string, position = this.names.indexOf(name)): string {
    return `memory:${41_001 + position}`;
  }

  /** Starts every founder. */
  async startAll(): Promise<void> {
    await Promise.all(this.names.slice(0, this.#founders).map((name) => this.start(name)));
  }

  /** @param name The member to (re)start with its data directory. */
  async start(name: string): Promise<Engine> {
    const joining = this.names.indexOf(name) >= this.#founders;
    const peers = joining
      ? this.#peers
      : Object.fromEntries(Object.entries(this.#peers).slice(0, this.#founders));
    const engine = await Engine.start(
      {
        name,
        dataDir: join(this.#dir.path, name),
        peers,
        join: joining,
        transport: "memory",
        ...FAST_TIMING,
        ...SMALL_WAL,
        ...this.#extra,
      },
      { createTransport: () => this.network.createTransport() },
    );
    this.engines.set(name, engine);
    return engine;
  }

  /** @param name The member to stop. */
  async stop(name: string): Promise<void> {
    const engine = this.engines.get(name);
    this.engines.delete(name);
    await engine?.stop();
  }

  /** @returns The running member every running member agrees leads, once there is one. */
  async leader(): Promise<{ name: string; engine: Engine }> {
    let found: { name: string; engine: Engine } | null = null;
    await waitFor("a leader", () => {
      const running = [...this.engines.entries()];
      const leaders = running.filter(([, engine]) => engine.status().role === "leader");
      if (leaders.length !== 1) return false;
      const [name, engine] = leaders[0]!;
      const id = engine.status().id;
      if (!running.every(([, other]) => other.status().leaderId === id)) return false;
      found = { name, engine };
      return true;
    });
    return found!;
  }

  /** @returns The running members that do not lead. */
  followers(leaderName: string): Engine[] {
    return [...this.engines.entries()].filter(([name]) => name !== leaderName).map(([, engine]) => engine);
  }

  /** Stops everything and deletes the data. */
  async destroy(): Promise<void> {
    await Promise.all([...this.engines.keys()].map((name) => this.stop(name)));
    this.#dir.remove();
  }
}
