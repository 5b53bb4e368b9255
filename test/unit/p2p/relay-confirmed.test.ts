// The relay remembers recently confirmed txs so an `inv` of one costs no fetch and no store read.
// It used to key every tx of every connected block, even during initial sync, where nobody
// announces history's txs to us: a hex id and an LRU insert per synced tx on the syncing main
// thread (issue 14). These tests hold both halves: history is not recorded while syncing, and a tx
// confirmed once synced is still known (its inv fetches nothing), on a real node and real peers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockId, txId } from '../../../src/core/index.js';
import type { RunningNode } from '../../../src/node/index.js';
import type { Message } from '../../../src/p2p/index.js';
import { offlineBranch } from '../../helpers/chain-helpers.js';
import { prng, testAddress, transfer } from '../../helpers/fixtures.js';
import { testNet, waitUntil } from '../../helpers/node-helpers.js';
import { ScriptedPeer } from '../../helpers/scripted-peer.js';
import { randomBytesFrom } from './helpers.js';

/** Size of the relay's confirmed-tx record (private: what this defect was about is its cost). */
function confirmedRecorded(node: RunningNode): number {
  return (node.gossip as unknown as { confirmedTxs: { size: number } }).confirmedTxs.size;
}

/** Every tx id (hex) the node asked this peer for. */
function askedTxs(p: ScriptedPeer): Set<string> {
  const out = new Set<string>();
  for (const m of p.received as Message[]) if (m.kind === 'getdata') for (const it of m.items) if (it.type === 'tx') out.add(Buffer.from(it.id).toString('hex'));
  return out;
}

test('history txs keyed while syncing: blocks connected during initial sync are not recorded as recently confirmed txs', { timeout: 60_000 }, async (t) => {
  const net = testNet({}, t);
  const BLOCKS = 24;
  const TXS = 5;
  const branch = offlineBranch(net.genesis, BLOCKS, 14n, (i) =>
    Array.from({ length: TXS }, (_, j) => transfer('alice', testAddress('r' + j), 10n, BigInt(i * TXS + j), net.genesis.id, 1n)));
  const source = await net.start();
  for (const b of branch) {
    const r = await source.chain.submitBlock(b);
    assert.equal(r.status, 'connected', r.reason);
  }
  // The source connected these one at a time as its own tip (not syncing): it records each tx
  // (and each coinbase).
  const PER_BLOCK = TXS + 1;
  assert.equal(confirmedRecorded(source), BLOCKS * PER_BLOCK);

  const fresh = await net.start({ bootstrap: [source] });
  await waitUntil('synced', () => fresh.chain.tip.height === BLOCKS && !fresh.sync.syncing, 45_000);
  assert.equal(fresh.chain.tip.idHex, Buffer.from(blockId(branch[BLOCKS - 1]!)).toString('hex'));
  // Only the blocks connected once the header chain was no longer ahead (the last one or two) count.
  const recorded = confirmedRecorded(fresh);
  assert.ok(recorded <= 2 * PER_BLOCK, `${recorded} of ${BLOCKS * PER_BLOCK} history txs recorded while syncing`);
});

test('a tx confirmed once synced is still known: its inv fetches nothing, an unknown one is fetched', { timeout: 60_000 }, async (t) => {
  const net = testNet({}, t);
  const node = await net.start();
  const tx = transfer('alice', testAddress('bob'), 10n, 0n, net.genesis.id, 1n);
  const [block] = offlineBranch(net.genesis, 1, 15n, () => [tx]);
  assert.equal((await node.chain.submitBlock(block!)).status, 'connected');

  const peer = await ScriptedPeer.connect(node.port, { genesis: net.genesis.id });
  t.after(() => peer.close());
  const unknown = randomBytesFrom(prng(14_03), 32);
  peer.send({ kind: 'inv', items: [{ type: 'tx', id: txId(tx) }, { type: 'tx', id: unknown }] });
  const unknownHex = Buffer.from(unknown).toString('hex');
  await waitUntil('the unknown tx is fetched', () => askedTxs(peer).has(unknownHex), 20_000);
  assert.ok(!askedTxs(peer).has(Buffer.from(txId(tx)).toString('hex')), 'a tx confirmed in the tip was fetched again');
});
