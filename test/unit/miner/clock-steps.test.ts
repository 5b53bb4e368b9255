// Wall-clock steps seen by the miner: a template's age (the refresh policy's minimum age) is a
// duration; the template's header timestamp stays wall time. The target is impossible, so every
// template change comes from the mempool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Miner, type TemplateEvent } from '../../../src/miner/index.js';
import { Mempool } from '../../../src/mempool/index.js';
import { addressFromPublicKey, type TransferTx } from '../../../src/core/index.js';
import { testGenesis, transfer, testAddress, testKey } from '../../helpers/fixtures.js';
import { openTestChain } from '../../helpers/chain-helpers.js';
import { HOUR_MS, stepWallClock } from '../../helpers/wall-clock.js';

const SENDERS = ['step-0', 'step-1'];
const g = testGenesis({ initialTarget: 1n, alloc: SENDERS.map((n) => ({ address: addressFromPublicKey(testKey(n).publicKey), amount: 100_000_000n })) });
const tx = (from: string, fee: bigint): TransferTx => transfer(from, testAddress('zed'), 1000n, 0n, g.id, fee);

/** The next template event, within `ms` (the timer is always cleared). */
function nextTemplate(miner: Miner, ms = 15_000): Promise<TemplateEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      miner.off('template', on);
      reject(new Error(`no template within ${ms} ms`));
    }, ms);
    const on = (e: TemplateEvent): void => {
      clearTimeout(timer);
      resolve(e);
    };
    miner.once('template', on);
  });
}

test('wall clock steps back an hour: a material fee gain still reaches the template', async (t) => {
  const c = await openTestChain(g);
  const pool = new Mempool(c.chain);
  pool.start();
  const miner = new Miner({ chain: c.chain, mempool: pool, minerAddress: testAddress('miner'), threads: 1, templateMinAgeMs: 300, minFeeGainPercent: 10 });
  t.after(async () => {
    await miner.stop();
    pool.stop();
    await c.close();
  });
  assert.equal((await pool.add(tx('step-0', 10_000n))).accepted, true);
  const first = nextTemplate(miner);
  miner.start();
  assert.equal((await first).txs, 1);
  stepWallClock(t, -HOUR_MS);
  // Five times the fees: material. The template is old enough after 300 ms of real time, not an hour.
  const second = nextTemplate(miner);
  assert.equal((await pool.add(tx('step-1', 50_000n))).accepted, true);
  const e = await second;
  assert.deepEqual([e.reason, e.txs, e.fees], ['mempool', 2, 60_000n]);
});
