// Mempool against a real Chain on LevelDB: admission reasons, ordering, RBF, eviction, gaps, reorgs.
// (The attacks of issue 17 have their own file, attacks.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mempool, TX_REFUSALS_MAY_BECOME_VALID, TX_REFUSALS_JUNK } from '../../../src/mempool/index.js';
import { txIdHex, blockIdHex, addressFromPublicKey, type TransferTx } from '../../../src/core/index.js';
import { testGenesis, transfer, testAddress, testKey } from '../../helpers/fixtures.js';
import { openTestChain, childOf, tipEntry, extend } from '../../helpers/chain-helpers.js';

const g = testGenesis({
  alloc: ['alice', 'bob', 'carol', 'dave'].map((n) => ({ address: addressFromPublicKey(testKey(n).publicKey), amount: 1_000_000n })),
});
const t = (from: string, nonce: bigint, fee = 10_000n, amount = 10n): TransferTx => transfer(from, testAddress('zed'), amount, nonce, g.id, fee);

async function setup(limits = {}) {
  const c = await openTestChain(g);
  const pool = new Mempool(c.chain, { limits });
  pool.start();
  return { ...c, pool, done: async () => { pool.stop(); await c.close(); } };
}

test('admits a valid tx and refuses it twice (already-known)', async () => {
  const s = await setup();
  try {
    assert.deepEqual(await s.pool.add(t('alice', 0n)), { accepted: true, id: txIdHex(t('alice', 0n)) });
    const r = await s.pool.add(t('alice', 0n));
    assert.equal(r.accepted, false);
    assert.equal(!r.accepted && r.reason, 'already-known');
  } finally { await s.done(); }
});

test('refusal reasons: bad-signature, bad-chain-id, bad-amount, bad-nonce, insufficient-funds, nonce-too-far (the per-sender bound)', async () => {
  const s = await setup({ perSender: 4 });
  try {
    const reasonOf = async (tx: TransferTx) => { const r = await s.pool.add(tx); return r.accepted ? 'accepted' : r.reason; };
    assert.equal(await reasonOf({ ...t('alice', 0n), amount: 11n }), 'bad-signature');
    assert.equal(await reasonOf(transfer('alice', testAddress('zed'), 1n, 0n, new Uint8Array(32))), 'bad-chain-id');
    assert.equal(await reasonOf(t('alice', 0n, 1n, 0n)), 'bad-amount');
    assert.equal(await reasonOf(t('nobody', 0n)), 'insufficient-funds');
    assert.equal(await reasonOf(t('alice', 0n, 10_000n, 2_000_000n)), 'insufficient-funds');
    assert.equal(await reasonOf(t('alice', 4n)), 'nonce-too-far');
    for (let n = 0n; n < 4n; n++) assert.equal(await reasonOf(t('alice', n)), 'accepted');
    // A mined block confirms nonce 0: a replay of it is bad-nonce.
    await s.chain.submitBlock(await childOf(s.chain, await tipEntry(s.chain), [t('alice', 0n)]));
    await s.pool.idle();
    assert.equal(await reasonOf(t('alice', 0n, 500n)), 'bad-nonce');
    assert.equal(await reasonOf(t('alice', 4n)), 'accepted');
    assert.equal(await reasonOf(t('alice', 5n)), 'nonce-too-far');
    // Pending spend counts: bob can afford one big tx but not a second on top.
    assert.equal(await reasonOf(t('bob', 0n, 10_000n, 600_000n)), 'accepted');
    assert.equal(await reasonOf(t('bob', 1n, 10_000n, 600_000n)), 'insufficient-funds');
  } finally { await s.done(); }
});

test('ordering: highest package fee rate first, nonce order per sender', async () => {
  const s = await setup();
  try {
    await s.pool.add(t('alice', 0n, 10_000n));
    await s.pool.add(t('alice', 1n, 900_000n)); // high fee, must follow alice/0: the pair is the best package
    await s.pool.add(t('bob', 0n, 300_000n));
    await s.pool.add(t('carol', 0n, 50_000n));
    const picked = await s.pool.selectForBlock(1 << 20);
    const names = picked.map((x) => `${x.fee}`);
    assert.deepEqual(names, ['10000', '900000', '300000', '50000']);
    assert.deepEqual(s.pool.entries().map((e) => e.tx.fee), [900_000n, 300_000n, 50_000n, 10_000n]);
    // Size bound respected (each transaction also costs its 2-byte length prefix).
    const one = s.pool.entries()[0]!.size + 2;
    assert.deepEqual((await s.pool.selectForBlock(2 * one)).map((x) => x.fee), [10_000n, 900_000n]);
    assert.deepEqual((await s.pool.selectForBlock(2 * one - 1)).map((x) => x.fee), [300_000n]);
  } finally { await s.done(); }
});

test('gaps are held but not selected until filled', async () => {
  const s = await setup();
  try {
    assert.equal((await s.pool.add(t('alice', 2n))).accepted, true);
    assert.equal((await s.pool.selectForBlock(1 << 20)).length, 0);
    assert.equal(await s.pool.pendingNonce(testAddress('alice')), 0n);
    await s.pool.add(t('alice', 0n));
    assert.equal(await s.pool.pendingNonce(testAddress('alice')), 1n);
    await s.pool.add(t('alice', 1n));
    assert.equal(await s.pool.pendingNonce(testAddress('alice')), 3n);
    assert.deepEqual((await s.pool.selectForBlock(1 << 20)).map((x) => x.nonce), [0n, 1n, 2n]);
  } finally { await s.done(); }
});

test('replace-by-fee: needs at least 10% more (rbf-fee-too-low), then replaces', async () => {
  const s = await setup();
  try {
    await s.pool.add(t('alice', 0n, 10_000n));
    const low = await s.pool.add(t('alice', 0n, 10_999n, 11n));
    assert.equal(!low.accepted && low.reason, 'rbf-fee-too-low');
    const ok = await s.pool.add(t('alice', 0n, 11_000n, 11n));
    assert.equal(ok.accepted && ok.replaced, txIdHex(t('alice', 0n, 10_000n)));
    assert.equal(s.pool.size, 1);
  } finally { await s.done(); }
});

test('eviction: a full pool drops the lowest fee rate, refuses a lower newcomer (mempool-full)', async () => {
  const s = await setup({ maxCount: 3 });
  try {
    await s.pool.add(t('alice', 0n, 10_000n));
    await s.pool.add(t('bob', 0n, 20_000n));
    await s.pool.add(t('carol', 0n, 30_000n));
    const low = await s.pool.add(t('dave', 0n, 5_000n));
    assert.equal(!low.accepted && low.reason, 'mempool-full');
    assert.equal((await s.pool.add(t('dave', 0n, 40_000n))).accepted, true);
    assert.equal(s.pool.size, 3);
    assert.equal(s.pool.has(txIdHex(t('alice', 0n, 10_000n))), false);
  } finally { await s.done(); }
});

test('confirmed txs leave; after a reorg disconnected txs come back when still valid', async () => {
  const s = await setup();
  try {
    await extend(s.chain, 1);
    const fork = await tipEntry(s.chain);
    const a0 = t('alice', 0n);
    const b0 = t('bob', 0n);
    await s.pool.add(a0);
    await s.pool.add(b0);
    const blk = await childOf(s.chain, fork, [a0, b0]);
    assert.equal((await s.chain.submitBlock(blk)).status, 'connected');
    await s.pool.idle();
    assert.equal(s.pool.size, 0);
    // A competing branch confirms only b0 and wins with two blocks.
    const s1 = await childOf(s.chain, fork, [b0], 7n);
    await s.chain.submitBlock(s1);
    const e1 = (await s.chain.entry(Buffer.from(blockIdHex(s1), 'hex')))!;
    const s2 = await childOf(s.chain, e1, [], 7n);
    assert.equal((await s.chain.submitBlock(s2)).status, 'connected');
    await s.pool.idle();
    assert.deepEqual(s.pool.entries().map((e) => e.id), [txIdHex(a0)]);
  } finally { await s.done(); }
});

test('expiry: entries older than the lifetime leave', async () => {
  let now = 1_000_000;
  const c = await openTestChain(g);
  const pool = new Mempool(c.chain, { limits: { lifetimeMs: 1000 }, now: () => now });
  try {
    await pool.add(t('alice', 0n));
    now += 1001;
    await pool.revalidateNow();
    assert.equal(pool.size, 0);
  } finally { await c.close(); }
});

test('a block of txs the mempool admitted connects without verifying their signatures again', async () => {
  const s = await setup();
  try {
    const txs = ['alice', 'bob', 'dave'].flatMap((from) => Array.from({ length: 12 }, (_, i) => t(from, BigInt(i))));
    for (const tx of txs) assert.equal((await s.pool.add(tx)).accepted, true);
    const refused = { ...t('carol', 0n), amount: 11n }; // bad signature: never remembered as verified
    assert.equal((await s.pool.add(refused)).accepted, false);
    assert.equal(s.chain.signatures.has(refused), false);
    const before = s.chain.signatures.hits;
    const r = await s.chain.submitBlock(await childOf(s.chain, await tipEntry(s.chain), txs));
    assert.equal(r.status, 'connected');
    assert.equal(s.chain.signatures.hits - before, 36);
    // Fresh transfers in a block are verified, then remembered.
    const fresh = Array.from({ length: 3 }, (_, i) => t('carol', BigInt(i)));
    assert.equal((await s.chain.submitBlock(await childOf(s.chain, await tipEntry(s.chain), fresh))).status, 'connected');
    assert.ok(fresh.every((tx) => s.chain.signatures.has(tx)));
  } finally { await s.done(); }
});

test('refusal classes for the network edge: what may become valid is never remembered, junk is told apart from invalid', () => {
  for (const r of ['insufficient-funds', 'nonce-too-far', 'mempool-full', 'gapped-full', 'replacement-rate-limited']) assert.ok(TX_REFUSALS_MAY_BECOME_VALID.has(r), r);
  for (const r of ['bad-signature', 'bad-chain-id', 'fee-too-low', 'already-known']) assert.equal(TX_REFUSALS_MAY_BECOME_VALID.has(r), false, r);
  for (const r of ['rbf-fee-too-low', 'nonce-too-far', 'bad-nonce', 'fee-too-low']) assert.ok(TX_REFUSALS_JUNK.has(r), r);
  assert.equal(TX_REFUSALS_JUNK.has('bad-signature'), false);
});
