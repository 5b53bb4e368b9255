// Deep reorgs on a real LevelDB: a 2,000-block reorg runs as one small atomic batch per block
// (bounded memory), hands back exactly the transfers the new branch lacks, and a crash at any
// step (a write that never happens) is resumed at the next open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockIdHex, type Block } from '../../../src/core/index.js';
import { toHex } from '../../../src/crypto/index.js';
import { workForTarget, type Chain, type ReorgEvent } from '../../../src/chain/index.js';
import { testGenesis, transfer, testAddress } from '../../helpers/fixtures.js';
import { tempDir, openChainAt, checkInvariants, offlineBranch } from '../../helpers/chain-helpers.js';

const g = testGenesis();


/**
 * Counts LevelDB batches and the largest op count of a chain step (one batch = one atomic step).
 * The tx index's own batches (only `txs` rows and its tip) are counted apart: they follow the steps
 * a bounded number of blocks at a time (tx-index.ts), so their size is per block, not per step.
 */
function spyBatches(chain: Chain, failAt?: number): { batches: number; maxOps: number; indexBatches: number } {
  const db = chain.store.db as unknown as { batch: (ops: { sublevel?: unknown }[]) => Promise<void> };
  const orig = db.batch.bind(db);
  const txs = chain.store.sub('txs');
  const meta = chain.store.sub('meta');
  const stats = { batches: 0, maxOps: 0, indexBatches: 0 };
  db.batch = async (ops: { sublevel?: unknown }[]) => {
    stats.batches++;
    if (stats.batches === failAt) throw new Error(`injected crash before batch ${failAt}`);
    if (ops.every((o) => o.sublevel === txs || o.sublevel === meta) && ops.some((o) => o.sublevel === txs)) stats.indexBatches++;
    else stats.maxOps = Math.max(stats.maxOps, ops.length);
    return orig(ops);
  };
  return stats;
}

/** Work of genesis plus n blocks at the initial target: what sync's checked headers would prove. */
const branchWork = (n: number): bigint => BigInt(n + 1) * workForTarget(g.params.initialTarget);

/** `provenWork`: the branch's header work, as sync passes it (a side branch is stored however deep). */
async function submitAll(chain: Chain, blocks: Block[], provenWork?: bigint): Promise<void> {
  for (const b of blocks) {
    const r = await chain.submitBlock(b, { provenWork });
    if (r.status !== 'connected' && r.status !== 'side') throw new Error(`block ${r.height}: ${r.status} ${r.reason ?? ''}`);
  }
}

test('deep reorg: 2,000 blocks disconnected and 2,001 connected one atomic batch per block', { timeout: 120_000 }, async () => {
  const DEPTH = 2000;
  const pay = (nonce: number) => transfer('alice', testAddress('bob'), 1000n + BigInt(nonce), BigInt(nonce), g.id, 10n);
  const paid = Array.from({ length: 20 }, (_, k) => pay(k));
  // Main: a transfer every 100 blocks (nonces 0..19). Branch: only the first ten of them.
  const main = offlineBranch(g, DEPTH, 1n, (i) => (i % 100 === 50 ? [paid[i / 100 - 0.5]!] : []));
  const side = offlineBranch(g, DEPTH + 1, 2n, (i) => (i % 100 === 70 && i < 1000 ? [paid[(i - 70) / 100]!] : []));
  const dir = tempDir();
  const chain = await openChainAt(dir.path, g);
  try {
    await submitAll(chain, main);
    await submitAll(chain, side.slice(0, DEPTH), branchWork(DEPTH + 1));
    assert.equal(chain.tip.idHex, blockIdHex(main[DEPTH - 1]!), 'an equal-work branch does not displace the tip');
    const reorgs: ReorgEvent[] = [];
    chain.on('reorg', (e) => reorgs.push(e));
    const connected: number[] = [];
    chain.on('block', (e) => connected.push(e.height));
    const stats = spyBatches(chain);
    const r = await chain.submitBlock(side[DEPTH]!);
    assert.equal(r.status, 'connected', r.reason);
    assert.equal(chain.tip.idHex, blockIdHex(side[DEPTH]!));
    assert.equal(chain.tip.height, DEPTH + 1);
    // Step-wise: one small batch per block (plus the marker), never one batch for the whole reorg.
    assert.ok(stats.batches >= 2 * DEPTH + 1, `${stats.batches} batches`);
    assert.ok(stats.maxOps <= 16, `largest batch had ${stats.maxOps} ops`);
    assert.equal(reorgs.length, 1);
    assert.equal(reorgs[0]!.forkHeight, 0);
    assert.equal(reorgs[0]!.disconnected.length, DEPTH);
    assert.equal(reorgs[0]!.connected.length, DEPTH + 1);
    assert.deepEqual(reorgs[0]!.removedTxs.map((t) => t.nonce), Array.from({ length: 10 }, (_, k) => BigInt(k + 10)), 'the transfers the branch lacks, oldest first');
    assert.deepEqual(connected, Array.from({ length: DEPTH + 1 }, (_, i) => i + 1));
    assert.equal(await chain.store.getReorgTarget(), undefined, 'no reorg left in progress');
    assert.equal((await chain.getAccount(testAddress('bob'))).balance, Array.from({ length: 10 }, (_, k) => 1000n + BigInt(k)).reduce((a, b) => a + b));
    await checkInvariants(chain, g);
  } finally {
    await chain.close();
    dir.cleanup();
  }
});

test('deep reorg: a crash before any step resumes at the next open', { timeout: 120_000 }, async () => {
  const DEPTH = 10;
  const main = offlineBranch(g, DEPTH, 1n, (i) => (i === 3 ? [transfer('alice', testAddress('bob'), 7n, 0n, g.id)] : []));
  const side = offlineBranch(g, DEPTH + 1, 2n, (i) => (i === 5 ? [transfer('alice', testAddress('carol'), 9n, 0n, g.id)] : []));
  // Batch 1 marks the target; then 10 disconnects and 11 connects: a crash before each of them.
  for (let failAt = 1; failAt <= 2 * DEPTH + 2; failAt++) {
    const dir = tempDir();
    try {
      let chain = await openChainAt(dir.path, g);
      await submitAll(chain, main);
      await submitAll(chain, side.slice(0, DEPTH), branchWork(DEPTH + 1));
      spyBatches(chain, failAt);
      await assert.rejects(chain.submitBlock(side[DEPTH]!), /injected crash/);
      await chain.close();
      chain = await openChainAt(dir.path, g);
      try {
        // Before the marker was written the new block was never stored: the old tip stands, intact.
        const expected = failAt === 1 ? main[DEPTH - 1]! : side[DEPTH]!;
        assert.equal(chain.tip.idHex, blockIdHex(expected), `crash before batch ${failAt}`);
        assert.equal(await chain.store.getReorgTarget(), undefined);
        await checkInvariants(chain, g);
        assert.equal(toHex(chain.tip.id), blockIdHex(expected));
      } finally {
        await chain.close();
      }
    } finally {
      dir.cleanup();
    }
  }
});
