// A short sync over equal peers, on the real wire protocol: the peers prove their headers one
// after another, and bodies of signed transactions connect more slowly than they arrive. The
// window once asked for every body at once of whoever had proved its headers first, so that peer
// served most of the sync and the others, though as fast, served what was left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressFromPublicKey } from '../../../src/core/index.js';
import { nodeIdFromPublicKey, toHex } from '../../../src/crypto/index.js';
import { ScriptedPeer } from '../../helpers/scripted-peer.js';
import { testNet, waitUntil } from '../../helpers/node-helpers.js';
import { offlineBranch } from '../../helpers/chain-helpers.js';
import { testAddress, testKey, transfer } from '../../helpers/fixtures.js';

const BLOCKS = 60;
/** Enough signatures per block that connecting is slower than a local peer's delivery. */
const TXS = 60;
const PEERS = 3;

function idOf(p: ScriptedPeer): string {
  return toHex(nodeIdFromPublicKey(p.key.publicKey));
}

test('a short sync over three equal peers is not taken by the first to answer', { timeout: 120_000 }, async (t) => {
  const net = testNet({ alloc: [{ address: addressFromPublicKey(testKey('alice').publicKey), amount: 10n ** 15n }] }, t);
  let nonce = 0n;
  const blocks = offlineBranch(net.genesis, BLOCKS, 0n, () => Array.from({ length: TXS }, (_, i) => transfer('alice', testAddress('r' + (i % 20)), 1000n, nonce++, net.genesis.id, 1n)));
  const victim = await net.start();
  const tip = ScriptedPeer.tipOf(net.genesis.id, victim.chain.tip.work, blocks);
  const tipHex = toHex(tip.id);

  // Every peer answers at once. The first is asked for bodies before the others have connected:
  // the others prove their headers while the first one's bodies are still being connected.
  const peers: ScriptedPeer[] = [];
  for (let i = 0; i < PEERS; i++) {
    const p = await ScriptedPeer.connect(victim.port, { genesis: net.genesis.id, blocks, tip });
    t.after(() => p.close());
    peers.push(p);
    if (i === 0) await p.next('getdata');
  }

  await waitUntil('victim at the tip', () => victim.chain.tip.idHex === tipHex, 90_000, 20);
  const served = victim.sync.servedBy();
  const counts = peers.map((p) => served.get(idOf(p)) ?? 0);
  const total = counts.reduce((s, n) => s + n, 0);
  t.diagnostic(`served ${counts.join('/')}`);
  assert.equal(total, BLOCKS, `every body was downloaded once (${counts.join('/')})`);
  for (const [i, n] of counts.entries()) {
    assert.ok(n / total >= 0.15, `peer ${i} served at least 15% of the bodies (served ${counts.join('/')})`);
  }
  for (const p of peers) assert.equal(victim.net.peer(idOf(p))?.score, 0, 'no peer is penalised');
});
