// Child process for the crash test: connects blocks and forces reorgs (some deep) in an endless
// loop until it is killed with SIGKILL, or its parent goes away (stdin closes). argv: dataDir seed.
import { testGenesis, transfer, testAddress, prng } from './fixtures.js';
import { childOf, tipEntry, openChainAt } from './chain-helpers.js';
import { addressFromPublicKey, type TransferTx } from '../../src/core/index.js';
import { testKey } from './fixtures.js';
import { exitWithParent } from './cleanup.js';
import { workForTarget } from '../../src/chain/index.js';

exitWithParent();

const g = testGenesis({ alloc: [{ address: addressFromPublicKey(testKey('alice').publicKey), amount: 1_000_000_000n }] });
const chain = await openChainAt(process.argv[2]!, g);
const rnd = prng(Number(process.argv[3] ?? 1));
process.stdout.write('ready\n');
let tag = BigInt(Math.floor(rnd() * 1e9));
for (;;) {
  if (rnd() < 0.6 || chain.tip.height < 3) {
    const txs: TransferTx[] = [];
    const alice = await chain.getAccount(testAddress('alice'));
    const n = Math.floor(rnd() * 3);
    for (let i = 0; i < n; i++) txs.push(transfer('alice', testAddress(rnd() < 0.5 ? 'bob' : 'carol'), 1000n + BigInt(i), alice.nonce + BigInt(i), g.id, 10n));
    const bob = await chain.getAccount(testAddress('bob'));
    if (bob.balance > 100n) txs.push(transfer('bob', testAddress('alice'), 50n, bob.nonce, g.id, 1n));
    await chain.submitBlock(await childOf(chain, await tipEntry(chain), txs, tag++));
  } else {
    // A branch k+1 long from k below the tip: a reorg of depth k, now and then a deep one so a
    // kill lands inside the step-wise disconnect/connect loop.
    const k = 1 + Math.floor(rnd() * Math.min(rnd() < 0.2 ? 40 : 5, chain.tip.height - 1));
    let parent = (await chain.getBlock(chain.tip.height - k))!.entry;
    // As sync would: the branch's headers prove it beats the tip, so it is stored however deep.
    const provenWork = parent.work + BigInt(k + 1) * workForTarget(g.params.initialTarget);
    tag++;
    for (let i = 0; i <= k; i++) {
      const b = await childOf(chain, parent, [], tag);
      await chain.submitBlock(b, { provenWork });
      parent = (await chain.entry((await import('../../src/core/index.js')).blockId(b)))!;
    }
  }
}
