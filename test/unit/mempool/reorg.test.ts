// The reorg -> mempool path attacked (round 9): what comes back when blocks are disconnected, and
// what the pool keeps. Real Chain on LevelDB, real side branches. Each test named after a defect
// failed on the pool before its fix (the header of each says so); the others pin behaviour the
// red team tried and found sound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mempool, type MempoolLimits } from '../../../src/mempool/index.js';
import { txIdHex, txSize, blockIdHex, addressFromPublicKey, addressKey, type Block, type TransferTx } from '../../../src/core/index.js';
import { fromHex } from '../../../src/crypto/index.js';
import type { IndexEntry, ChainOptions } from '../../../src/chain/index.js';
import { testGenesis, transfer, testAddress, testKey, prng } from '../../helpers/fixtures.js';
import { openTestChain, childOf, tipEntry } from '../../helpers/chain-helpers.js';

const MANY = Array.from({ length: 160 }, (_, i) => `sender-${i}`);
const g = testGenesis({
  alloc: ['alice', 'bob', 'carol', 'dave', 'erin', ...MANY].map((n) => ({ address: addressFromPublicKey(testKey(n).publicKey), amount: 10_000_000n })),
});
const t = (from: string, nonce: bigint, fee = 10_000n, amount = 10n, to = testAddress('zed')): TransferTx => transfer(from, to, amount, nonce, g.id, fee);
const SIZE = txSize(t('alice', 0n));
const ALICE = addressKey(testAddress('alice'));

async function setup(limits: Partial<MempoolLimits> = {}, chainOpts: ChainOptions = {}) {
  const c = await openTestChain(g, undefined, chainOpts);
  const pool = new Mempool(c.chain, { limits });
  pool.start();
  return { ...c, pool, done: async () => { pool.stop(); await c.close(); } };
}
type Setup = Awaited<ReturnType<typeof setup>>;

/** Connects `blocks` of txs, one block each, on `parent`; returns the last entry. */
async function branch(s: Setup, parent: IndexEntry, blocks: TransferTx[][], tag: bigint): Promise<IndexEntry> {
  let cur = parent;
  for (const txs of blocks) {
    const b: Block = await childOf(s.chain, cur, txs, tag);
    const r = await s.chain.submitBlock(b);
    assert.ok(r.status === 'connected' || r.status === 'side', `${r.status} ${r.reason ?? ''}`);
    cur = (await s.chain.entry(fromHex(blockIdHex(b))))!;
  }
  return cur;
}

const reasonOf = async (pool: Mempool, tx: TransferTx): Promise<string> => {
  const r = await pool.add(tx);
  return r.accepted ? (r.gapped ? 'gapped' : 'accepted') : r.reason;
};

// Failed before the fix: the returned tx was refused `mempool-full` (it did not outbid the worst
// tail by the incremental relay fee, a price meant for newcomers, not for txs already mined once).
test('reorg-returned txs refused when the pool is full', async () => {
  const s = await setup({ maxCount: 3 });
  try {
    const fork = await tipEntry(s.chain);
    const returned = t('alice', 0n, 10_100n); // pays more per byte than every pool entry, by less than the increment
    await branch(s, fork, [[returned]], 1n);
    for (const who of ['bob', 'carol', 'dave']) assert.equal(await reasonOf(s.pool, t(who, 0n, 10_000n)), 'accepted');
    assert.equal(s.pool.size, 3);
    await branch(s, fork, [[], []], 2n); // the longer branch without alice's tx wins
    await s.pool.idle();
    assert.ok(s.pool.isReady(txIdHex(returned)), 'the returned tx competes by fee rate and wins a slot');
    assert.equal(s.pool.size, 3, 'the count cap holds after the reorg');
    assert.ok(s.pool.totalBytes <= 3 * SIZE, 'the byte cap holds after the reorg');
    assert.equal(['bob', 'carol', 'dave'].filter((w) => s.pool.isReady(txIdHex(t(w, 0n, 10_000n)))).length, 2, 'one worst tail was trimmed');
  } finally { await s.done(); }
});

test('reorg-returned txs compete by fee rate: one paying less than the whole full pool is the one trimmed', async () => {
  const s = await setup({ maxCount: 3 });
  try {
    const fork = await tipEntry(s.chain);
    const returned = t('alice', 0n, 5_000n);
    await branch(s, fork, [[returned]], 1n);
    const pool = ['bob', 'carol', 'dave'].map((w) => t(w, 0n, 10_000n));
    for (const tx of pool) assert.equal(await reasonOf(s.pool, tx), 'accepted');
    const added: string[] = [];
    s.pool.on('added', (e) => added.push(e.id));
    await branch(s, fork, [[], []], 2n);
    await s.pool.idle();
    assert.equal(s.pool.size, 3);
    for (const tx of pool) assert.ok(s.pool.isReady(txIdHex(tx)));
    assert.equal(s.pool.has(txIdHex(returned)), false);
    assert.deepEqual(added, [], 'a returned tx trimmed in the same reorg was never announced for relay');
  } finally { await s.done(); }
});

// Failed before the fix: a deep reorg's returned txs went through newcomers' admission one by one
// (each refused or evicting under the full-pool rule); now they come back first and the pool is
// trimmed once, by fee rate, and the per-reorg cap says how many are looked at.
test('deep reorg returning thousands of txs: the best by fee rate stay, the caps hold, the rest are counted out', async () => {
  const maxCount = 300;
  // Side blocks far behind the tip are stored too: the test's branch is 9 blocks long.
  const s = await setup({ maxCount, reorgReturnedMax: 1440 }, { sideBranches: { workDistanceBlocks: 20 } });
  try {
    const rnd = prng(9);
    const fork = await tipEntry(s.chain);
    // 160 senders x 12 nonces = 1,920 transfers over 8 blocks, nonces in order per sender; each
    // sender pays its own fee (a wallet's fee policy), all different.
    const perBlock: TransferTx[][] = Array.from({ length: 8 }, () => []);
    const feeOf = new Map<string, bigint>();
    for (const who of MANY) {
      let fee: bigint;
      do fee = 1_000n + BigInt(Math.floor(rnd() * 50_000)) * 10n; while ([...feeOf.values()].includes(fee));
      feeOf.set(addressKey(testAddress(who)), fee);
      for (let n = 0; n < 12; n++) perBlock[Math.floor(n / 1.5)]!.push(t(who, BigInt(n), fee));
    }
    await branch(s, fork, perBlock, 1n);
    await s.pool.idle();
    assert.equal(s.pool.size, 0);
    await branch(s, fork, Array.from({ length: 9 }, () => []), 2n);
    await s.pool.idle();
    assert.equal(s.chain.tip.height, 9);
    assert.equal(s.pool.size, maxCount, 'the pool is full of returned txs, no more');
    assert.ok(s.pool.totalBytes <= maxCount * SIZE);
    assert.ok(s.pool.gappedSize <= s.pool.limits.gappedMaxCount);
    // Only the oldest 1,440 were looked at (blocks 1..6 hold nonces 0..8 of every sender): none of
    // the newest is back.
    const kept = s.pool.entries();
    for (const e of kept) assert.ok(e.tx.nonce <= 8n, `nonce ${e.tx.nonce} is past the per-reorg cap`);
    // Each kept queue is contiguous from nonce 0 (only tails were trimmed) and all of it mineable.
    const bySender = new Map<string, bigint[]>();
    for (const e of kept) bySender.set(e.sender, [...(bySender.get(e.sender) ?? []), e.tx.nonce]);
    for (const nonces of bySender.values()) assert.deepEqual([...nonces].sort((x, y) => (x < y ? -1 : 1)), nonces.map((_, i) => BigInt(i)));
    assert.equal((await s.pool.selectForBlock(1 << 20)).length, maxCount, 'every kept tx is mineable');
    // By fee rate, not arrival: the kept senders are the best payers (one of them partly trimmed);
    // no sender left out pays more than the worst kept.
    const keptFees = [...bySender.keys()].map((k) => feeOf.get(k)!);
    const worstKept = keptFees.reduce((m, f) => (f < m ? f : m));
    const outPaid = [...feeOf].filter(([k]) => !bySender.has(k)).map(([, f]) => f);
    assert.ok(outPaid.every((f) => f < worstKept), 'a better-paying sender was trimmed');
    assert.equal(bySender.size, Math.ceil(maxCount / 9), 'the best senders kept whole, one partly');
  } finally { await s.done(); }
});

// Failed before the fix: after the reorg moved alice's account back, her 12 pending txs waited as
// gapped, where the per-sender cap (8) dropped the 4 highest; the returned nonce 0 then promoted
// only 8 of them. A reorg the sender did not cause cost her txs the pool had accepted.
test('reorg drops pool txs queued behind returned nonces (gapped caps)', async () => {
  const s = await setup();
  try {
    const fork = await tipEntry(s.chain);
    const n0 = t('alice', 0n);
    await branch(s, fork, [[n0]], 1n);
    await s.pool.idle();
    const pending = Array.from({ length: 12 }, (_, i) => t('alice', BigInt(i + 1)));
    for (const tx of pending) assert.equal(await reasonOf(s.pool, tx), 'accepted');
    await branch(s, fork, [[], []], 2n);
    await s.pool.idle();
    assert.ok(s.pool.isReady(txIdHex(n0)));
    for (const tx of pending) assert.ok(s.pool.isReady(txIdHex(tx)), `nonce ${tx.nonce} survived the reorg`);
    assert.equal(await s.pool.pendingNonce(testAddress('alice')), 13n);
    assert.equal(s.pool.gappedSize, 0);
  } finally { await s.done(); }
});

// Failed before the fix: the retry set counted the reorg's own connected blocks, so a branch of
// 7 blocks (retryBlocks 6) gave up the waiting spend before any new block could pay for it.
test('retry set drained by the reorg\'s own blocks', async () => {
  const s = await setup();
  try {
    const fork = await tipEntry(s.chain);
    const pay = t('alice', 0n, 10_000n, 500_000n, testAddress('pauper'));
    const spend = transfer('pauper', testAddress('zed'), 100_000n, 0n, g.id, 10_000n);
    await branch(s, fork, [[pay], [spend]], 1n);
    await branch(s, fork, Array.from({ length: 7 }, () => []), 2n);
    await s.pool.idle();
    assert.ok(s.pool.isReady(txIdHex(pay)));
    assert.ok(s.pool.has(txIdHex(spend)), 'the dependent spend still waits for its funds');
    // The payment confirms in the next block; the spend comes in after it.
    await branch(s, await tipEntry(s.chain), [[pay]], 3n);
    await s.pool.idle();
    assert.ok(s.pool.isReady(txIdHex(spend)));
  } finally { await s.done(); }
});

test('chained nonces from one sender across a reorg: the winning branch confirmed the first, the rest come back in order behind it', async () => {
  const s = await setup();
  try {
    const fork = await tipEntry(s.chain);
    const chain = Array.from({ length: 5 }, (_, i) => t('alice', BigInt(i)));
    await branch(s, fork, [[chain[0]!, chain[1]!], [chain[2]!], [chain[3]!, chain[4]!]], 1n);
    const n5 = t('alice', 5n);
    assert.equal(await reasonOf(s.pool, n5), 'accepted');
    // An attacker's longer branch confirms only alice's nonce 0.
    await branch(s, fork, [[chain[0]!], [], [], []], 2n);
    await s.pool.idle();
    const q = s.pool.entries().filter((e) => e.sender === ALICE).map((e) => e.tx.nonce).sort((a, b) => (a < b ? -1 : 1));
    assert.deepEqual(q, [1n, 2n, 3n, 4n, 5n]);
    assert.equal(await s.pool.pendingNonce(testAddress('alice')), 6n);
    const mined = await s.pool.selectForBlock(1 << 20);
    assert.deepEqual(mined.map((x) => x.nonce), [1n, 2n, 3n, 4n, 5n]);
  } finally { await s.done(); }
});

test('a returned tx conflicting with one in the pool (same sender and nonce): the pool keeps one, by the replacement rule', async () => {
  const s = await setup();
  try {
    const fork = await tipEntry(s.chain);
    const mined = t('alice', 0n, 10_000n, 10n);
    await branch(s, fork, [[mined]], 1n);
    await s.pool.idle();
    // Alice is not cached (no entries): a conflicting tx queued behind the reorg reads the new state.
    await branch(s, fork, [[], []], 2n);
    const rival = t('alice', 0n, 50_000n, 20n);
    assert.equal(await reasonOf(s.pool, rival), 'accepted');
    await s.pool.idle();
    assert.equal(await s.pool.pendingNonce(testAddress('alice')), 1n);
    assert.ok(s.pool.isReady(txIdHex(rival)), 'the rival pays the replacement price over the returned tx');
    assert.equal(s.pool.has(txIdHex(mined)), false);
    assert.equal(s.pool.size, 1);
  } finally { await s.done(); }
});

// Failed before the fix: the waiting spend came back through newcomers' admission, was refused
// `mempool-full` for not outbidding the worst tail by the increment, and left the retry set for good.
test('retried reorg tx refused when the pool is full', async () => {
  const s = await setup({ maxCount: 3 });
  try {
    const fork = await tipEntry(s.chain);
    const pay = t('alice', 0n, 2_000n, 500_000n, testAddress('pauper')); // a low fee: trimmed from the full pool
    const spend = transfer('pauper', testAddress('zed'), 100_000n, 0n, g.id, 10_100n); // better than the pool, by less than the increment
    await branch(s, fork, [[pay], [spend]], 1n);
    const others = ['bob', 'carol', 'dave'].map((w) => t(w, 0n, 10_000n));
    for (const tx of others) assert.equal(await reasonOf(s.pool, tx), 'accepted');
    await branch(s, fork, [[], [], []], 2n);
    await s.pool.idle();
    assert.equal(s.pool.has(txIdHex(pay)), false, 'the low-fee payment lost its slot');
    assert.ok(s.pool.has(txIdHex(spend)) && !s.pool.isReady(txIdHex(spend)), 'the spend waits for its funds');
    // Another miner confirms the payment; the pool is still full of 10,000-fee txs.
    await branch(s, await tipEntry(s.chain), [[pay]], 3n);
    await s.pool.idle();
    assert.ok(s.pool.isReady(txIdHex(spend)), 'the spend competes by fee rate, as every returned tx');
    assert.equal(s.pool.size, 3);
    assert.equal(s.pool.waitingSize, 0);
  } finally { await s.done(); }
});

test('gapped caps hold after a reorg whose returned txs do not come back: the lowest nonces wait, the rest go', async () => {
  const s = await setup({ reorgReturnedMax: 0, gappedPerSender: 8, gappedMaxCount: 10 });
  try {
    const fork = await tipEntry(s.chain);
    await branch(s, fork, [[t('alice', 0n), t('bob', 0n)]], 1n);
    await s.pool.idle();
    const alice = Array.from({ length: 12 }, (_, i) => t('alice', BigInt(i + 1)));
    const bob = Array.from({ length: 6 }, (_, i) => t('bob', BigInt(i + 1)));
    for (const tx of [...alice, ...bob]) assert.equal(await reasonOf(s.pool, tx), 'accepted');
    await branch(s, fork, [[], []], 2n); // nothing returns (reorgReturnedMax 0): every pending tx is gapped now
    await s.pool.idle();
    assert.equal(s.pool.size, 0);
    assert.equal(s.pool.gappedSize, 10, 'the total cap holds');
    for (const tx of alice.slice(8)) assert.equal(s.pool.has(txIdHex(tx)), false, `alice's nonce ${tx.nonce} is past her cap`);
    // The gap closes: what waited moves in.
    assert.equal(await reasonOf(s.pool, t('bob', 0n)), 'accepted');
    assert.ok(s.pool.size > 1);
  } finally { await s.done(); }
});

/**
 * Erin's spend, mined on a branch that paid her, comes back in a reorg short of funds and waits;
 * her wallet sees nonce 0 pending again and sends a small tx at that nonce (`bumps` more times);
 * then another miner confirms the payment and the waiting spend comes back, as a replacement of her
 * pool tx. One replacement a sender may make per ten minutes.
 */
async function returnedSpendMeetsPoolTx(bumps: number) {
  const s = await setup({ senderReplacementBurst: 1, senderReplacementEveryMs: 10 * 60_000 });
  const fork = await tipEntry(s.chain);
  const pay = t('alice', 0n, 10_000n, 6_000_000n, testAddress('erin'));
  const spend = t('erin', 0n, 30_000n, 15_000_000n);
  await branch(s, fork, [[pay], [spend]], 1n);
  await branch(s, fork, [[], [], []], 2n);
  await s.pool.idle();
  assert.ok(s.pool.has(txIdHex(spend)) && !s.pool.isReady(txIdHex(spend)), 'the spend waits for its funds');
  let mine = t('erin', 0n, 10_000n);
  assert.equal(await reasonOf(s.pool, mine), 'accepted');
  for (let i = 0; i < bumps; i++) {
    mine = t('erin', 0n, 20_000n);
    assert.equal(await reasonOf(s.pool, mine), 'accepted', 'her own replacement, from her budget');
  }
  await branch(s, await tipEntry(s.chain), [[pay]], 3n);
  await s.pool.idle();
  return { s, spend, mine };
}

// Failed before the fix: the returned spend replaced Erin's pool tx out of her budget, so her own
// next replacement was refused `replacement-rate-limited` for ten minutes.
test('a reorg-returned transaction that replaces a pool tx does not spend its sender\'s replacement budget', async () => {
  const { s, spend } = await returnedSpendMeetsPoolTx(0);
  try {
    assert.ok(s.pool.isReady(txIdHex(spend)), 'the returned spend replaced her small tx by the replacement rule');
    const bump = t('erin', 0n, 60_000n, 15_000_000n);
    assert.equal(await reasonOf(s.pool, bump), 'accepted', 'her first replacement of her own');
    assert.equal(await reasonOf(s.pool, t('erin', 0n, 120_000n, 15_000_000n)), 'replacement-rate-limited', 'her second one is hers to ration');
  } finally { await s.done(); }
});

// Failed before the fix: Erin had used her budget on her own tx, so the returned spend was refused
// `replacement-rate-limited` and, refused for other than funds, left the retry set: a tx mined
// once was lost though it outbid what the pool held.
test('a reorg-returned transaction is not refused for its sender\'s spent replacement budget', async () => {
  const { s, spend, mine } = await returnedSpendMeetsPoolTx(1);
  try {
    assert.ok(s.pool.isReady(txIdHex(spend)), 'the returned spend replaced her pool tx');
    assert.equal(s.pool.has(txIdHex(mine)), false);
    assert.equal(s.pool.waitingSize, 0);
  } finally { await s.done(); }
});

// Failed before the fix: the gapped queue timed its entries from their first admission, so a
// ready tx older than the gapped lifetime that a reorg held back behind a missing nonce expired
// at the next sweep, before the gap could close.
test('a pool tx a reorg holds back behind a missing nonce is not expired at once by the gapped lifetime', async () => {
  let now = 1_000_000;
  const c = await openTestChain(g);
  const pool = new Mempool(c.chain, { limits: { reorgReturnedMax: 0, gappedLifetimeMs: 20 * 60_000 }, now: () => now });
  pool.start();
  const s = { ...c, pool, done: async () => { pool.stop(); await c.close(); } };
  try {
    const fork = await tipEntry(s.chain);
    const first = t('alice', 0n);
    await branch(s, fork, [[first]], 1n);
    const next = t('alice', 1n);
    assert.equal(await reasonOf(s.pool, next), 'accepted');
    now += 30 * 60_000; // ready for half an hour: well within its 3 h lifetime
    await branch(s, fork, [[], []], 2n); // nothing returns (reorgReturnedMax 0): nonce 0 is missing again
    await s.pool.idle();
    assert.ok(s.pool.has(txIdHex(next)) && !s.pool.isReady(txIdHex(next)), 'held back as gapped');
    await s.pool.revalidateNow();
    assert.ok(s.pool.has(txIdHex(next)), 'it has waited for its gap for no time at all');
    now += 20 * 60_000 + 1;
    await s.pool.revalidateNow();
    assert.equal(s.pool.has(txIdHex(next)), false, 'the gapped lifetime still runs out');
  } finally { await s.done(); }
});
