// A syncing node decodes a block per message; what it derives from a block (the bytes it came in,
// its merkle root) was remembered in module-level WeakMaps. V8's young-generation GC keeps a
// WeakMap entry's value alive (only a full GC clears it), so every decoded block's txs and bytes
// survived, were copied and promoted instead of dying young: GC was the syncing main thread's
// largest cost after signature checks. These tests hold that dropped blocks die in minor GCs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { blockBytes, blockMerkleRoot, decodeBlock, encodeBlock, txId, type Block } from '../../../src/core/index.js';
import { buildBlock, testAddress, testGenesis, transfer } from '../../helpers/fixtures.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (opts?: { type: 'minor' | 'major'; execution?: 'sync' }) => void;

const g = testGenesis();
const BLOCKS = 300;
const bytes = encodeBlock(buildBlock({
  parent: { id: g.id, height: 0, timestamp: g.params.timestamp }, target: g.params.initialTarget, params: g.params,
  txs: Array.from({ length: 200 }, (_, i) => transfer('alice', testAddress('r' + (i % 5)), 10n, BigInt(i), g.id, 1n)),
}));

/**
 * Heap still in use after decoding BLOCKS blocks one at a time (each used as sync uses it, then
 * dropped) and one minor GC: what the young generation could not free.
 */
function retainedAfterMinorGc(use: (b: Block) => void): number {
  gc();
  const before = getHeapStatistics().used_heap_size;
  for (let i = 0; i < BLOCKS; i++) use(decodeBlock(bytes));
  gc({ type: 'minor', execution: 'sync' });
  return getHeapStatistics().used_heap_size - before;
}

// The decoded objects of BLOCKS blocks take ~15-45 MB; a few MB of slack for whatever else runs.
const MAX_RETAINED = 4_000_000;

test('decoded block kept alive by a WeakMap: dropped decoded blocks (their bytes remembered for storing) die in minor GCs', () => {
  const kept = retainedAfterMinorGc((b) => assert.equal(blockBytes(b).length, bytes.length));
  assert.ok(kept < MAX_RETAINED, `${kept} bytes survived minor GCs`);
});

test('merkle root cache kept a block alive: dropped blocks whose root was computed die in minor GCs', () => {
  const kept = retainedAfterMinorGc((b) => assert.equal(blockMerkleRoot(b.txs).length, 32));
  assert.ok(kept < MAX_RETAINED, `${kept} bytes survived minor GCs`);
});

test('the caches on the block still answer: same bytes object, same root, recomputed once the txs change', () => {
  const b = decodeBlock(bytes);
  assert.equal(blockBytes(b), blockBytes(b));
  const root = blockMerkleRoot(b.txs);
  assert.deepEqual(blockMerkleRoot(b.txs), root);
  b.txs.pop();
  assert.notDeepEqual(blockMerkleRoot(b.txs), root);
  assert.notEqual(blockBytes(b), blockBytes(b)); // re-encoded: the decoded bytes no longer match
  assert.equal(txId(b.txs[0]!).length, 32);
});
