// The miner against a mempool under churn (issue 17): replacements must not keep it rebuilding
// instead of hashing; a material fee gain still reaches the template. The target is impossible, so
// no block is ever found and every template change comes from the mempool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Miner, type TemplateEvent } from '../../../src/miner/index.js';
import { Mempool } from '../../../src/mempool/index.js';
import { addressFromPublicKey, type TransferTx } from '../../../src/core/index.js';
import { testGenesis, transfer, testAddress, testKey } from '../../helpers/fixtures.js';
import { openTestChain } from '../../helpers/chain-helpers.js';

const SENDERS = Array.from({ length: 20 }, (_, i) => `sender-${i}`);
const g = testGenesis({ initialTarget: 1n, alloc: SENDERS.map((n) => ({ address: addressFromPublicKey(testKey(n).publicKey), amount: 100_000_000n })) });
const tx = (from: string, nonce: bigint, fee: bigint): TransferTx => transfer(from, testAddress('zed'), 1000n, nonce, g.id, fee);

/** Waits (on a short poll, bounded generously) until `cond` holds. */
async function until(cond: () => boolean, what: string, boundMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > boundMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function setup(t: { after: (fn: () => Promise<void>) => void }, minerOpts: { templateMinAgeMs?: number; minFeeGainPercent?: number }) {
  const c = await openTestChain(g);
  const pool = new Mempool(c.chain);
  pool.start();
  const miner = new Miner({ chain: c.chain, mempool: pool, minerAddress: testAddress('miner'), threads: 1, ...minerOpts });
  const templates: TemplateEvent[] = [];
  miner.on('template', (e) => templates.push(e));
  t.after(async () => {
    await miner.stop();
    pool.stop();
    await c.close();
  });
  return { ...c, pool, miner, templates };
}

test('replacement storm: the miner keeps hashing on its template while replacements stream in', async (t) => {
  const s = await setup(t, { templateMinAgeMs: 200, minFeeGainPercent: 50 });
  for (const from of SENDERS) assert.equal((await s.pool.add(tx(from, 0n, 100_000n))).accepted, true);
  s.miner.start();
  await until(() => s.templates.length === 1, 'the first template');
  assert.equal(s.templates[0]!.txs, SENDERS.length);
  // 40 replacements, each a 10% bump of one sender's tx; after each, the search must make progress.
  const fee = new Map(SENDERS.map((n) => [n, 100_000n]));
  for (let i = 0; i < 40; i++) {
    const from = SENDERS[i % SENDERS.length]!;
    const bumped = (fee.get(from)! * 11n) / 10n;
    fee.set(from, bumped);
    const r = await s.pool.add(tx(from, 0n, bumped));
    assert.equal(r.accepted && r.replaced !== undefined, true, `replacement ${i} accepted`);
    const h = s.miner.totalHashes;
    await until(() => s.miner.totalHashes > h + 20_000n, `hashing progress after replacement ${i}`);
  }
  // The refresh policy looked at the fresher pool and kept the template: the gain is not material.
  await until(() => s.miner.stats.refreshChecks >= 1, 'a refresh check');
  assert.equal(s.miner.stats.mempoolRefreshes, 0);
  assert.equal(s.templates.length, 1, 'one template searched through the whole storm');
  assert.equal(s.miner.stats.templates, 1);
});

test('fresher templates: an empty template takes its first transaction at once, a material fee gain replaces a full one', async (t) => {
  const s = await setup(t, { templateMinAgeMs: 300, minFeeGainPercent: 10 });
  s.miner.start();
  await until(() => s.templates.length === 1, 'the first template');
  assert.equal(s.templates[0]!.txs, 0);
  await s.pool.add(tx('sender-0', 0n, 10_000n));
  const [first] = (await once(s.miner, 'template')) as [TemplateEvent];
  assert.deepEqual([first.reason, first.txs, first.fees], ['mempool', 1, 10_000n]);
  // A tiny addition is not worth a new search; a large one is.
  await s.pool.add(tx('sender-1', 0n, 200n));
  await until(() => s.miner.stats.refreshChecks >= 2, 'a look at the tiny addition');
  assert.equal(s.templates.length, 2);
  await s.pool.add(tx('sender-2', 0n, 50_000n));
  const [second] = (await once(s.miner, 'template')) as [TemplateEvent];
  assert.deepEqual([second.reason, second.txs, second.fees], ['mempool', 3, 60_200n]);
});
