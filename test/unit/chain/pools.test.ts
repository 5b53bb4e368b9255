// The bounded pools on their own: orphans (count, bytes, age, per source) and held future blocks
// (per source, total, hold window), with the documented eviction order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrphanPool, HeldBlocks } from '../../../src/chain/index.js';
import { blockIdHex, type Block } from '../../../src/core/index.js';
import { testGenesis, buildBlock } from '../../helpers/fixtures.js';

const g = testGenesis();
const parent = { id: new Uint8Array(32).fill(3), height: 9, timestamp: g.params.timestamp };
const block = (tag: number): Block => buildBlock({ parent, target: g.params.initialTarget, params: g.params, extraNonce: BigInt(tag), mine: false });

test('orphan pool: a source at its cap evicts its own oldest', () => {
  const pool = new OrphanPool({ maxCount: 10, maxPerSource: 3 });
  const a = [1, 2, 3, 4].map(block);
  a.forEach((b, i) => pool.add(b, 100, i, 'a'));
  assert.equal(pool.countFrom('a'), 3);
  assert.equal(pool.has(blockIdHex(a[0]!), 3), false, "the oldest of source a went");
  assert.equal(pool.has(blockIdHex(a[3]!), 3), true);
});

test('orphan pool: a full pool evicts the oldest orphan of the largest source', () => {
  const pool = new OrphanPool({ maxCount: 4, maxPerSource: 4 });
  const b1 = block(10);
  pool.add(b1, 100, 0, 'b');
  const a = [1, 2, 3].map(block);
  a.forEach((x, i) => pool.add(x, 100, 1 + i, 'a'));
  pool.add(block(11), 100, 5, 'c');
  assert.equal(pool.size, 4);
  assert.equal(pool.has(blockIdHex(b1), 5), true, "the older orphan of the small source stays");
  assert.equal(pool.has(blockIdHex(a[0]!), 5), false, "the largest source pays");
});

test('orphan pool: expired orphans go first, children come out with their source', () => {
  const pool = new OrphanPool({ ttlMs: 1000 });
  pool.add(block(1), 100, 0, 'a');
  pool.add(block(2), 100, 5000, 'b');
  assert.equal(pool.size, 1);
  const kids = pool.takeChildren(Buffer.from(parent.id).toString('hex'));
  assert.deepEqual(kids.map((k) => k.source), ['b']);
  assert.equal(pool.size, 0);
});

test('held blocks: beyond the hold window refused; due ones released in order; per-source share', () => {
  const held = new HeldBlocks({ maxCount: 4, maxPerSource: 2, maxHoldMs: 10_000 });
  assert.equal(held.add(block(1), 'a', 20_000, 10_000), true, 'exactly at the hold window');
  assert.equal(held.add(block(2), 'a', 50_000, 10_000), false, 'too far ahead to hold');
  held.add(block(3), 'a', 15_000, 10_000);
  held.add(block(4), 'a', 16_000, 10_000); // evicts a's oldest (block 1)
  held.add(block(5), 'b', 12_000, 10_000);
  assert.equal(held.size, 3);
  assert.equal(held.has(blockIdHex(block(1))), false);
  assert.equal(held.nextDue(), 12_000);
  assert.deepEqual(held.takeDue(15_500).map((h) => blockIdHex(h.block)), [blockIdHex(block(3)), blockIdHex(block(5))]);
  assert.equal(held.size, 1);
});
