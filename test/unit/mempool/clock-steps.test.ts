// Wall-clock steps seen by the mempool: lifetimes, age order and replacement budgets are durations
// and rates (monotonic clock); the date an entry shows users ("received at") stays wall time. Each
// test named after a defect failed before the pool moved off the wall clock: a step forward
// expired every pending tx at once and refilled every replacement budget; a step back kept expired
// txs for another hour and froze budgets for an hour.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Mempool, type MempoolLimits } from '../../../src/mempool/index.js';
import { txIdHex, addressFromPublicKey, type TransferTx } from '../../../src/core/index.js';
import { testGenesis, transfer, testAddress, testKey } from '../../helpers/fixtures.js';
import { openTestChain } from '../../helpers/chain-helpers.js';
import { HOUR_MS, stepWallClock } from '../../helpers/wall-clock.js';

const g = testGenesis({ alloc: ['alice', 'bob'].map((n) => ({ address: addressFromPublicKey(testKey(n).publicKey), amount: 10_000_000n })) });
const t = (from: string, nonce: bigint, fee = 10_000n): TransferTx => transfer(from, testAddress('zed'), 10n, nonce, g.id, fee);

/** A pool on a real chain; the wall-clock stepper is installed first, as a process's own clock. */
async function setup(tc: TestContext, limits: Partial<MempoolLimits>) {
  stepWallClock(tc, 0);
  const c = await openTestChain(g, undefined, {}, tc);
  const pool = new Mempool(c.chain, { limits });
  pool.start();
  tc.after(() => pool.stop());
  return pool;
}

test('wall clock steps forward an hour: pending transactions are not expired', async (tc) => {
  const pool = await setup(tc, { lifetimeMs: 30 * 60_000, gappedLifetimeMs: 20 * 60_000 });
  const wallBefore = Date.now();
  const ready = t('alice', 0n);
  const gapped = t('bob', 2n); // nonce 0 and 1 missing: held apart, on its own lifetime
  assert.equal((await pool.add(ready)).accepted, true);
  assert.equal((await pool.add(gapped)).accepted, true);
  const wallAfter = Date.now();
  stepWallClock(tc, HOUR_MS);
  await pool.revalidateNow();
  assert.equal(pool.size, 1, 'the ready tx is a few milliseconds old, not an hour');
  assert.equal(pool.gappedSize, 1, 'so is the gapped one');
  // What users see is still the wall-clock date of admission, not moved by the step.
  const shown = pool.get(txIdHex(ready))!.addedAt;
  assert.ok(shown >= wallBefore && shown <= wallAfter, `received at ${shown}, admitted within [${wallBefore}, ${wallAfter}]`);
});

test('wall clock steps back an hour: an expired transaction still leaves the pool', async (tc) => {
  const LIFETIME_MS = 200;
  const pool = await setup(tc, { lifetimeMs: LIFETIME_MS, gappedLifetimeMs: LIFETIME_MS });
  assert.equal((await pool.add(t('alice', 0n))).accepted, true);
  assert.equal((await pool.add(t('bob', 2n))).accepted, true);
  stepWallClock(tc, -HOUR_MS);
  // At least the lifetime passes on the monotonic clock (a lower bound: no race).
  await sleep(LIFETIME_MS + 100);
  await pool.revalidateNow();
  assert.equal(pool.size, 0);
  assert.equal(pool.gappedSize, 0);
});

test('wall clock steps forward an hour: a sender\'s replacement budget is not refilled', async (tc) => {
  const pool = await setup(tc, { senderReplacementBurst: 1, senderReplacementEveryMs: 10 * 60_000 });
  assert.equal((await pool.add(t('alice', 0n, 10_000n))).accepted, true);
  assert.equal((await pool.add(t('alice', 0n, 20_000n))).accepted, true, 'the one replacement of the burst');
  stepWallClock(tc, HOUR_MS);
  const r = await pool.add(t('alice', 0n, 40_000n));
  assert.equal(r.accepted ? 'accepted' : r.reason, 'replacement-rate-limited', 'ten minutes have not passed');
});

test('wall clock steps back an hour: a sender\'s replacement budget still refills', async (tc) => {
  const EVERY_MS = 200;
  const pool = await setup(tc, { senderReplacementBurst: 1, senderReplacementEveryMs: EVERY_MS });
  assert.equal((await pool.add(t('alice', 0n, 10_000n))).accepted, true);
  assert.equal((await pool.add(t('alice', 0n, 20_000n))).accepted, true);
  stepWallClock(tc, -HOUR_MS);
  await sleep(EVERY_MS + 100);
  const r = await pool.add(t('alice', 0n, 40_000n));
  assert.equal(r.accepted ? 'accepted' : r.reason, 'accepted', 'one token came back on the monotonic clock');
});

test('wall clock steps back an hour: a full gapped queue still drops its oldest entry', async (tc) => {
  const pool = await setup(tc, { gappedMaxCount: 3 });
  const oldest = t('alice', 2n);
  assert.equal((await pool.add(oldest)).accepted, true);
  stepWallClock(tc, -HOUR_MS);
  const newer = [t('alice', 3n), t('bob', 2n)];
  for (const tx of newer) assert.equal((await pool.add(tx)).accepted, true);
  assert.equal((await pool.add(t('bob', 3n))).accepted, true);
  assert.equal(pool.gappedSize, 3);
  assert.equal(pool.has(txIdHex(oldest)), false, 'the first held went, though its wall-clock time reads an hour later');
  for (const tx of newer) assert.equal(pool.has(txIdHex(tx)), true);
});
