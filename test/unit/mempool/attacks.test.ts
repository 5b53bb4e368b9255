// The attacks of issue 17 against a real Chain on LevelDB, each test named after one. Every one
// failed on the mempool before the split (single pool, head-fee selection, no floor, no budgets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mempool, type MempoolLimits } from '../../../src/mempool/index.js';
import { txIdHex, txSize, blockIdHex, addressFromPublicKey, type TransferTx } from '../../../src/core/index.js';
import { fromHex } from '../../../src/crypto/index.js';
import { testGenesis, transfer, testAddress, testKey } from '../../helpers/fixtures.js';
import { openTestChain, childOf, tipEntry } from '../../helpers/chain-helpers.js';

const ATTACKERS = Array.from({ length: 10 }, (_, i) => `attacker-${i}`);
const g = testGenesis({
  alloc: ['alice', 'bob', 'carol', 'dave', ...ATTACKERS].map((n) => ({ address: addressFromPublicKey(testKey(n).publicKey), amount: 1_000_000n })),
});
const t = (from: string, nonce: bigint, fee = 10_000n, amount = 10n, to = testAddress('zed')): TransferTx => transfer(from, to, amount, nonce, g.id, fee);

async function setup(limits: Partial<MempoolLimits> = {}, now?: () => number) {
  const c = await openTestChain(g);
  const pool = new Mempool(c.chain, { limits, now });
  pool.start();
  return { ...c, pool, done: async () => { pool.stop(); await c.close(); } };
}

/** Mines the pool's selection on the tip, as a miner would; returns the confirmed txs. */
async function mineSelection(s: Awaited<ReturnType<typeof setup>>): Promise<TransferTx[]> {
  const txs = await s.pool.selectForBlock(1 << 20);
  const r = await s.chain.submitBlock(await childOf(s.chain, await tipEntry(s.chain), txs));
  assert.equal(r.status, 'connected', r.reason);
  await s.pool.idle();
  return txs;
}

const reasonOf = async (pool: Mempool, tx: TransferTx, source?: string): Promise<string> => {
  const r = await pool.add(tx, source);
  return r.accepted ? (r.gapped ? 'gapped' : 'accepted') : r.reason;
};

test('gapped takeover: gapped spam never counts toward nor evicts the ready pool; honest transactions are still admitted and mined', async () => {
  const s = await setup({ maxCount: 40, gappedMaxCount: 30 });
  try {
    // Each attacker skips nonce 0 and sends 1..15 at a high fee: never minable, never paid for.
    for (const a of ATTACKERS) for (let n = 1n; n < 16n; n++) await s.pool.add(t(a, n, 500_000n));
    assert.equal(s.pool.size, 0, 'gapped transactions must not take ready slots');
    assert.ok(s.pool.gappedSize <= 30);
    // Honest senders at a modest fee are admitted and end up in the next block.
    const honest = [t('alice', 0n), t('bob', 0n), t('carol', 0n), t('alice', 1n)];
    for (const tx of honest) assert.equal(await reasonOf(s.pool, tx), 'accepted');
    const mined = await mineSelection(s);
    assert.deepEqual(new Set(mined.map(txIdHex)), new Set(honest.map(txIdHex)));
    for (const tx of honest) assert.ok(await s.chain.getTx(txIdHex(tx)), 'honest tx confirmed');
  } finally { await s.done(); }
});

test('gapped transactions move in when the gap closes, and expire on their own clock (a replacement keeps the original time)', async () => {
  let now = 1_000_000;
  const s = await setup({ gappedLifetimeMs: 1000 }, () => now);
  try {
    assert.equal(await reasonOf(s.pool, t('alice', 2n)), 'gapped');
    now += 900;
    // Replacing it does not reset its age.
    assert.equal(await reasonOf(s.pool, t('alice', 2n, 20_000n)), 'gapped');
    now += 200;
    await s.pool.revalidateNow();
    assert.equal(s.pool.gappedSize, 0, 'replacement must not extend a gapped tx life');
    // Held ones move into the ready pool as soon as the gap closes.
    assert.equal(await reasonOf(s.pool, t('bob', 1n)), 'gapped');
    assert.equal(await reasonOf(s.pool, t('bob', 0n)), 'accepted');
    assert.equal(s.pool.size, 2);
    assert.equal(s.pool.gappedSize, 0);
    assert.equal(await s.pool.pendingNonce(testAddress('bob')), 2n);
  } finally { await s.done(); }
});

test('package selection: a high-fee transaction behind a low-fee one of the same sender is mined', async () => {
  const s = await setup();
  try {
    await s.pool.add(t('carol', 0n, 20_000n));
    await s.pool.add(t('dave', 0n, 20_000n));
    await s.pool.add(t('alice', 0n, 10_000n));
    await s.pool.add(t('alice', 1n, 900_000n));
    const room = 3 * (s.pool.entries()[0]!.size + 2);
    const picked = await s.pool.selectForBlock(room);
    const fees = picked.reduce((sum, x) => sum + x.fee, 0n);
    assert.deepEqual(picked.slice(0, 2).map((x) => x.fee), [10_000n, 900_000n]);
    assert.equal(fees, 930_000n, 'head-fee order would collect 50,000');
  } finally { await s.done(); }
});

test('dependants on expiry: expiring nonce N removes the later nonces of that sender', async () => {
  let now = 1_000_000;
  const s = await setup({ lifetimeMs: 1000 }, () => now);
  try {
    await s.pool.add(t('alice', 0n));
    now += 600;
    await s.pool.add(t('alice', 1n));
    await s.pool.add(t('alice', 2n));
    await s.pool.add(t('bob', 0n));
    now += 500; // alice/0 is past its lifetime, the others are not
    await s.pool.revalidateNow();
    assert.deepEqual(s.pool.entries().map((e) => e.id), [txIdHex(t('bob', 0n))]);
    assert.equal(await s.pool.pendingNonce(testAddress('alice')), 0n);
  } finally { await s.done(); }
});

test('dependants on eviction: a full pool evicts a sender tail, never a nonce with later ones behind it', async () => {
  const s = await setup({ maxCount: 3 });
  try {
    await s.pool.add(t('alice', 0n, 10_000n));
    await s.pool.add(t('alice', 1n, 50_000n));
    await s.pool.add(t('bob', 0n, 30_000n));
    const r = await reasonOf(s.pool, t('carol', 0n, 20_000n));
    assert.equal(r, 'mempool-full');
    assert.equal(await reasonOf(s.pool, t('carol', 0n, 40_000n)), 'accepted');
    assert.equal(s.pool.has(txIdHex(t('bob', 0n, 30_000n))), false);
    // Everything left is minable: selection takes the whole pool.
    assert.equal((await s.pool.selectForBlock(1 << 20)).length, s.pool.size);
  } finally { await s.done(); }
});

test('pendingNonce after a bump: a replacement that raises the amount drops the later nonces it makes unaffordable', async () => {
  const s = await setup();
  try {
    for (let n = 0n; n < 3n; n++) assert.equal(await reasonOf(s.pool, t('alice', n, 10_000n, 100_000n)), 'accepted');
    assert.equal(await s.pool.pendingNonce(testAddress('alice')), 3n);
    // Same nonce, fee bumped, amount raised: 900,000 + fees leaves nothing for nonces 1 and 2.
    // The bump pays for the two transfers it drops (red-team.test.ts: free relay by replacement).
    const bump = t('alice', 0n, 31_000n, 900_000n);
    assert.equal(await reasonOf(s.pool, bump), 'accepted');
    assert.equal(await s.pool.pendingNonce(testAddress('alice')), 1n);
    assert.deepEqual(s.pool.entries().map((e) => e.id), [txIdHex(bump)]);
    assert.deepEqual((await s.pool.selectForBlock(1 << 20)).map(txIdHex), [txIdHex(bump)]);
  } finally { await s.done(); }
});

test('zero-fee refused: fee-too-low below the minimum relay fee rate, and never selected for a block', async () => {
  const s = await setup();
  try {
    assert.equal(await reasonOf(s.pool, t('alice', 0n, 0n)), 'fee-too-low');
    const size = txSize(t('alice', 0n));
    const floor = (s.pool.limits.minRelayFeeRate * BigInt(size) + 999n) / 1000n;
    assert.ok(s.pool.limits.minRelayFeeRate > 0n);
    assert.equal(await reasonOf(s.pool, t('alice', 0n, floor - 1n)), 'fee-too-low');
    assert.equal(await reasonOf(s.pool, t('alice', 0n, floor)), 'accepted');
    assert.equal(s.pool.size, 1);
  } finally { await s.done(); }
  // A pool configured with a higher floor mines nothing under it.
  const strict = await setup({ minRelayFeeRate: 100_000n });
  try {
    assert.equal(await reasonOf(strict.pool, t('alice', 0n, 10_000n)), 'fee-too-low');
    assert.equal((await strict.pool.selectForBlock(1 << 20)).length, 0);
  } finally { await strict.done(); }
});

test('cheap replacements: a bump must also pay the incremental relay fee for its own bytes', async () => {
  const s = await setup({ incrementalRelayFeeRate: 5000n });
  try {
    await s.pool.add(t('alice', 0n, 2000n));
    // 10% more is not enough when the incremental fee (5000 per 1000 bytes times the size) is higher.
    const incremental = (5000n * BigInt(txSize(t('alice', 0n))) + 999n) / 1000n;
    assert.ok(incremental > 200n);
    assert.equal(await reasonOf(s.pool, t('alice', 0n, 2200n, 11n)), 'rbf-fee-too-low');
    assert.equal(await reasonOf(s.pool, t('alice', 0n, 2000n + incremental - 1n, 11n)), 'rbf-fee-too-low');
    assert.equal(await reasonOf(s.pool, t('alice', 0n, 2000n + incremental, 11n)), 'accepted');
  } finally { await s.done(); }
});

test('replacement flood: budgets per sender and per source refuse with replacement-rate-limited', async () => {
  let now = 1_000_000;
  const s = await setup({ senderReplacementBurst: 3, senderReplacementEveryMs: 60_000, sourceReplacementBurst: 4, sourceReplacementEveryMs: 60_000 }, () => now);
  try {
    let fee = 10_000n;
    await s.pool.add(t('alice', 0n, fee));
    const results: string[] = [];
    for (let i = 0; i < 5; i++) results.push(await reasonOf(s.pool, t('alice', 0n, (fee = fee * 2n), 11n)));
    assert.deepEqual(results, ['accepted', 'accepted', 'accepted', 'replacement-rate-limited', 'replacement-rate-limited']);
    // Per source: one peer replacing many senders' txs.
    for (const who of ['bob', 'carol', 'dave']) await s.pool.add(t(who, 0n), 'peer-a');
    const bySource: string[] = [];
    for (const who of ['bob', 'carol', 'dave', 'attacker-0']) {
      if (who === 'attacker-0') await s.pool.add(t(who, 0n), 'peer-a');
      bySource.push(await reasonOf(s.pool, t(who, 0n, 20_000n), 'peer-a'));
    }
    assert.deepEqual(bySource, ['accepted', 'accepted', 'accepted', 'accepted']);
    assert.equal(await reasonOf(s.pool, t('bob', 0n, 40_000n), 'peer-a'), 'replacement-rate-limited');
    // Another source still has its own budget; and budgets refill with time.
    assert.equal(await reasonOf(s.pool, t('bob', 0n, 40_000n), 'peer-b'), 'accepted');
    now += 60_000;
    assert.equal(await reasonOf(s.pool, t('alice', 0n, fee * 2n, 11n)), 'accepted');
  } finally { await s.done(); }
});

test('state checks before the signature: junk replacements and stale nonces are refused without verifying', async () => {
  const s = await setup();
  try {
    await s.pool.add(t('alice', 0n, 10_000n));
    const forged = (tx: TransferTx): TransferTx => ({ ...tx, signature: new Uint8Array(64).fill(1) });
    assert.equal(await reasonOf(s.pool, forged(t('alice', 0n, 10_500n))), 'rbf-fee-too-low');
    assert.equal(await reasonOf(s.pool, forged(t('alice', 20n))), 'nonce-too-far');
    assert.equal(await reasonOf(s.pool, forged(t('alice', 0n, 1n))), 'fee-too-low');
    assert.equal(await reasonOf(s.pool, forged(t('alice', 1n))), 'bad-signature');
  } finally { await s.done(); }
});

test('dependent transaction across a reorg: a spend of money received in a disconnected block waits for funds, then is mined', async () => {
  const s = await setup();
  try {
    const fork = await tipEntry(s.chain);
    const pay = t('alice', 0n, 10_000n, 500_000n, testAddress('erin')); // erin had nothing
    const spend = transfer('erin', testAddress('zed'), 100_000n, 0n, g.id, 10_000n);
    const b1 = await childOf(s.chain, fork, [pay]);
    assert.equal((await s.chain.submitBlock(b1)).status, 'connected');
    const b2 = await childOf(s.chain, (await s.chain.entry(fromHex(blockIdHex(b1))))!, [spend]);
    assert.equal((await s.chain.submitBlock(b2)).status, 'connected');
    // A longer branch without either transaction wins.
    let parent = fork;
    for (let i = 0; i < 3; i++) {
      const b = await childOf(s.chain, parent, [], 9n);
      await s.chain.submitBlock(b);
      parent = (await s.chain.entry(fromHex(blockIdHex(b))))!;
    }
    assert.equal(s.chain.tip.idHex, blockIdHex(await s.chain.getBlock(parent.id).then((x) => x!.block)));
    await s.pool.idle();
    assert.ok(s.pool.isReady(txIdHex(pay)));
    assert.ok(s.pool.has(txIdHex(spend)), 'the dependent spend must not be dropped for good');
    // The payment confirms; the spend is admitted after that block, and mined in the next.
    assert.deepEqual((await mineSelection(s)).map(txIdHex), [txIdHex(pay)]);
    assert.ok(s.pool.isReady(txIdHex(spend)));
    assert.deepEqual((await mineSelection(s)).map(txIdHex), [txIdHex(spend)]);
    assert.equal(s.pool.waitingSize, 0);
  } finally { await s.done(); }
});
