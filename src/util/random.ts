/**
 * A small seeded pseudo-random generator (sfc32), so every random choice of the core and the simulator can be
 * replayed from one seed. Not for cryptography.
 *
 * @module
 */

/** A source of uniformly distributed unsigned 32-bit integers, injected into the pure core. */
export interface RandomSource {
  /** Returns the next value in [0, 2^32). */
  nextUint32(): number;
}

/**
 * The sfc32 generator seeded from one 32-bit-or-larger integer seed (the seed is mixed with splitmix32,
 * so nearby seeds give unrelated streams).
 *
 * @example
 * ```ts
 * import { SeededRandom } from "./random.ts";
 * const a = new SeededRandom(42), b = new SeededRandom(42);
 * console.log(a.nextUint32() === b.nextUint32()); // true
 * ```
 */
export class SeededRandom implements RandomSource {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** @param seed Any safe integer; the same seed gives the same sequence on every runtime. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`Cannot seed SeededRandom with ${seed}: not a safe integer`);
    }
    let state = (seed ^ Math.floor(seed / 0x1_0000_0000)) >>> 0;
    const next = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** @returns The next value in [0, 2^32). */
  nextUint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }
}

/**
 * A uniform integer in [0, bound) drawn from `random` (rejection sampling, so there is no modulo bias).
 *
 * @param random The generator to draw from.
 * @param bound Exclusive upper bound, 1 <= bound <= 2^32.
 * @returns An integer in [0, bound).
 * @throws {RangeError} When the bound is out of range.
 * @example
 * ```ts
 * import { SeededRandom, randomBelow } from "./random.ts";
 * const value = randomBelow(new SeededRandom(7), 10);
 * console.log(value >= 0 && value < 10); // true
 * ```
 */
export function randomBelow(random: RandomSource, bound: number): number {
  if (!Number.isInteger(bound) || bound < 1 || bound > 0x1_0000_0000) {
    throw new RangeError(`Cannot draw below ${bound}: the bound must be an integer in [1, 2^32]`);
  }
  const limit = 0x1_0000_0000 - (0x1_0000_0000 % bound);
  for (;;) {
    const value = random.nextUint32();
    if (value < limit) return value % bound;
  }
}
