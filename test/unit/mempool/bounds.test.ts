// Bounds of the mempool's side structures: the reorg retry set, the replacement budgets and the
// gapped queue never grow past their caps, whatever is thrown at them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mempool } from '../../../src/mempool/index.js';
import { RetrySet } from '../../../src/mempool/retry-set.js';
import { ReadyPool } from '../../../src/mempool/ready-pool.js';
import type { MempoolEntry } from '../../../src/mempool/index.js';
import { addressFromPublicKey, KeyedTokenBuckets, type TransferTx } from '../../../src/core/index.js';
import { testGenesis, transfer, testAddress, testKey, prng } from '../../helpers/fixtures.js';
import { openTestChain } from '../../helpers/chain-helpers.js';

test('retry set: bounded in count (oldest out) and in blocks', () => {
  const g = testGenesis();
  const r = new RetrySet(3, 2);
  const txs = Array.from({ length: 5 }, (_, i) => transfer('alice', testAddress('bob'), 1n, BigInt(i), g.id));
  txs.forEach((tx, i) => r.add(`id${i}`, tx));
  assert.equal(r.size, 3);
  assert.equal(r.has('id0'), false);
  assert.deepEqual(r.afterBlock().map((w) => w.id), ['id2', 'id3', 'id4']);
  assert.equal(r.afterBlock().length, 3);
  assert.equal(r.afterBlock().length, 0, 'given up after its blocks');
  assert.equal(r.size, 0);
});

test('replacement budgets: the key table is capped, and a key spends at most its burst until it refills', () => {
  const b = new KeyedTokenBuckets({ burst: 2, perSecond: 1 }, 50);
  for (let i = 0; i < 500; i++) b.spend(`peer-${i}`, 0);
  assert.equal(b.size, 50);
  b.spend('x', 0);
  assert.equal(b.tokens('x', 0) >= 1, true);
  b.spend('x', 0);
  assert.equal(b.tokens('x', 0) >= 1, false);
  assert.equal(b.tokens('x', 999) >= 1, false);
  assert.equal(b.tokens('x', 1000) >= 1, true);
});

test('gapped flood from many senders: the gapped queue stays within its caps and the ready pool stays empty', async () => {
  const names = Array.from({ length: 40 }, (_, i) => `flooder-${i}`);
  const g = testGenesis({ alloc: names.map((n) => ({ address: addressFromPublicKey(testKey(n).publicKey), amount: 10n ** 9n })) });
  const c = await openTestChain(g);
  const pool = new Mempool(c.chain, { limits: { gappedMaxCount: 25, gappedPerSender: 3 } });
  try {
    const rnd = prng(17);
    const reasons = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const from = names[Math.floor(rnd() * names.length)]!;
      const tx: TransferTx = transfer(from, testAddress('zed'), 1n, 1n + BigInt(Math.floor(rnd() * 14)), g.id, 10_000n);
      const r = await pool.add(tx);
      const k = r.accepted ? 'held' : r.reason;
      reasons.set(k, (reasons.get(k) ?? 0) + 1);
      assert.ok(pool.gappedSize <= 25);
    }
    assert.equal(pool.size, 0);
    assert.ok((reasons.get('held') ?? 0) > 25, 'old entries make way for new ones');
  } finally { await c.close(); }
});

/** The reference answer: a scan of every sender's tail (lowest fee rate; on ties the newest), never of `except`. */
function worstTailByScan(pool: ReadyPool, except?: string): MempoolEntry | undefined {
  let worst: MempoolEntry | undefined;
  for (const sender of pool.senders()) {
    if (sender === except) continue;
    const q = pool.queue(sender);
    const t = q[q.length - 1]!;
    if (!worst || t.feeRate < worst.feeRate || (t.feeRate === worst.feeRate && t.enteredAt > worst.enteredAt)) worst = t;
  }
  return worst;
}

test('eviction index: the tail heap names the same worst tail as a scan of every sender, through appends, replacements, truncations and shifts', () => {
  const rnd = prng(8);
  const pool = new ReadyPool();
  const senders = Array.from({ length: 12 }, (_, i) => `s${i}`);
  const next = new Map<string, bigint>();
  let seq = 0;
  const entry = (sender: string, nonce: bigint, feeRate: bigint): MempoolEntry =>
    // Only what the pool and the heap read; fee rates collide often to exercise the tie rule.
    ({ tx: { nonce } as MempoolEntry['tx'], id: `${sender}:${nonce}:${seq++}`, sender, size: 100, feeRate, enteredAt: Math.floor(rnd() * 5), addedAt: 0 });
  for (let step = 0; step < 3000; step++) {
    const s = senders[Math.floor(rnd() * senders.length)]!;
    const q = pool.queue(s);
    const op = rnd();
    if (op < 0.5 || !q.length) {
      const n = q.length ? q[q.length - 1]!.tx.nonce + 1n : (next.get(s) ?? 0n);
      pool.append(entry(s, n, BigInt(Math.floor(rnd() * 6))));
    } else if (op < 0.7) {
      const i = Math.floor(rnd() * q.length);
      pool.replaceAt(i, entry(s, q[i]!.tx.nonce, BigInt(Math.floor(rnd() * 6))));
    } else if (op < 0.85) {
      pool.truncate(s, Math.floor(rnd() * q.length));
    } else {
      const cut = pool.shift(s, 1 + Math.floor(rnd() * q.length));
      next.set(s, cut[cut.length - 1]!.tx.nonce + 1n);
    }
    const except = rnd() < 0.3 ? senders[Math.floor(rnd() * senders.length)] : undefined;
    const heap = pool.worstTail(except);
    const scan = worstTailByScan(pool, except);
    assert.equal(heap === undefined, scan === undefined, `step ${step}`);
    if (heap && scan) {
      assert.deepEqual([heap.feeRate, heap.enteredAt], [scan.feeRate, scan.enteredAt], `step ${step}`);
      assert.equal(pool.queue(heap.sender).at(-1), heap, 'the heap names a live tail');
      assert.notEqual(heap.sender, except);
    }
  }
});
