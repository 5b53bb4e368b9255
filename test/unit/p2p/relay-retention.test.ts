// Per-peer state the relay keeps (found in the p2p hardening follow-up): the source of each tx being
// validated was remembered as the Peer object itself, and a tx that never reached the ready pool (a
// gapped one) never cleared it, so a peer that relayed such a tx and left stayed in memory with its
// id LRUs, up to 10,000 of them. A real node, a scripted peer on the wire, and V8's gc on demand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encodeTx, txId } from '../../../src/core/index.js';
import { toHex } from '../../../src/crypto/index.js';
import type { Peer } from '../../../src/p2p/index.js';
import { testNet, waitUntil } from '../../helpers/node-helpers.js';
import { testAddress, transfer } from '../../helpers/fixtures.js';
import { ScriptedPeer } from '../../helpers/scripted-peer.js';

test('a peer that relayed a gapped tx and left is not kept in memory by the relay', { timeout: 60_000 }, async (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const net = testNet({}, t);
  const node = await net.start();
  let ref: WeakRef<Peer> | undefined;
  node.net.once('peer:connected', (p) => (ref = new WeakRef(p)));
  // Nonce 3 while alice's next is 0: valid, funded, and held apart as gapped.
  const tx = transfer('alice', testAddress('bob'), 5n, 3n, net.genesis.id, 1_000n);
  const id = txId(tx);
  const peer = await ScriptedPeer.connect(node.port, {
    genesis: net.genesis.id,
    script: { getdata: (p, m) => m.items.some((it) => toHex(it.id) === toHex(id)) && p.send({ kind: 'tx', bytes: encodeTx(tx) }) },
  });
  peer.send({ kind: 'inv', items: [{ type: 'tx', id }] });
  await waitUntil('the gapped tx is held', () => node.mempool.gappedSize === 1, 20_000);
  await node.mempool.idle();
  await peer.close();
  await waitUntil('the node saw the peer go', () => node.net.peers().length === 0 && node.net.stats().connections === 0, 20_000);
  assert.ok(ref, 'the peer connected');
  // Timers of the closed socket (close-frame kill timer: 2 s) may hold it briefly: collect until gone, within bounds.
  await waitUntil('the dropped peer is collected', () => {
    gc();
    return ref!.deref() === undefined;
  }, 15_000);
});
