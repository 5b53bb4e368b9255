// Node-computed chain statistics (/api/stats) and the reorg history (/api/reorgs), on a real chain
// whose genesis is a month older than its first block: the genesis gap and a clock restart must
// not count as block times, so the hash rate and block times match what the blocks say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockId, workForTarget, type Block } from '../../../src/core/index.js';
import { computeChainStats, type ChainStatsJson, type ReorgJson } from '../../../src/api/index.js';
import { buildBlock, testGenesis, EASY_TARGET, testAddress } from '../../helpers/fixtures.js';
import { tipEntry } from '../../helpers/chain-helpers.js';
import { startApi, type ApiHarness } from './api-harness.js';

const DAY = 86_400_000;

async function mineAt(h: ApiHarness, timestamp: number, tag = 0n, parent?: { id: Uint8Array; height: number; timestamp: number }): Promise<Block> {
  const p = parent ?? (await tipEntry(h.chain));
  const b = buildBlock({ parent: { id: p.id, height: p.height, timestamp: p.timestamp }, target: EASY_TARGET, params: h.chain.params, timestamp, extraNonce: tag, miner: testAddress('miner') });
  const r = await h.chain.submitBlock(b);
  assert.ok(r.status === 'connected' || r.status === 'side', `block refused: ${r.status} ${r.reason ?? ''}`);
  return b;
}

async function getJson<T>(h: ApiHarness, path: string): Promise<T> {
  const r = await fetch(h.url + path);
  assert.equal(r.status, 200, `${path} answered ${r.status}`);
  return (await r.json()) as T;
}

test('genesis gap: a month-old genesis and a clock restart do not count as block times', async (t) => {
  const now = Date.now();
  const h = await startApi({ genesis: testGenesis({ timestamp: now - 30 * DAY }) });
  t.after(() => h.close());
  // Ten blocks two seconds apart, a three-hour stop, then ten more at one and three seconds.
  const gaps = [2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 3 * 3_600_000, 1000, 3000, 1000, 3000, 1000, 3000, 1000, 3000, 1000, 3000];
  let ts = now - 4 * 3_600_000;
  await mineAt(h, ts);
  for (const g of gaps) await mineAt(h, (ts += g));
  const s = await getJson<ChainStatsJson>(h, '/api/stats');

  const counted = gaps.filter((g) => g < 3_600_000);
  const span = counted.reduce((a, b) => a + b, 0);
  const expectedRate = (Number(workForTarget(EASY_TARGET)) * counted.length * 1000) / span;
  assert.equal(s.window.excluded.genesis, 1);
  assert.equal(s.window.excluded.restarts, 1);
  assert.equal(s.window.intervals, counted.length);
  assert.equal(s.window.toHeight, 21);
  assert.ok(Math.abs(s.networkHashrate - expectedRate) / expectedRate < 1e-9, `hash rate ${s.networkHashrate}, expected ${expectedRate}`);
  assert.equal(s.meanBlockTimeMs, span / counted.length);
  assert.equal(s.medianBlockTimeMs, 2000);
  assert.equal(s.difficulty, 8); // powLimit 2^255-1 over target 2^252-1
  assert.equal(s.retarget.blocksLeft, s.retarget.nextHeight - 21);
  assert.equal(s.reorgs, 0);
});

test('stats window: a short chain with only the genesis interval reports no block time, not the gap', async (t) => {
  const now = Date.now();
  const h = await startApi({ genesis: testGenesis({ timestamp: now - 328 * DAY }) });
  t.after(() => h.close());
  await mineAt(h, now - 1000);
  const s = await getJson<ChainStatsJson>(h, '/api/stats');
  assert.equal(s.networkHashrate, 0);
  assert.equal(s.meanBlockTimeMs, null);
  assert.equal(s.medianBlockTimeMs, null);
  assert.equal(s.window.excluded.genesis, 1);
});

test('retarget estimate: blocks twice as slow as the target halve the estimated difficulty', () => {
  const params = { targetBlockTimeMs: 1000, retargetInterval: 10, maxAdjustment: 4, powLimit: (1n << 255n) - 1n };
  const entries = Array.from({ length: 6 }, (_, i) => ({ height: i, timestamp: i === 0 ? 0 : 1_000_000 + i * 2000, target: EASY_TARGET }));
  const s = computeChainStats({ entries, params, nextTarget: EASY_TARGET, orphans: 2, reorgs: 1, sideTips: 3 });
  assert.equal(s.retarget.nextHeight, 10);
  assert.equal(s.retarget.blocksLeft, 5);
  assert.equal(s.retarget.estimatedDifficulty, 4);
  assert.equal(s.meanBlockTimeMs, 2000);
  assert.deepEqual([s.orphans, s.reorgs, s.sideTips], [2, 1, 3]);
});

test('reorg history: /api/reorgs lists depth, old and new tips, and /api/stats counts it', async (t) => {
  const now = Date.now();
  const h = await startApi({ genesis: testGenesis({ timestamp: now - 3 * DAY }) });
  t.after(() => h.close());
  let ts = now - 60_000;
  const base = await mineAt(h, ts);
  const fork = await tipEntry(h.chain);
  const old1 = await mineAt(h, (ts += 1000));
  const old2 = await mineAt(h, ts + 1000);
  assert.ok(old1 && old2);
  const oldTip = h.chain.tip.idHex;
  // A three-block side branch from `base` overtakes the two-block main branch.
  let parent: { id: Uint8Array; height: number; timestamp: number } = fork;
  for (let i = 0; i < 3; i++) {
    const b = await mineAt(h, parent.timestamp + 900, 7n, parent);
    parent = (await h.chain.entry(blockId(b)))!;
  }
  assert.ok(base);
  const reorgs = await getJson<ReorgJson[]>(h, '/api/reorgs');
  assert.equal(reorgs.length, 1);
  const r = reorgs[0]!;
  assert.equal(r.depth, 2);
  assert.equal(r.forkHeight, 1);
  assert.equal(r.oldTip, oldTip);
  assert.equal(r.newTip, h.chain.tip.idHex);
  assert.equal(r.connectedCount, 3);
  const s = await getJson<ChainStatsJson>(h, '/api/stats');
  assert.equal(s.reorgs, 1);
  assert.equal(s.sideTips, 1);
  const bad = await fetch(h.url + '/api/reorgs?limit=0');
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { reason: string }).reason, 'bad-query');
});

