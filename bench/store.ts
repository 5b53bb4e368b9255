// Store figures: blocks connected per second (100 signed txs each), reopen time at 1k and 20k
// blocks (flat: start-up reads the tip, never replays), RSS after 20k blocks.
import { performance } from 'node:perf_hooks';
import { addressFromPublicKey, type Block, type TransferTx } from '../src/core/index.js';
import { testGenesis, testKey, transfer, testAddress, buildBlock } from '../test/helpers/fixtures.js';
import { tempDir, extend, openChainAt } from '../test/helpers/chain-helpers.js';

async function reopenMs(dataDir: string, genesis: ReturnType<typeof testGenesis>): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 25; i++) {
    const t0 = performance.now();
    const c = await openChainAt(dataDir, genesis);
    await c.getBlock(c.tip.height); // first read after open
    runs.push(performance.now() - t0);
    await c.close();
  }
  // The fastest of several opens: the least disturbed by whatever else the machine is doing.
  runs.sort((a, b) => a - b);
  return runs[0]!;
}

export async function benchStore(): Promise<Record<string, number>> {
  // Blocks of 100 txs from one funded sender.
  const g = testGenesis({ alloc: [{ address: addressFromPublicKey(testKey('alice').publicKey), amount: 10n ** 15n }] });
  const d1 = tempDir('kadchain-bench-');
  const c1 = await openChainAt(d1.path, g);
  const N = 150;
  const blocks: Block[] = [];
  let parent = { id: g.id, height: 0, timestamp: g.params.timestamp };
  let nonce = 0n;
  for (let i = 0; i < N; i++) {
    const txs: TransferTx[] = [];
    for (let j = 0; j < 100; j++) txs.push(transfer('alice', testAddress('bob' + (j % 10)), 1000n, nonce++, g.id, 1n));
    const b = buildBlock({ parent, target: g.params.initialTarget, params: g.params, txs });
    blocks.push(b);
    parent = { id: (await import('../src/core/index.js')).blockId(b), height: b.header.height, timestamp: b.header.timestamp };
  }
  const t0 = performance.now();
  for (const b of blocks) {
    const r = await c1.submitBlock(b);
    if (r.status !== 'connected') throw new Error(`bench block not connected: ${r.reason}`);
  }
  const blocksPerSec = N / ((performance.now() - t0) / 1000);
  await c1.close();
  d1.cleanup();

  // Reopen at 1k and 20k blocks on one growing data dir.
  const g2 = testGenesis();
  const d2 = tempDir('kadchain-bench-');
  let c2 = await openChainAt(d2.path, g2);
  await extend(c2, 1000);
  await c2.close();
  const reopenMs1k = await reopenMs(d2.path, g2);
  c2 = await openChainAt(d2.path, g2);
  await extend(c2, 19_000);
  global.gc?.();
  const rssMiB20k = process.memoryUsage().rss / (1024 * 1024);
  await c2.close();
  const reopenMs20k = await reopenMs(d2.path, g2);
  d2.cleanup();
  return {
    'store.blocksPerSec': round(blocksPerSec),
    'store.txsPerSec': round(blocksPerSec * 100),
    'store.reopenMs1k': round(reopenMs1k),
    'store.reopenMs20k': round(reopenMs20k),
    'store.reopenRatio': round(reopenMs20k / reopenMs1k),
    'store.rssMiB20k': round(rssMiB20k),
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
