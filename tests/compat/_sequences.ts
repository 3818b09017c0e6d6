/**
 * Seeded random `/v3` request sequences for the differential tests: puts, ranges, deletes, txns,
 * compactions and leases over a small key space, so that keys collide and history is rich.
 *
 * @module
 */

/** One request: route and JSON body. */
export interface Step {
  path: string;
  body: Record<string, unknown>;
}

/** A small seeded generator (mulberry32). */
export class SeededRandom {
  #state: number;
  /** @param seed The seed. */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** @returns A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** @returns An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** @returns One of the items. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** @returns True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const b64 = (text: string) => btoa(text);
const KEYS = ["a", "a/1", "a/2", "b", "b/x", "c", "d", "e/f"];
const VALUES = ["", "1", "two", "three-3", "\u00e9t\u00e9"];
const LEASE_IDS = [1001, 1002, 1003];

function key(random: SeededRandom): string {
  return b64(random.pick(KEYS));
}

function span(random: SeededRandom): Record<string, unknown> {
  const roll = random.int(5);
  if (roll === 0) return { key: b64("a/"), range_end: b64("a0") };
  if (roll === 1) return { key: b64("b"), range_end: "AA==" };
  if (roll === 2) return { key: "AA==", range_end: "AA==" };
  return { key: key(random) };
}

function range(random: SeededRandom, revision: number): Record<string, unknown> {
  const body: Record<string, unknown> = span(random);
  if (random.chance(0.3)) body["limit"] = random.int(3) + 1;
  if (random.chance(0.3)) body["revision"] = String(random.int(revision + 2));
  if (random.chance(0.3)) body["sort_order"] = random.pick(["NONE", "ASCEND", "DESCEND"]);
  if (random.chance(0.3)) body["sort_target"] = random.pick(["KEY", "VERSION", "CREATE", "MOD", "VALUE"]);
  if (random.chance(0.15)) body["keys_only"] = true;
  if (random.chance(0.15)) body["countOnly"] = true;
  if (random.chance(0.1)) body["min_mod_revision"] = String(random.int(revision + 1));
  return body;
}

function put(random: SeededRandom, leases: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { key: key(random), value: b64(random.pick(VALUES)) };
  if (random.chance(0.3)) body["prev_kv"] = true;
  if (leases && random.chance(0.2)) body["lease"] = String(random.pick(LEASE_IDS));
  return body;
}

function deleteRange(random: SeededRandom): Record<string, unknown> {
  const body: Record<string, unknown> = span(random);
  if (random.chance(0.5)) body["prevKv"] = true;
  return body;
}

function compare(random: SeededRandom): Record<string, unknown> {
  const target = random.pick(["VERSION", "CREATE", "MOD", "VALUE", "LEASE"]);
  const body: Record<string, unknown> = {
    key: key(random),
    target,
    result: random.pick(["EQUAL", "GREATER", "LESS", "NOT_EQUAL"]),
  };
  const field = {
    VERSION: "version",
    CREATE: "create_revision",
    MOD: "mod_revision",
    LEASE: "lease",
  } as const;
  if (target === "VALUE") body["value"] = b64(random.pick(VALUES));
  else body[field[target as keyof typeof field]] = String(random.int(6));
  return body;
}

function requestOp(random: SeededRandom, revision: number): Record<string, unknown> {
  const roll = random.int(3);
  if (roll === 0) return { request_range: range(random, revision) };
  if (roll === 1) return { request_put: put(random, false) };
  return { request_delete_range: { key: key(random) } };
}

function txn(random: SeededRandom, revision: number): Record<string, unknown> {
  const ops = (n: number) => Array.from({ length: n }, () => requestOp(random, revision));
  return {
    compare: Array.from({ length: random.int(3) }, () => compare(random)),
    success: ops(random.int(3)),
    failure: ops(random.int(3)),
  };
}

/**
 * One step of a random sequence.
 *
 * @param random The generator.
 * @param revision The current revision (as last seen), to aim revision fields near it.
 * @returns The step.
 */
export function randomStep(random: SeededRandom, revision: number): Step {
  const roll = random.int(100);
  if (roll < 30) return { path: "/v3/kv/put", body: put(random, true) };
  if (roll < 55) return { path: "/v3/kv/range", body: range(random, revision) };
  if (roll < 65) return { path: "/v3/kv/deleterange", body: deleteRange(random) };
  if (roll < 85) return { path: "/v3/kv/txn", body: txn(random, revision) };
  if (roll < 88) {
    return { path: "/v3/kv/compaction", body: { revision: String(Math.max(1, revision - random.int(8))) } };
  }
  if (roll < 92) {
    return {
      path: "/v3/lease/grant",
      body: { TTL: String(60 + random.int(60)), ID: String(random.pick(LEASE_IDS)) },
    };
  }
  if (roll < 95) return { path: "/v3/lease/revoke", body: { ID: String(random.pick(LEASE_IDS)) } };
  if (roll < 98) {
    return { path: "/v3/lease/timetolive", body: { ID: String(random.pick(LEASE_IDS)), keys: true } };
  }
  return { path: "/v3/lease/leases", body: {} };
}
