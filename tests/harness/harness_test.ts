import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBelow, SeededRandom } from "../../src/util/random.ts";
import { assert as invariant, AssertionError } from "../../src/util/assert.ts";

test("the seeded generator gives the same sequence for the same seed", () => {
  const a = new SeededRandom(12345);
  const b = new SeededRandom(12345);
  for (let i = 0; i < 1000; i++) assert.equal(a.nextUint32(), b.nextUint32());
});

test("the seeded generator gives different sequences for neighbouring seeds", () => {
  const a = new SeededRandom(1);
  const b = new SeededRandom(2);
  let same = 0;
  for (let i = 0; i < 100; i++) if (a.nextUint32() === b.nextUint32()) same++;
  assert.ok(same < 3, `${same} equal draws out of 100`);
});

test("the seeded generator's first values are fixed across runtimes", () => {
  const random = new SeededRandom(42);
  const values = [random.nextUint32(), random.nextUint32(), random.nextUint32()];
  // Recorded once; any change of the algorithm changes every simulator trace, so it must be deliberate.
  assert.deepEqual(values, FIRST_VALUES_SEED_42);
});

test("randomBelow stays within its bound and covers it", () => {
  const random = new SeededRandom(9);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const value = randomBelow(random, 7);
    assert.ok(value >= 0 && value < 7);
    seen.add(value);
  }
  assert.equal(seen.size, 7);
  assert.throws(() => randomBelow(random, 0), RangeError);
});

test("a failed invariant throws an AssertionError with its message", () => {
  assert.throws(() => invariant(false, () => "applied 5 > committed 4"), (error: unknown) => {
    return error instanceof AssertionError && error.message === "applied 5 > committed 4";
  });
  invariant(true, "never thrown");
});

const FIRST_VALUES_SEED_42 = [1028872839, 2516511472, 400437680];
