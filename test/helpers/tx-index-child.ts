// Child process for the tx index crash test: connects `argv[3]` blocks of two transfers each on
// argv[2] with a tx index that never writes on its own (it stays at genesis), prints the txs as
// JSON lines ("tx <id> <height> <index>") and "ready", then waits to be killed with SIGKILL.
import { addressFromPublicKey, txIdHex } from '../../src/core/index.js';
import { openChainAt, childOf, tipEntry } from './chain-helpers.js';
import { testGenesis, testKey, testAddress, transfer } from './fixtures.js';
import { exitWithParent } from './cleanup.js';

exitWithParent();
const g = testGenesis({ alloc: [{ address: addressFromPublicKey(testKey('alice').publicKey), amount: 1_000_000_000n }] });
const chain = await openChainAt(process.argv[2]!, g, { txIndex: { quietMs: 3_600_000, batchBlocks: 1000, maxLagBlocks: 10_000 } });
const blocks = Number(process.argv[3] ?? 8);
let nonce = 0n;
for (let i = 0; i < blocks; i++) {
  const txs = [transfer('alice', testAddress('bob'), 1000n, nonce++, g.id, 10n), transfer('alice', testAddress('carol'), 2000n, nonce++, g.id, 10n)];
  const b = await childOf(chain, await tipEntry(chain), txs);
  const r = await chain.submitBlock(b);
  if (r.status !== 'connected') throw new Error(`block ${i + 1}: ${r.status} ${r.reason ?? ''}`);
  b.txs.forEach((tx, index) => process.stdout.write(`tx ${txIdHex(tx)} ${r.height} ${index}\n`));
}
process.stdout.write(`ready ${chain.tip.height} ${chain.txIndex.tip.height}\n`);
