// Seeds for randomized tests. Every test names its own seed, so a run repeats exactly;
// KADCHAIN_TEST_SEED replaces every seed, to explore other cases or to replay the one a failure
// printed. A failing property says which seed and path replay it.
import fc from 'fast-check';

export const SEED_ENV = 'KADCHAIN_TEST_SEED';

/** The seed a test uses: its own fixed one, unless KADCHAIN_TEST_SEED overrides it. */
export function testSeed(fixed: number): number {
  const raw = process.env[SEED_ENV];
  if (raw === undefined || raw === '') return fixed;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`${SEED_ENV} must be an integer, got "${raw}"`);
  return seed | 0;
}

/**
 * fast-check options for `fc.assert`: the (overridable) seed, and on failure a message that names
 * the seed, the shrink path and how to replay them, with the counterexamples seen while shrinking.
 */
export function fcOptions<Ts>(fixedSeed: number, numRuns?: number): fc.Parameters<Ts> {
  const seed = testSeed(fixedSeed);
  const reporter = (details: fc.RunDetails<Ts>): void => {
    if (!details.failed) return;
    const report = fc.defaultReportMessage(details) ?? 'property failed';
    throw new Error(`${report}\nreplay: ${SEED_ENV}=${details.seed} (fast-check seed ${details.seed}, path "${details.counterexamplePath ?? ''}")`, { cause: details.errorInstance });
  };
  return { seed, verbose: fc.VerbosityLevel.Verbose, reporter, ...(numRuns === undefined ? {} : { numRuns }) };
}
