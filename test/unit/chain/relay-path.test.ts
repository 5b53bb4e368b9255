// The store work a relayed block costs, on a real LevelDB: a new child of a tip stored by this
// process is known absent without a store read (and that answer never hides a stored block), and a
// connected block opens no store iterator for pruning when no side body is due.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockId, blockIdHex } from '../../../src/core/index.js';
import { toHex } from '../../../src/crypto/index.js';
import { testGenesis } from '../../helpers/fixtures.js';
import { openTestChain, childOf, tipEntry, extend } from '../../helpers/chain-helpers.js';
import type { Chain } from '../../../src/chain/index.js';

const g = testGenesis();

/** Counts the index records the chain reads from LevelDB (the real store, only counted). */
function countIndexReads(chain: Chain): { reads: number } {
  const store = chain.store;
  const real = store.getIndex.bind(store);
  const count = { reads: 0 };
  store.getIndex = (id) => {
    count.reads++;
    return real(id);
  };
  return count;
}

test('relay path: a new child of a tip stored here is connected with no store read for "do we have it" (no LevelDB miss)', async (t) => {
  const { chain, close } = await openTestChain(g);
  t.after(close);
  await extend(chain, 2);
  const child = await childOf(chain, await tipEntry(chain));
  assert.equal(chain.knownAbsent(blockIdHex(child), chain.tip.idHex), true);
  const count = countIndexReads(chain);
  const r = await chain.submitBlock(child);
  assert.equal(r.status, 'connected');
  assert.equal(count.reads, 0, 'the new block id was looked up in LevelDB');
});

test('relay path: "known absent" never hides a stored block (duplicates, a stored side sibling, a tip loaded from disk)', async (t) => {
  const { chain, close } = await openTestChain(g);
  t.after(close);
  await extend(chain, 2);
  const parent = await tipEntry(chain);
  const a = await childOf(chain, parent, [], 1n);
  const b = await childOf(chain, parent, [], 2n);
  assert.equal((await chain.submitBlock(a)).status, 'connected');
  assert.equal((await chain.submitBlock(b)).status, 'side');
  // Both children of `parent` are stored: neither is known absent, and each resubmission is a duplicate.
  assert.equal(chain.knownAbsent(blockIdHex(a), parent.idHex), false);
  assert.equal(chain.knownAbsent(blockIdHex(b), parent.idHex), false);
  assert.equal((await chain.submitBlock(a)).status, 'duplicate');
  assert.equal((await chain.submitBlock(b)).status, 'duplicate');
  // Genesis was stored before this process: its children are not known from memory.
  assert.equal(chain.knownAbsent('00'.repeat(32), toHex(g.id)), false);
});

test('relay path: a connected block opens no LevelDB iterator for side-branch pruning when no side body is due (one per block before)', async (t) => {
  const { chain, close } = await openTestChain(g, undefined, { sideBranches: { pruneDepth: 2 } });
  t.after(close);
  await extend(chain, 5);
  const store = chain.store;
  const real = store.sideBelow.bind(store);
  let scans = 0;
  store.sideBelow = (height, limit) => {
    scans++;
    return real(height, limit);
  };
  await extend(chain, 20);
  assert.equal(chain.tip.height, 25);
  assert.ok(scans <= 1, `${scans} side-record scans for 20 blocks on a chain without forks`);
  // A side block stored now is still pruned once it is deep enough.
  const parent = await tipEntry(chain);
  const grand = await chain.entry(parent.parent);
  const side = await childOf(chain, grand!, [], 99n);
  assert.equal((await chain.submitBlock(side)).status, 'side');
  await extend(chain, 4);
  assert.equal(await chain.store.getBlockBytes(blockId(side)), undefined, 'the side body was pruned');
});
