// The header tree on a real chain: headers are checked before any body (linkage, height, target
// schedule, median-time-past, future drift, proof-of-work), known ones are skipped, work adds up,
// stored blocks leave the tree, and an invalid body takes its header and descendants with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bigIntToTarget, blockId, encodeHeader, headerId, type Block, type BlockHeader } from '../../../src/core/index.js';
import { bytesToBigInt, toHex } from '../../../src/crypto/index.js';
import { HeaderTree, SyncError } from '../../../src/sync/index.js';
import { openTestChain, extend, tipEntry } from '../../helpers/chain-helpers.js';
import { buildBlock, mineHeader } from '../../helpers/fixtures.js';
import type { Chain } from '../../../src/chain/index.js';

async function run(chain: Chain, n: number, from?: { id: Uint8Array; height: number; timestamp: number }): Promise<Block[]> {
  let parent = from ?? (await tipEntry(chain));
  const out: Block[] = [];
  for (let i = 0; i < n; i++) {
    const b = buildBlock({ parent, target: chain.params.initialTarget, params: chain.params, extraNonce: 7n });
    out.push(b);
    parent = { id: blockId(b), height: b.header.height, timestamp: b.header.timestamp };
  }
  return out;
}

async function refused(tree: HeaderTree, headers: BlockHeader[], reason: string): Promise<void> {
  await assert.rejects(tree.check(headers.map(encodeHeader)), (e: unknown) => e instanceof SyncError && e.reason === reason, `expected ${reason}`);
}

test('header tree: a run of good headers is checked, its work adds up, and it becomes the best; stored blocks leave', async (t) => {
  const { chain, close } = await openTestChain();
  t.after(close);
  await extend(chain, 12);
  const tree = new HeaderTree(chain, 1_000);
  const blocks = await run(chain, 5);
  const nodes = await tree.check(blocks.map((b) => encodeHeader(b.header)));
  assert.equal(nodes.length, 5);
  for (let i = 1; i < nodes.length; i++) assert.ok(nodes[i]!.work > nodes[i - 1]!.work);
  const beforeAdmit = tree.best;
  assert.equal(beforeAdmit, undefined, 'checked is not admitted');
  tree.admit(nodes);
  assert.equal(tree.best?.idHex, toHex(blockId(blocks[4]!)));
  assert.equal(tree.bestHeight, 17);
  // Already known headers are skipped, not re-checked.
  assert.deepEqual(await tree.check(blocks.map((b) => encodeHeader(b.header))), []);
  assert.equal((await chain.submitBlock(blocks[0]!)).status, 'connected');
  tree.stored(toHex(blockId(blocks[0]!)));
  assert.equal(tree.size, 4);
  assert.equal(tree.pathTo(tree.best!)[0]!.height, 14, 'the path starts at the first block not stored');
});

test('header tree: broken rules are refused before any body (bad-prev, bad-height, bad-target, time-too-old, bad-pow); the future is held without blame', async (t) => {
  const { chain, close } = await openTestChain();
  t.after(close);
  await extend(chain, 12);
  const tree = new HeaderTree(chain, 1_000);
  const [good] = await run(chain, 1);
  const h = good!.header;
  await refused(tree, [mineHeader({ ...h, prevHash: new Uint8Array(32).fill(5) })], 'headers-not-connecting');
  await refused(tree, [mineHeader({ ...h, height: h.height + 1 })], 'invalid-header');
  await refused(tree, [mineHeader({ ...h, target: bigIntToTarget(chain.params.initialTarget / 2n) })], 'invalid-header');
  const tip = await tipEntry(chain);
  await refused(tree, [mineHeader({ ...h, timestamp: tip.timestamp - 10_000 })], 'invalid-header');
  let noWork = { ...h };
  for (let n = 1; bytesToBigInt(headerId(noWork)) <= bytesToBigInt(noWork.target); n++) noWork = { ...h, nonce: h.nonce + n };
  await refused(tree, [noWork], 'invalid-header');
  await refused(tree, [mineHeader({ ...h, timestamp: Date.now() + 10 * 60_000 })], 'time-too-new');
  assert.equal(tree.size, 0);
});

test('header tree: an invalid body takes its header and every descendant out, and headers building on it are refused', async (t) => {
  const { chain, close } = await openTestChain();
  t.after(close);
  const tree = new HeaderTree(chain, 1_000);
  const blocks = await run(chain, 6);
  tree.admit(await tree.check(blocks.map((b) => encodeHeader(b.header))));
  tree.invalidate(toHex(blockId(blocks[2]!)));
  assert.equal(tree.size, 2);
  assert.equal(tree.best?.height, 2);
  const last = blocks[5]!;
  const [child] = await run(chain, 1, { id: blockId(last), height: last.header.height, timestamp: last.header.timestamp });
  await refused(tree, [...blocks.slice(3), child!].map((b) => b.header), 'invalid-header');
});

test('header tree: an announced child of a tip stored here is checked with no LevelDB miss ("do we have it" from memory)', async (t) => {
  const { chain, close } = await openTestChain();
  t.after(close);
  await extend(chain, 3);
  const tree = new HeaderTree(chain, 1_000);
  const [next] = await run(chain, 1);
  const store = chain.store;
  const real = store.getIndex.bind(store);
  let reads = 0;
  store.getIndex = (id) => {
    reads++;
    return real(id);
  };
  const nodes = await tree.check([encodeHeader(next!.header)]);
  assert.equal(nodes.length, 1, 'the new header is checked');
  assert.equal(reads, 0, 'the announced id was looked up in LevelDB');
  // Once stored, the same header is known (skipped), never re-checked as new.
  assert.equal((await chain.submitBlock(next!)).status, 'connected');
  tree.stored(toHex(blockId(next!)));
  assert.deepEqual(await tree.check([encodeHeader(next!.header)]), []);
});
