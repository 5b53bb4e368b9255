// Real nodes on 127.0.0.1 (LevelDB in temp dirs, UDP discovery, WebSocket gossip): sync, relay,
// partition and heal, bans that survive restarts, wrong genesis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P2PNetwork } from '../../src/p2p/index.js';
import { encodeBlock, txIdHex, blockIdHex, type Block } from '../../src/core/index.js';
import { generateKeyPair, toHex } from '../../src/crypto/index.js';
import type { RunningNode } from '../../src/node/index.js';
import { transfer, testAddress, buildBlock } from '../helpers/fixtures.js';
import { extend, childOf, tipEntry, tempDir, openChainAt } from '../helpers/chain-helpers.js';
import { testNet, waitUntil, startMesh } from '../helpers/node-helpers.js';

async function mineOn(node: RunningNode, txs = [] as ReturnType<typeof transfer>[], tag = 0n): Promise<Block> {
  const b = await childOf(node.chain, await tipEntry(node.chain), txs, tag);
  const r = await node.chain.submitBlock(b);
  assert.equal(r.status, 'connected', r.reason);
  return b;
}

test('sync: a fresh node syncs 2,000 blocks from one peer', { timeout: 180_000 }, async () => {
  const net = testNet();
  try {
    const dirA = tempDir('kadchain-node-');
    net.dirs.push(dirA);
    const pre = await openChainAt(`${dirA.path}/chain`, net.genesis);
    await extend(pre, 2000);
    const tip = pre.tip.idHex;
    await pre.close();
    const a = await net.start({ dir: dirA });
    assert.equal(a.chain.tip.height, 2000);
    const b = await net.start({ bootstrap: [a] });
    await waitUntil('b synced', () => b.chain.tip.idHex === tip, 150_000, 200);
    assert.equal(b.chain.tip.height, 2000);
  } finally {
    await net.stopAll();
  }
});

test('12 nodes found through Kademlia only: a block reaches all, each body received once; a tx reaches every mempool', { timeout: 180_000 }, async () => {
  const net = testNet();
  try {
    // Everyone connected to the gossip mesh (at least 2 peers each), found from one seed.
    const nodes = await startMesh(net, 12, 90_000);
    const before = nodes.map((n) => n.gossip.stats.bodiesReceived);
    const miner = nodes[5]!;
    const block = await mineOn(miner);
    const id = blockIdHex(block);
    await waitUntil('block everywhere', () => nodes.every((n) => n.chain.tip.idHex === id), 60_000);
    const received = nodes.map((n, i) => n.gossip.stats.bodiesReceived - before[i]!);
    assert.equal(received[5], 0, 'the miner receives its own block back zero times');
    for (const [i, r] of received.entries()) if (i !== 5) assert.equal(r, 1, `node ${i} received the body ${r} times`);

    const tx = transfer('alice', testAddress('bob'), 5n, 0n, net.genesis.id, 1000n); // above the relay fee floor
    const r = await nodes[9]!.mempool.add(tx);
    assert.ok(r.accepted);
    await waitUntil('tx everywhere', () => nodes.every((n) => n.mempool.has(txIdHex(tx))), 60_000);
  } finally {
    await net.stopAll();
  }
});

test('partition and heal: six nodes converge on the most-work chain and no confirmed-then-orphaned tx is lost', { timeout: 180_000 }, async () => {
  const net = testNet();
  try {
    const a0 = await net.start();
    const groupA = [a0, await net.start({ bootstrap: [a0] }), await net.start({ bootstrap: [a0] })];
    const b0 = await net.start();
    const groupB = [b0, await net.start({ bootstrap: [b0] }), await net.start({ bootstrap: [b0] })];
    await waitUntil('groups meshed', () => [...groupA, ...groupB].every((n) => n.net.peers().length >= 2), 60_000, 100);
    // Group A confirms a tx in a short branch; group B mines a longer one without it.
    const tx = transfer('alice', testAddress('carol'), 7n, 0n, net.genesis.id, 1000n); // above the relay fee floor
    await mineOn(groupA[1]!, [tx], 1n);
    await mineOn(groupA[1]!, [], 1n);
    for (let i = 0; i < 4; i++) await mineOn(groupB[2]!, [], 2n);
    await waitUntil('A agrees', () => groupA.every((n) => n.chain.tip.height === 2), 30_000);
    await waitUntil('B agrees', () => groupB.every((n) => n.chain.tip.height === 4), 30_000);
    assert.ok(await groupA[0]!.chain.getTx(txIdHex(tx)));
    // Heal: one link between the groups.
    await groupA[0]!.net.connect('127.0.0.1', groupB[0]!.port);
    const bTip = groupB[0]!.chain.tip.idHex;
    await waitUntil('all six on B\'s chain', () => [...groupA, ...groupB].every((n) => n.chain.tip.idHex === bTip), 60_000);
    // The tx confirmed on A's orphaned branch is back in A's mempools (and relayed onwards).
    await waitUntil('tx back in mempools', () => groupA.every((n) => n.mempool.has(txIdHex(tx))), 30_000);
    await mineOn(groupB[0]!, [tx], 3n);
    await waitUntil('tx re-confirmed everywhere', async () => (await Promise.all([...groupA, ...groupB].map((n) => n.chain.getTx(txIdHex(tx))))).every(Boolean), 30_000);
  } finally {
    await net.stopAll();
  }
});

test('a peer sending an invalid block is banned, and stays banned after a restart; wrong genesis is refused', { timeout: 120_000 }, async () => {
  const net = testNet();
  const other = testNet({ network: 'elsewhere' });
  const key = generateKeyPair();
  let attacker: P2PNetwork | undefined;
  try {
    const dir = tempDir('kadchain-node-');
    net.dirs.push(dir);
    let victim = await net.start({ dir });
    attacker = new P2PNetwork({ secretKey: key.secretKey, genesis: net.genesis.id, host: '127.0.0.1', port: 0, getTip: () => ({ id: net.genesis.id, height: 0, work: 1n }) });
    await attacker.start();
    const peer = await attacker.connect('127.0.0.1', victim.port);
    assert.ok(peer, 'attacker connects before misbehaving');
    // A block whose coinbase overpays: well-formed, real work, consensus-invalid.
    const good = await childOf(victim.chain, await tipEntry(victim.chain));
    const bad = buildBlock({ parent: { id: net.genesis.id, height: 0, timestamp: net.genesis.params.timestamp }, target: net.genesis.params.initialTarget, params: net.genesis.params, miner: testAddress('x') });
    const cb = { ...bad.txs[0]!, amount: 10n ** 15n } as Block['txs'][0];
    const { blockMerkleRoot } = await import('../../src/core/index.js');
    const { mineHeader } = await import('../helpers/fixtures.js');
    const invalid: Block = { header: mineHeader({ ...bad.header, merkleRoot: blockMerkleRoot([cb]) }), txs: [cb] };
    const closed = new Promise<void>((r) => attacker!.once('peer:disconnected', () => r()));
    attacker.send(peer!, { kind: 'block', bytes: encodeBlock(invalid) });
    await closed;
    await waitUntil('ban recorded', () => victim.net.bannedList().length === 1, 10_000);
    assert.equal(victim.chain.tip.height, 0);
    void good;
    // Restart the victim on the same data dir: the ban is still there.
    await victim.stop();
    net.nodes = net.nodes.filter((n) => n !== victim);
    victim = await net.start({ dir });
    assert.equal(victim.net.bannedList().length, 1);
    assert.equal(await attacker.connect('127.0.0.1', victim.port), undefined);
    assert.equal(victim.net.peers().length, 0);
    // A node of another network is refused at the handshake.
    const stranger = await other.start();
    assert.equal(await stranger.net.connect('127.0.0.1', victim.port), undefined);
    assert.equal(victim.net.peers().length, 0);
    void toHex;
  } finally {
    await attacker?.stop();
    await net.stopAll();
    await other.stopAll();
  }
});
