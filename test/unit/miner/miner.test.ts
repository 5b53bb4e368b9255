// Miner: the hand-written SHA-256 against @noble/hashes, nonce search, templates, clean stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { fcOptions } from '../../helpers/seed.js';
import { sha256d, toHex, bytesToBigInt } from '../../../src/crypto/index.js';
import { encodeHeader, decodeHeader, bigIntToTarget, headerId, type TransferTx } from '../../../src/core/index.js';
import { HeaderHasher, sha256dHeader, PowSearcher, buildTemplate, Miner } from '../../../src/miner/index.js';
import { blockReward } from '../../../src/chain/index.js';
import { Mempool } from '../../../src/mempool/index.js';
import { testGenesis, transfer, testAddress, prng } from '../../helpers/fixtures.js';
import { openTestChain } from '../../helpers/chain-helpers.js';

test('midstate SHA-256 equals @noble/hashes double SHA-256 on random headers', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 116, maxLength: 116 }), (h) => {
    assert.equal(toHex(sha256dHeader(h)), toHex(sha256d(h)));
  }), fcOptions(42, 2000));
});

test('search returns a nonce whose id really is <= target', () => {
  const rnd = prng(7);
  for (let i = 0; i < 20; i++) {
    const header = Uint8Array.from({ length: 116 }, () => Math.floor(rnd() * 256));
    const target = bigIntToTarget((1n << 248n) - 1n);
    header.set(target, 80);
    const hh = new HeaderHasher(header, target);
    const nonce = hh.search(0, 1 << 16);
    assert.ok(nonce >= 0);
    new DataView(header.buffer).setUint32(112, nonce);
    assert.ok(bytesToBigInt(sha256d(header)) <= (1n << 248n) - 1n);
    // ...and no earlier nonce in the range was valid.
    for (let n = 0; n < nonce; n++) {
      new DataView(header.buffer).setUint32(112, n);
      assert.ok(bytesToBigInt(sha256d(header)) > (1n << 248n) - 1n);
    }
  }
});

function headerWithTarget(target: bigint, seed: number): Uint8Array {
  const g = testGenesis();
  return encodeHeader({ ...g.block.header, target: bigIntToTarget(target), timestamp: g.block.header.timestamp + seed });
}

test('PowSearcher: finds work with several threads, verified by the reference hash', async () => {
  const s = new PowSearcher({ threads: 2 });
  try {
    const r = await s.search(headerWithTarget((1n << 244n) - 1n, 1));
    assert.equal(r.status, 'found');
    if (r.status === 'found') {
      assert.deepEqual(r.id, headerId(decodeHeader(r.header)));
      assert.ok(bytesToBigInt(r.id) <= (1n << 244n) - 1n);
    }
    assert.ok(s.totalHashes > 0n);
  } finally {
    await s.stop();
  }
});

test('PowSearcher: an impossible target over a small range reports exhausted', async () => {
  const s = new PowSearcher({ threads: 2 });
  try {
    assert.deepEqual(await s.search(headerWithTarget(0n, 2), { startNonce: 0, endNonce: 50_000 }), { status: 'exhausted' });
  } finally {
    await s.stop();
  }
});

test('PowSearcher: a new job supersedes stale work quickly', async () => {
  const s = new PowSearcher({ threads: 2 });
  try {
    const stale = s.search(headerWithTarget(0n, 3)); // can never succeed
    await new Promise((r) => setTimeout(r, 50));
    const fresh = headerWithTarget((1n << 246n) - 1n, 4);
    const t0 = Date.now();
    const r = await s.search(fresh);
    assert.deepEqual(await stale, { status: 'aborted' });
    assert.equal(r.status, 'found');
    if (r.status === 'found') assert.deepEqual(r.header.subarray(0, 112), fresh.subarray(0, 112));
    assert.ok(Date.now() - t0 < 5_000);
  } finally {
    await s.stop();
  }
});

test('template: mining it yields a block the chain connects; coinbase pays reward + fees', async () => {
  const { chain, close } = await openTestChain();
  const pool = new Mempool(chain);
  try {
    const g = chain.genesis;
    const txs: TransferTx[] = [transfer('alice', testAddress('bob'), 100n, 0n, g.id, 30_000n), transfer('alice', testAddress('bob'), 100n, 1n, g.id, 12_000n)];
    for (const t of txs) assert.equal((await pool.add(t)).accepted, true);
    const tpl = await buildTemplate(chain, pool, { minerAddress: testAddress('miner'), extraNonce: 0n, now: Date.now() });
    assert.equal(tpl.block.txs.length, 3);
    assert.equal(tpl.fees, 42_000n);
    const cb = tpl.block.txs[0]!;
    assert.equal(cb.kind === 'coinbase' && cb.amount, blockReward(1, g.params) + 42_000n);
    const s = new PowSearcher({ threads: 1 });
    const r = await s.search(encodeHeader(tpl.block.header));
    await s.stop();
    assert.equal(r.status, 'found');
    if (r.status !== 'found') return;
    const res = await chain.submitBlock({ header: decodeHeader(r.header), txs: tpl.block.txs });
    assert.equal(res.status, 'connected', res.reason);
    assert.equal((await chain.getAccount(testAddress('miner'))).balance, blockReward(1, g.params) + 42_000n);
  } finally {
    await close();
  }
});

test('Miner: mines consecutive blocks that connect', async () => {
  const { chain, close } = await openTestChain();
  const miner = new Miner({ chain, minerAddress: testAddress('miner'), threads: 1 });
  try {
    const three = new Promise<void>((resolve) => miner.on('mined', (e) => { if (e.height >= 3) resolve(); }));
    miner.start();
    await three;
    await miner.stop();
    assert.ok(chain.tip.height >= 3);
    assert.ok(miner.mined >= 3);
  } finally {
    await miner.stop();
    await close();
  }
});

test('Miner: stop() stops every worker and the process exits by itself', async () => {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../../helpers/miner-child.js', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  assert.equal(signal, null, 'child had to be killed: a worker kept it alive');
  assert.equal(code, 0);
  assert.match(out, /stopped/);
});
