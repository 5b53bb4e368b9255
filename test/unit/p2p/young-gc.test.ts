// Every received or served body passes through the p2p layer's derived-value caches (its id, its
// hex id, the `block` message encoded to serve it). Those were module-level WeakMaps keyed by the
// body bytes; V8's young-generation GC keeps a WeakMap entry's value alive until a full GC, so
// every body's id and hex string, and each served body's encoded message, survived minor GCs and
// was promoted instead of dying young. These tests hold that dropped bodies leave nothing behind
// after a minor GC, and that the caches still answer while a body is in hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encodeBlock } from '../../../src/core/index.js';
import { blockIdHexOf, bodyId, decodeMessage, encodeBlockMessage, encodeMessage } from '../../../src/p2p/index.js';
import { buildBlock, testAddress, testGenesis, transfer } from '../../helpers/fixtures.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (opts?: { type: 'minor' | 'major'; execution?: 'sync' }) => void;

const g = testGenesis();
const block = encodeBlock(buildBlock({
  parent: { id: g.id, height: 0, timestamp: g.params.timestamp }, target: g.params.initialTarget, params: g.params,
  txs: Array.from({ length: 20 }, (_, i) => transfer('alice', testAddress('r' + (i % 5)), 10n, BigInt(i), g.id, 1n)),
}));
const BODIES = 5_000;

/**
 * Heap still in use after BODIES fresh copies of a body went through `use` one at a time (as the
 * router, sync and serving use them), were dropped, and one minor GC ran: what the young
 * generation could not free. (The bodies' and messages' contents live outside the V8 heap and are
 * released lazily; the objects that hold them, and the ids and hex strings, are on it.)
 */
function retainedAfterMinorGc(use: (body: Uint8Array) => void): number {
  gc();
  const before = getHeapStatistics().used_heap_size;
  for (let i = 0; i < BODIES; i++) use(block.slice());
  gc({ type: 'minor', execution: 'sync' });
  return getHeapStatistics().used_heap_size - before;
}

// Kept alive, the ids and hex strings of BODIES bodies take ~1.5-2.5 MB of heap; dying young, < 0.3 MB.
// (A served message's contents are off-heap: only its small holder object counts here.)
const MAX_RETAINED = 1_200_000;

test('body ids kept alive by a WeakMap: dropped received bodies (block id, hex id) die in minor GCs', () => {
  const kept = retainedAfterMinorGc((b) => {
    assert.equal(bodyId('block', b).length, 32);
    assert.equal(blockIdHexOf(b).length, 64);
  });
  assert.ok(kept < MAX_RETAINED, `${kept} bytes survived minor GCs`);
});

test('tx ids kept alive by a WeakMap: dropped received tx bodies die in minor GCs', () => {
  const kept = retainedAfterMinorGc((b) => assert.equal(bodyId('tx', b.subarray(0, 200)).length, 32));
  assert.ok(kept < MAX_RETAINED, `${kept} bytes survived minor GCs`);
});

test('served block message kept alive by a WeakMap: dropped served bodies (id noted, message encoded) die in minor GCs', () => {
  const kept = retainedAfterMinorGc((b) => {
    assert.equal(bodyId('block', b).length, 32);
    assert.equal(encodeBlockMessage({ kind: 'block', bytes: b }).length, b.length + 6);
  });
  assert.ok(kept < MAX_RETAINED, `${kept} bytes survived minor GCs`);
});

test('the caches on a body still answer, stay invisible, and leave the wire bytes unchanged', () => {
  const b = block.slice();
  const id = bodyId('block', b);
  assert.equal(bodyId('block', b), id, 'the block id is hashed once per bytes object');
  assert.equal(blockIdHexOf(b), Buffer.from(id).toString('hex'));
  assert.notDeepEqual(bodyId('tx', b), id, 'a tx id is the hash of all the bytes, kept apart from the block id');
  const msg = encodeBlockMessage({ kind: 'block', bytes: b });
  assert.equal(encodeBlockMessage({ kind: 'block', bytes: b }), msg, 'one message per served body');
  assert.deepEqual(msg, encodeMessage({ kind: 'block', bytes: block.slice() }));
  // The slot is non-enumerable: equality, spreads and key listings never see it.
  assert.deepEqual(b, block);
  assert.deepEqual(Object.keys(b), Object.keys(block));
  assert.deepEqual(Object.getOwnPropertySymbols(b).filter((s) => Object.getOwnPropertyDescriptor(b, s)?.enumerable), []);
  const decoded = decodeMessage(msg);
  assert.equal(decoded.kind, 'block');
  if (decoded.kind === 'block') assert.deepEqual(decoded.bytes, block);
  // A frozen-shape (non-extensible) body cannot hold the slot: answers are recomputed, still right.
  const sealed = Object.preventExtensions(block.slice());
  assert.deepEqual(bodyId('block', sealed), id);
  assert.equal(blockIdHexOf(sealed), blockIdHexOf(b));
});
