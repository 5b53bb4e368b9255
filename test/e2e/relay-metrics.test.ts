// The relay counters in /metrics on a real pair of nodes: a block mined on one node and a tx
// submitted to it are announced to its peer, and kadchain_blocks_relayed_total and
// kadchain_txs_relayed_total say so (before, the node kept no relay counts and both series were absent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { txToJson } from '../../src/core/index.js';
import { childOf, tipEntry } from '../helpers/chain-helpers.js';
import { transfer, testAddress } from '../helpers/fixtures.js';
import { testNet, waitUntil } from '../helpers/node-helpers.js';

function series(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

test('relay counters: blocks and txs relayed move in /metrics after a block is mined on a 2-node devnet', { timeout: 90_000 }, async (t) => {
  const net = testNet({}, t);
  const a = await net.start({ metrics: true });
  const b = await net.start({ bootstrap: [a] });
  await waitUntil('peers connected', () => a.net.peers().length >= 1 && b.net.peers().length >= 1, 30_000);
  const scrape = async (): Promise<string> => (await fetch(a.apiUrl + '/metrics')).text();
  const before = await scrape();
  assert.equal(series(before, 'kadchain_blocks_relayed_total'), 0, 'the series is kept (present) and starts at 0');
  assert.equal(series(before, 'kadchain_txs_relayed_total'), 0);

  assert.equal((await a.chain.submitBlock(await childOf(a.chain, await tipEntry(a.chain)))).status, 'connected');
  await waitUntil('b has the block', () => b.chain.tip.height === 1, 30_000);
  assert.equal(series(await scrape(), 'kadchain_blocks_relayed_total'), 1);

  const tx = transfer('alice', testAddress('bob'), 5n, 0n, net.genesis.id);
  const r = await fetch(a.apiUrl + '/api/txs', { method: 'POST', body: JSON.stringify(txToJson(tx)), headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 202);
  await waitUntil('b has the tx', () => b.mempool.size === 1, 30_000);
  const after = await scrape();
  assert.equal(series(after, 'kadchain_txs_relayed_total'), 1);
  // b received the block body and the tx from a; it relays neither back to its only peer.
  const atB = b.gossip.stats;
  assert.equal(atB.blocksRelayed, 0);
  assert.equal(atB.txsRelayed, 0);
});
