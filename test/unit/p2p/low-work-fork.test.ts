// A low-work side branch from genesis fed to a real node on the wire (issue 15, item 6): bodies
// pushed by many throwaway identities are not stored, the headers of the branch are not kept by
// headers-first sync (presync bound), and the main chain is unaffected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Chain } from '../../../src/chain/index.js';
import { blockId, encodeBlock } from '../../../src/core/index.js';
import { testNet, waitUntil } from '../../helpers/node-helpers.js';
import { childOf, extend, tipEntry, lowWorkBranch } from '../../helpers/chain-helpers.js';
import { ScriptedPeer } from '../../helpers/scripted-peer.js';


async function indexCount(chain: Chain): Promise<number> {
  let n = 0;
  for await (const _ of chain.store.indexRecords()) n++;
  return n;
}

test('low-work side branch from genesis: pushed bodies and announced headers leave the store and the header tree bounded', { timeout: 90_000 }, async (t) => {
  const net = testNet({ retargetInterval: 10 }, t);
  const node = await net.start({ syncOptions: { maxLowWorkHeadersPerPeer: 50 } });
  await extend(node.chain, 30);
  const mainTip = node.chain.tip.idHex;
  const branch = lowWorkBranch(net.genesis.params, net.genesis.id, 120);

  // Bodies pushed unasked, ten per throwaway identity (under the unrequested-block ban threshold).
  // Old code stores at least the first as a side block (its parent, genesis, is stored); pushed at
  // the right pace every one of them (the chain-level test shows the 120).
  for (let i = 0; i < branch.length; i += 10) {
    const p = await ScriptedPeer.connect(node.port, { genesis: net.genesis.id });
    for (const b of branch.slice(i, i + 10)) p.send({ kind: 'block', bytes: encodeBlock(b) });
    p.send({ kind: 'ping', nonce: 7n });
    await p.next('pong', (m) => m.kind === 'pong' && m.nonce === 7n);
    await p.close();
  }
  // A real extension pushed last, through the same path: once it is connected the pushes before it were handled.
  const honest = await childOf(node.chain, await tipEntry(node.chain), [], 1n);
  const last = await ScriptedPeer.connect(node.port, { genesis: net.genesis.id });
  t.after(() => last.close());
  last.send({ kind: 'block', bytes: encodeBlock(honest) });
  await waitUntil('the honest block connected', () => node.chain.tip.height === 31, 30_000);
  await node.chain.tips();

  // Old code: pushed bodies whose parent was stored became side blocks (33 or more records).
  assert.equal(await indexCount(node.chain), 32, 'genesis, 31 main blocks and nothing of the branch');
  assert.equal((await node.chain.getBlock(30))!.entry.idHex, mainTip, 'the main chain is unaffected');

  // The branch's headers, offered by a peer claiming more work: presync refuses them past the bound.
  const liar = await ScriptedPeer.connect(node.port, {
    genesis: net.genesis.id, blocks: branch,
    tip: { id: blockId(branch.at(-1)!), height: 120, work: node.chain.tip.work * 10n },
  });
  t.after(() => liar.close());
  const closed = await liar.closed;
  assert.ok(closed.code > 0, 'the peer is dropped (low-work headers or an unproven claim)');
  assert.equal(node.sync.progress().headers, 31, 'no low-work header counts as the best chain');
  assert.equal(await indexCount(node.chain), 32, 'and nothing was stored');
});
