// Child process for the pipelining-flood test and bench: a real chain whose tip is a full block
// (~1 MiB of signed transfers), a mempool of a few thousand transactions and an ApiServer on
// 127.0.0.1 port 0. It reports its port on IPC and answers {rss: true} with its resident set size,
// so the parent measures the server alone, not the attacking client.
import { Mempool } from '../../../src/mempool/index.js';
import { ApiServer } from '../../../src/api/index.js';
import { encodeTx, type TransferTx } from '../../../src/core/index.js';
import { openTestChain, childOf, tipEntry, extend } from '../../helpers/chain-helpers.js';
import { testGenesis, testAddress, transfer } from '../../helpers/fixtures.js';

// argv: block bytes, mempool senders, txs per sender (defaults: the bench's full-size case).
const BLOCK_BYTES = Number(process.argv[2] ?? 1 << 20);
const SENDERS = Number(process.argv[3] ?? 200);
const PER_SENDER = Number(process.argv[4] ?? 12);
const genesisAlloc = [
  { address: testAddress('alice'), amount: 1_000_000n * 100_000_000n },
  ...Array.from({ length: SENDERS }, (_, i) => ({ address: testAddress(`flood-${i}`), amount: 1000n * 100_000_000n })),
];
const genesis = testGenesis({ alloc: genesisAlloc, maxBlockBytes: BLOCK_BYTES });
const { chain, close } = await openTestChain(genesis);
await extend(chain, 101); // a full page of blocks

// The fullest block: alice's transfers up to the block size limit.
const txs: TransferTx[] = [];
let bytes = 200;
for (let n = 0n; ; n++) {
  const tx = transfer('alice', testAddress('bob'), 1n, n, genesis.id);
  const size = encodeTx(tx).length + 2;
  if (bytes + size > genesis.params.maxBlockBytes - 1024) break;
  bytes += size;
  txs.push(tx);
}
const full = await childOf(chain, await tipEntry(chain), txs);
const r = await chain.submitBlock(full);
if (r.status !== 'connected') throw new Error(`full block not connected: ${r.status}`);

const mempool = new Mempool(chain);
mempool.start();
const adds: Promise<unknown>[] = [];
for (let i = 0; i < SENDERS; i++) {
  for (let n = 0; n < PER_SENDER; n++) adds.push(mempool.add(transfer(`flood-${i}`, testAddress('bob'), 1n, BigInt(n), genesis.id, 1000n + BigInt(i))));
}
await Promise.all(adds);

const api = new ApiServer({ chain, mempool, host: '127.0.0.1', port: 0 });
await api.start();
global.gc?.();
process.send!({ port: api.port, fullHeight: chain.tip.height, fullTxs: txs.length, mempool: mempool.size, rss: process.memoryUsage().rss });
process.on('message', (m: { rss?: boolean; stop?: boolean }) => {
  if (m.rss) process.send!({ rss: process.memoryUsage().rss });
  if (m.stop) void api.stop().then(() => { mempool.stop(); return close(); }).then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
