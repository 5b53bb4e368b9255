// Red team of the mempool's prices (round 8): what evicting another sender's transaction and
// replacing one's own chain of transactions cost. Each test is named after the attack; each failed
// on the pool before its fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mempool, feeAtRate, type MempoolLimits } from '../../../src/mempool/index.js';
import { txIdHex, txSize, addressFromPublicKey, type TransferTx } from '../../../src/core/index.js';
import { testGenesis, transfer, testAddress, testKey } from '../../helpers/fixtures.js';
import { openTestChain } from '../../helpers/chain-helpers.js';

const g = testGenesis({
  alloc: ['alice', 'bob', 'carol', 'mallory'].map((n) => ({ address: addressFromPublicKey(testKey(n).publicKey), amount: 1_000_000n })),
});
const t = (from: string, nonce: bigint, fee = 10_000n, amount = 10n): TransferTx => transfer(from, testAddress('zed'), amount, nonce, g.id, fee);
const SIZE = txSize(t('alice', 0n));

async function setup(limits: Partial<MempoolLimits> = {}) {
  const c = await openTestChain(g);
  const pool = new Mempool(c.chain, { limits });
  pool.start();
  return { ...c, pool, done: async () => { pool.stop(); await c.close(); } };
}

const reasonOf = async (pool: Mempool, tx: TransferTx): Promise<string> => {
  const r = await pool.add(tx);
  return r.accepted ? (r.gapped ? 'gapped' : 'accepted') : r.reason;
};

test('cheap eviction: in a full pool, outbidding the worst tail by 1 unit per 1000 bytes evicts nothing; it takes the incremental relay fee rate on top', async () => {
  const s = await setup({ maxCount: 3 });
  try {
    for (const who of ['alice', 'bob', 'carol']) assert.equal(await reasonOf(s.pool, t(who, 0n, 10_000n)), 'accepted');
    // One unit more fee is a higher fee rate, but nowhere near what relaying it again costs the network.
    assert.ok((10_001n * 1000n) / BigInt(SIZE) > (10_000n * 1000n) / BigInt(SIZE));
    assert.equal(await reasonOf(s.pool, t('mallory', 0n, 10_001n)), 'mempool-full');
    const inc = feeAtRate(s.pool.limits.incrementalRelayFeeRate, SIZE);
    assert.equal(await reasonOf(s.pool, t('mallory', 0n, 10_000n + inc - 1n)), 'mempool-full');
    assert.equal(s.pool.size, 3);
    assert.equal(await reasonOf(s.pool, t('mallory', 0n, 10_000n + inc)), 'accepted');
    assert.equal(s.pool.size, 3);
    assert.ok(s.pool.has(txIdHex(t('mallory', 0n, 10_000n + inc))));
  } finally { await s.done(); }
});

test('free relay by replacement: a bump that makes later nonces unaffordable pays their fees too', async () => {
  const s = await setup();
  try {
    // Three transfers relayed and paying 10,000 each; a bump of nonce 0 that spends everything
    // drops nonces 1 and 2, whose fees then are never paid: the bump must cover them.
    for (let n = 0n; n < 3n; n++) assert.equal(await reasonOf(s.pool, t('mallory', n, 10_000n, 100_000n)), 'accepted');
    assert.equal(await reasonOf(s.pool, t('mallory', 0n, 11_000n, 900_000n)), 'rbf-fee-too-low');
    assert.equal(await reasonOf(s.pool, t('mallory', 0n, 30_999n, 900_000n)), 'rbf-fee-too-low');
    assert.equal(s.pool.size, 3, 'nothing was dropped by the refused bumps');
    assert.equal(await reasonOf(s.pool, t('mallory', 0n, 31_000n, 900_000n)), 'accepted');
    assert.deepEqual(s.pool.entries().map((e) => e.id), [txIdHex(t('mallory', 0n, 31_000n, 900_000n))]);
    // A bump that keeps every later nonce affordable pays only the ordinary bump.
    for (let n = 0n; n < 3n; n++) assert.equal(await reasonOf(s.pool, t('alice', n, 10_000n, 100_000n)), 'accepted');
    assert.equal(await reasonOf(s.pool, t('alice', 0n, 11_000n, 100_000n)), 'accepted');
    assert.equal(await s.pool.pendingNonce(testAddress('alice')), 3n);
  } finally { await s.done(); }
});
