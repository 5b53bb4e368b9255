// A sync's start-up on the real wire protocol: the verify workers start with the node's sync
// service (as Core starts its script-check threads at init), so they boot and warm up while peers
// are dialled and handshaken; a peer's arrival never triggers a spawn, so nothing sits between the
// handshake and the first getheaders, and the first bodies find the workers ready.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { addressFromPublicKey } from '../../../src/core/index.js';
import { toHex } from '../../../src/crypto/index.js';
import { ScriptedPeer } from '../../helpers/scripted-peer.js';
import { testNet, waitUntil } from '../../helpers/node-helpers.js';
import { offlineBranch } from '../../helpers/chain-helpers.js';
import { testAddress, testKey, transfer } from '../../helpers/fixtures.js';

const BLOCKS = 12;
/** Above the verifier's inline threshold, so each block's signatures go to the workers. */
const TXS = 40;
const noWorkers = availableParallelism() < 2 ? 'one core: signatures are verified inline, no workers' : false;

test('verify workers start with the sync service: spawned and warmed at node start, before any peer connects', { skip: noWorkers }, async (t) => {
  const net = testNet({}, t);
  const node = await net.start();
  assert.ok(node.net.peers().length === 0, 'no peer yet');
  await waitUntil('verify workers ready with no peer', () => node.chain.verifyWorkers.ready > 0 && node.chain.verifyWorkers.ready === node.chain.verifyWorkers.spawned, 30_000, 10);
  assert.equal(node.chain.verifyWorkers.spawned, availableParallelism() - 1, 'one worker per core but this one');
});

test('verify workers online before the first body arrives: spawned before the first getheaders, ready before the first body, never respawned', { skip: noWorkers }, async (t) => {
  const net = testNet({ alloc: [{ address: addressFromPublicKey(testKey('alice').publicKey), amount: 10n ** 15n }] }, t);
  let nonce = 0n;
  const blocks = offlineBranch(net.genesis, BLOCKS, 0n, () => Array.from({ length: TXS }, (_, i) => transfer('alice', testAddress('r' + (i % 7)), 1_000n, nonce++, net.genesis.id, 1n)));
  const victim = await net.start();
  // A started node waits for its peers (dialling, discovery): its workers boot meanwhile.
  await waitUntil('verify workers ready', () => victim.chain.verifyWorkers.ready === victim.chain.verifyWorkers.spawned && victim.chain.verifyWorkers.spawned > 0, 30_000, 10);
  const spawnedAtStart = victim.chain.verifyWorkers.spawned;
  const order: string[] = [];
  const workers = (): string => `${victim.chain.verifyWorkers.ready}/${victim.chain.verifyWorkers.spawned} ready`;
  const exchange = victim.net.exchange.bind(victim.net);
  victim.net.exchange = ((peer, m) => {
    order.push(`${m.kind} (${workers()})`);
    return exchange(peer, m as Parameters<typeof exchange>[1] & { kind: 'getheaders' });
  }) as typeof victim.net.exchange;
  victim.net.on('message', (_p, m) => {
    if (m.kind === 'block' && !order.some((x) => x.startsWith('first body'))) order.push(`first body (${workers()})`);
  });
  const tip = ScriptedPeer.tipOf(net.genesis.id, victim.chain.tip.work, blocks);
  const peer = await ScriptedPeer.connect(victim.port, { genesis: net.genesis.id, blocks, tip });
  t.after(() => peer.close());
  await waitUntil('victim at the tip', () => victim.chain.tip.idHex === toHex(tip.id), 30_000, 10);
  const all = `${spawnedAtStart}/${spawnedAtStart} ready`;
  assert.deepEqual(order.slice(0, 2), [`getheaders (${all})`, `first body (${all})`], `workers ready at the ask and at the first body (order: ${order.join(', ')})`);
  assert.equal(victim.chain.verifyWorkers.spawned, spawnedAtStart, 'the sync spawned no more workers');
});
