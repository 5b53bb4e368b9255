// Wall-clock steps seen by the orphan-block pool: an orphan's age is a duration (monotonic clock),
// while the chain's `now` stays the wall clock of the future-drift check. Both tests failed before
// the pool's ages moved off `chain.now`: a step forward expired every orphan at the next arrival, a
// step back kept expired orphans for another hour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { blockId, type Block } from '../../../src/core/index.js';
import { testGenesis, buildBlock } from '../../helpers/fixtures.js';
import { openTestChain } from '../../helpers/chain-helpers.js';
import { HOUR_MS, stepWallClock } from '../../helpers/wall-clock.js';

const g = testGenesis();
/** A block with valid work whose parent nobody has: an orphan. */
const orphan = (tag: number): Block => {
  const parent = { id: new Uint8Array(32).fill(tag), height: 9, timestamp: g.params.timestamp };
  return buildBlock({ parent, target: g.params.initialTarget, params: g.params, extraNonce: BigInt(tag) });
};

test('wall clock steps forward an hour: orphan blocks are not expired', async (t) => {
  stepWallClock(t, 0); // installed before the chain reads Date.now, as a process's own clock
  const { chain } = await openTestChain(g, undefined, { orphanLimits: { ttlMs: 30 * 60_000 } }, t);
  const first = orphan(1);
  assert.equal((await chain.submitBlock(first, { source: 'peer-a' })).status, 'orphan');
  stepWallClock(t, HOUR_MS);
  // The next arrival sweeps expired orphans: the first is a few milliseconds old, not an hour.
  assert.equal((await chain.submitBlock(orphan(2), { source: 'peer-b' })).status, 'orphan');
  assert.equal(chain.orphanCount, 2);
  assert.equal(await chain.hasBlock(blockId(first)), true, 'the first orphan is still waiting for its parent');
});

test('wall clock steps back an hour: an expired orphan block still leaves the pool', async (t) => {
  const TTL_MS = 200;
  stepWallClock(t, 0);
  const { chain } = await openTestChain(g, undefined, { orphanLimits: { ttlMs: TTL_MS } }, t);
  const first = orphan(1);
  assert.equal((await chain.submitBlock(first, { source: 'peer-a' })).status, 'orphan');
  stepWallClock(t, -HOUR_MS);
  // At least the lifetime passes on the monotonic clock (a lower bound: no race).
  await sleep(TTL_MS + 100);
  assert.equal((await chain.submitBlock(orphan(2), { source: 'peer-b' })).status, 'orphan');
  assert.equal(await chain.hasBlock(blockId(first)), false, 'the expired orphan left at the next arrival');
  assert.equal(chain.orphanCount, 1);
});

test('an expired orphan block is forgotten without waiting for another orphan to arrive, and is taken again when re-sent', async (t) => {
  // Before: expiry ran only when the next orphan arrived, so a stale orphan stayed "known" (a
  // re-sent copy was refused as a duplicate) for as long as no other orphan came.
  const TTL_MS = 200;
  const { chain } = await openTestChain(g, undefined, { orphanLimits: { ttlMs: TTL_MS } }, t);
  const first = orphan(1);
  assert.equal((await chain.submitBlock(first, { source: 'peer-a' })).status, 'orphan');
  await sleep(TTL_MS + 100);
  assert.equal(await chain.hasBlock(blockId(first)), false, 'the expired orphan is no longer known');
  assert.equal(chain.orphanCount, 0);
  assert.equal((await chain.submitBlock(first, { source: 'peer-b' })).status, 'orphan', 're-sent, it waits again with a fresh age');
});
