// A reorg returning 5,000 transfers into a full pool of 5,000 (round 9), against admitting 5,000
// fresh transfers into an empty pool on the same chain, same run:
//   mempool.admit5kMs        admitting 5,000 fresh transfers (nonce 1 of 5,000 senders): the reference
//   mempool.reorgReturn5kMs  from submitting the winning block of a 2-block branch until the pool is
//                            idle: the chain's reorg (one block of 5,000 transfers out, two empty in),
//                            then the pool's batch (5,000 returned back, 5,000 pending txs re-slotted
//                            behind them, one trim of 5,000 worst tails)
//   mempool.reorgReturnRatio the two over each other (goal <= 1.5: a reorg costs what admission costs)
import { performance } from 'node:perf_hooks';
import { Mempool } from '../src/mempool/index.js';
import { addressFromPublicKey, blockIdHex, type TransferTx } from '../src/core/index.js';
import { fromHex } from '../src/crypto/index.js';
import { testGenesis, testKey, transfer, testAddress } from '../test/helpers/fixtures.js';
import { openTestChain, childOf, tipEntry } from '../test/helpers/chain-helpers.js';

const SENDERS = 5000;

export async function benchMempoolReorg(): Promise<Record<string, number>> {
  const names = Array.from({ length: SENDERS }, (_, i) => `bench-sender-${i}`);
  const g = testGenesis({ maxBlockBytes: 2 << 20, alloc: names.map((n) => ({ address: addressFromPublicKey(testKey(n).publicKey), amount: 10n ** 12n })) });
  // Side blocks are stored however far behind: the bench builds its losing branch first.
  const c = await openTestChain(g, undefined, { sideBranches: { workDistanceBlocks: 10 } });
  try {
    const pool = new Mempool(c.chain, { limits: { maxCount: SENDERS } });
    pool.start();
    const tx = (i: number, nonce: bigint, fee: bigint): TransferTx => transfer(names[i]!, testAddress('zed'), 1000n, nonce, g.id, fee);
    const fork = await tipEntry(c.chain);
    // Block 1 confirms nonce 0 of every sender, at fee rates both above and below the pool's.
    const mined = names.map((_, i) => tx(i, 0n, 5_000n + BigInt((i * 7919) % 10_000)));
    const r1 = await c.chain.submitBlock(await childOf(c.chain, fork, mined));
    if (r1.status !== 'connected') throw new Error(`bench setup: ${r1.status} ${r1.reason ?? ''}`);
    await pool.idle();
    const fresh = names.map((_, i) => tx(i, 1n, 10_000n + BigInt(i)));
    const t0 = performance.now();
    for (const f of fresh) {
      const r = await pool.add(f);
      if (!r.accepted) throw new Error(`bench setup: ${r.reason}`);
    }
    const admitMs = performance.now() - t0;
    // The longer branch without block 1's transfers.
    const b1 = await childOf(c.chain, fork, [], 2n);
    if ((await c.chain.submitBlock(b1)).status !== 'side') throw new Error('bench setup: side block');
    const b2 = await childOf(c.chain, (await c.chain.entry(fromHex(blockIdHex(b1))))!, [], 2n);
    const t1 = performance.now();
    const r2 = await c.chain.submitBlock(b2);
    await pool.idle();
    const reorgMs = performance.now() - t1;
    if (r2.status !== 'connected' || pool.size !== SENDERS) throw new Error(`bench: reorg ${r2.status}, pool ${pool.size}`);
    pool.stop();
    return {
      'mempool.admit5kMs': Math.round(admitMs),
      'mempool.reorgReturn5kMs': Math.round(reorgMs),
      'mempool.reorgReturnRatio': Math.round((reorgMs / admitMs) * 100) / 100,
    };
  } finally {
    await c.close();
  }
}
