import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PLANTED_BUGS } from "./planted_bugs.ts";
import { runSeed } from "./world.ts";

/** A failure reported by one of the safety checkers (not a crash of the core, not liveness). */
const SAFETY_FAILURE =
  /^(election safety|log matching|leader completeness|state machine safety|linearizability):/;

describe("planted bugs", () => {
  for (const bug of PLANTED_BUGS) {
    test(`a safety checker catches: ${bug.name}, and the correct core passes the same seeds`, () => {
      let caughtSeed = 0;
      let caughtFailure = "";
      for (let seed = 1; seed <= bug.seedsMax && caughtSeed === 0; seed++) {
        const result = runSeed({ seed, ...bug.options });
        if (!result.ok && SAFETY_FAILURE.test(result.failure!)) {
          caughtSeed = seed;
          caughtFailure = result.failure!;
        }
      }
      assert.notEqual(caughtSeed, 0, `no safety checker failed in seeds 1..${bug.seedsMax}`);
      assert.ok(caughtFailure.length > 0);
      const { factory: _factory, replyBeforeDurable: _replyBeforeDurable, ...knobs } = bug.options;
      for (let seed = 1; seed <= caughtSeed; seed++) {
        const result = runSeed({ seed, ...knobs });
        assert.equal(result.failure, null, `the correct core failed seed ${seed} of the same scenario`);
      }
    });
  }
});
