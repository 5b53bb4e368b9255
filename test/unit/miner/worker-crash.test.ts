// A proof-of-work worker that dies (killed, out of memory, a kernel fault) must not stall mining:
// the searcher replaces it and the search it was part of ends, so the miner searches again on all
// workers. Failed on the searcher before the fix (the dead worker stayed in its slot; every later
// search waited on it for ever).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Worker } from 'node:worker_threads';
import { encodeHeader, bigIntToTarget } from '../../../src/core/index.js';
import { PowSearcher, Miner } from '../../../src/miner/index.js';
import { testGenesis, testAddress } from '../../helpers/fixtures.js';
import { openTestChain } from '../../helpers/chain-helpers.js';

const workersOf = (s: object): Worker[] => (s as { workers: Worker[] }).workers;
const searcherOf = (m: Miner): PowSearcher => (m as unknown as { searcher: PowSearcher }).searcher;

/** Resolves `p`, or rejects naming `what` after `ms` (a generous bound, not a speed goal). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function headerWithTarget(target: bigint, seed: number): Uint8Array {
  const g = testGenesis();
  return encodeHeader({ ...g.block.header, target: bigIntToTarget(target), timestamp: g.block.header.timestamp + seed });
}

test('worker crash: a dead pow worker ends its search and is replaced; the next search finds work', async () => {
  const s = new PowSearcher({ threads: 1, impl: 'js' });
  try {
    const hopeless = s.search(headerWithTarget(0n, 11)); // never succeeds, never exhausts soon
    await new Promise((r) => setTimeout(r, 100));
    const dead = workersOf(s)[0]!;
    await dead.terminate();
    assert.deepEqual(await within(hopeless, 20_000, 'the search the dead worker was part of'), { status: 'aborted' });
    assert.notEqual(workersOf(s)[0], dead, 'the slot holds a new worker');
    const r = await within(s.search(headerWithTarget((1n << 246n) - 1n, 12)), 30_000, 'a search after the crash');
    assert.equal(r.status, 'found');
    assert.equal(s.crashes, 1);
  } finally {
    await s.stop();
  }
});

test('worker crash: the miner keeps mining after its only worker dies', async () => {
  const { chain, close } = await openTestChain();
  const miner = new Miner({ chain, minerAddress: testAddress('miner'), threads: 1, impl: 'js' });
  try {
    const first = new Promise<void>((resolve) => miner.on('mined', () => resolve()));
    miner.start();
    await within(first, 30_000, 'the first block');
    const height = chain.tip.height;
    const after = new Promise<void>((resolve) => miner.on('mined', (e) => { if (e.height > height) resolve(); }));
    await workersOf(searcherOf(miner))[0]!.terminate();
    await within(after, 30_000, 'a block after the worker died');
    assert.ok(chain.tip.height > height);
  } finally {
    await miner.stop();
    await close();
  }
});

test('threads out of bounds: NaN, 0, 2.5 and 257 are refused at construction, not turned into a searcher that never answers', async () => {
  for (const threads of [Number.NaN, 0, 2.5, -1, 257]) {
    assert.throws(() => new PowSearcher({ threads }), RangeError, `threads ${threads}`);
  }
  const s = new PowSearcher({ threads: 1, impl: 'js' });
  try {
    assert.equal((await within(s.search(headerWithTarget((1n << 246n) - 1n, 13)), 30_000, 'a one-thread search')).status, 'found');
  } finally {
    await s.stop();
  }
});
