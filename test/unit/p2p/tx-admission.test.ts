// Transaction work a peer can make a node do (issue 15, items 4 and 5), against a real node on
// 127.0.0.1 and scripted peers on the wire: an `inv` flood of tx ids is fetched within the request
// tracker's in-flight cap and tx queue bound, and a flood of validly signed but unfunded
// transactions is validated only up to the peer's admission budget and charged to it, while an
// honest peer's transaction is still accepted and relayed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeTx, txId, type TransferTx } from '../../../src/core/index.js';
import { sha256, toHex } from '../../../src/crypto/index.js';
import { TxAdmissionBudget, type RunningNode } from '../../../src/node/index.js';
import type { Message } from '../../../src/p2p/index.js';
import { testNet, waitUntil } from '../../helpers/node-helpers.js';
import { testAddress, transfer, prng } from '../../helpers/fixtures.js';
import { ScriptedPeer } from '../../helpers/scripted-peer.js';
import { randomBytesFrom } from './helpers.js';

/** Items of every getdata the node sent this peer. */
function getdataItems(p: ScriptedPeer): number {
  return p.received.reduce((n, m: Message) => n + (m.kind === 'getdata' ? m.items.length : 0), 0);
}

/** Pings until one full round brings no new getdata: every notfound/tx we sent has been acted on. */
async function quiesce(p: ScriptedPeer): Promise<void> {
  let before = -1;
  for (let i = 0; i < 200; i++) {
    const nonce = 1_000n + BigInt(i);
    p.send({ kind: 'ping', nonce });
    await p.next('pong', (m) => m.kind === 'pong' && m.nonce === nonce, 10_000);
    const now = getdataItems(p);
    if (now === before) return;
    before = now;
  }
  throw new Error('the node kept asking');
}

function peerScore(node: RunningNode, p: ScriptedPeer): number | undefined {
  const id = toHex(sha256(p.key.publicKey));
  return node.net.peers().find((x) => x.id === id)?.score;
}

test('inv flood of tx ids: an inv of 2,000 tx ids gets at most the in-flight cap at once, and at most cap + queue bound in all', { timeout: 60_000 }, async (t) => {
  const net = testNet({}, t);
  const node = await net.start({ p2pLimits: { maxInflightTxsPerPeer: 64, maxQueuedTxsPerPeer: 200 } });
  // Answers every getdata with notfound, which frees the slots and lets queued requests go out.
  const peer = await ScriptedPeer.connect(node.port, { genesis: net.genesis.id });
  t.after(() => peer.close());
  const rnd = prng(15_04);
  const ids = Array.from({ length: 2_000 }, () => randomBytesFrom(rnd, 32));
  peer.send({ kind: 'inv', items: ids.map((id) => ({ type: 'tx' as const, id })) });

  const first = await peer.next('getdata');
  assert.ok(first.items.length <= 64, `first getdata holds ${first.items.length} items, cap 64`);
  await quiesce(peer);
  const total = getdataItems(peer);
  // Old code: the queue held all 2,000 (50,000 bound), so notfound answers drained the whole flood.
  assert.ok(total <= 64 + 200, `${total} tx ids requested in all; at most 264`);
  assert.ok(total >= 64, 'the node still fetches what fits');
  assert.ok(peer.isOpen, 'an inv flood of unknown txs is dropped, not punished with a disconnect');
});

test('unfunded tx flood: validated only up to the peer budget, charged, and an honest tx still goes through', { timeout: 60_000 }, async (t) => {
  const net = testNet({}, t);
  const budget = 40;
  // A budget that does not refill within the test: what is validated is exactly what it allows.
  const node = await net.start({ txAdmission: { burst: budget, refillEveryMs: 3_600_000 } });
  const flood: TransferTx[] = Array.from({ length: 300 }, (_, i) => transfer(`mallory-${i}`, testAddress('bob'), 10n, 0n, net.genesis.id, 1000n));
  const byId = new Map(flood.map((tx) => [toHex(txId(tx)), tx]));
  const attacker = await ScriptedPeer.connect(node.port, {
    genesis: net.genesis.id,
    script: {
      getdata: (p, m) => {
        for (const it of m.items) {
          const tx = byId.get(toHex(it.id));
          if (tx) p.send({ kind: 'tx', bytes: encodeTx(tx) });
        }
      },
    },
  });
  t.after(() => attacker.close());
  const started = node.gossip.stats.txsValidated;
  for (let i = 0; i < flood.length; i += 100) attacker.send({ kind: 'inv', items: flood.slice(i, i + 100).map((tx) => ({ type: 'tx' as const, id: txId(tx) })) });
  await quiesce(attacker);
  await node.mempool.idle();

  const validated = node.gossip.stats.txsValidated - started;
  assert.ok(validated <= budget, `${validated} unfunded txs validated; the budget is ${budget}`);
  assert.ok(validated > 0, 'the budget is spent on validation');
  assert.ok(node.gossip.stats.txsOverBudget >= flood.length - budget, `${node.gossip.stats.txsOverBudget} dropped unchecked`);
  assert.equal(node.mempool.size, 0, 'nothing unfunded entered the pool');
  // Old code: no charge for unfunded txs, whatever their number.
  const score = peerScore(node, attacker);
  assert.ok(score !== undefined && score >= validated, `the attacker was charged (score ${score})`);

  // An honest peer's funded tx is still fetched, accepted and relayed (to the attacker too).
  const honestTx = transfer('alice', testAddress('bob'), 5n, 0n, net.genesis.id, 1000n);
  const honestId = txId(honestTx);
  const honest = await ScriptedPeer.connect(node.port, {
    genesis: net.genesis.id,
    script: { getdata: (p, m) => m.items.some((it) => toHex(it.id) === toHex(honestId)) && p.send({ kind: 'tx', bytes: encodeTx(honestTx) }) },
  });
  t.after(() => honest.close());
  honest.send({ kind: 'inv', items: [{ type: 'tx', id: honestId }] });
  await waitUntil('honest tx in the mempool', () => node.mempool.isReady(toHex(honestId)), 20_000);
  const relayed = await attacker.next('inv', (m) => m.kind === 'inv' && m.items.some((it) => toHex(it.id) === toHex(honestId)), 20_000);
  assert.ok(relayed, 'the honest tx was relayed onwards');
});

test('tx admission budget: spent tokens refill over time up to the burst; the peer table is capped', () => {
  let now = 0;
  const b = new TxAdmissionBudget({ burst: 3, refillEveryMs: 100, maxPeers: 2 }, () => now);
  assert.deepEqual([b.take('p'), b.take('p'), b.take('p'), b.take('p')], [true, true, true, false], 'a burst, then nothing');
  now += 250;
  assert.equal(b.available('p'), 2, 'two tokens back after 250 ms');
  now += 10_000;
  assert.equal(b.available('p'), 3, 'never above the burst');
  b.take('q');
  b.take('r');
  assert.equal(b.size, 2, 'the least recently active peer is forgotten');
});
