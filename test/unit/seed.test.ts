// Seeded randomness in tests: a failing property prints the seed that replays it, the override
// replays it, and no test draws from Math.random.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { fcOptions, testSeed, SEED_ENV } from '../helpers/seed.js';

const failure = (seed: number): string => {
  try {
    fc.assert(fc.property(fc.array(fc.nat()), (xs) => xs.length < 3 || xs[0]! <= xs[1]!), fcOptions(seed, 500));
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail('the property should fail');
};
const counterexample = (message: string): string => /Counterexample: (.*)/.exec(message)?.[1] ?? '';

test('a failing property prints its seed and the override that replays it', (t) => {
  const saved = process.env[SEED_ENV];
  t.after(() => {
    if (saved === undefined) delete process.env[SEED_ENV];
    else process.env[SEED_ENV] = saved;
  });
  delete process.env[SEED_ENV];
  const first = failure(99);
  assert.match(first, /seed: 99\b/);
  assert.match(first, new RegExp(`replay: ${SEED_ENV}=99 `));
  assert.notEqual(counterexample(first), '');

  // The printed override replays the same failure from a test whose own seed is different.
  process.env[SEED_ENV] = '99';
  assert.equal(testSeed(1), 99);
  const replay = failure(1);
  assert.equal(counterexample(replay), counterexample(first));

  process.env[SEED_ENV] = 'abc';
  assert.throws(() => testSeed(1), /must be an integer/);
});

test('no test or helper calls Math.random: randomness is seeded', () => {
  const root = fileURLToPath(new URL('../../../test/', import.meta.url));
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && /Math\.random\s*\(/.test(readFileSync(p, 'utf8'))) offenders.push(p);
    }
  };
  walk(root);
  assert.ok(readdirSync(root).includes('helpers'), `expected the test sources at ${root}`);
  // This file names the call only in a regular expression, never as a call.
  assert.deepEqual(offenders, []);
});
