// Discovery end to end through real nodes: two networks (different genesis) sharing one bootstrap
// find peers of their own network through the network record in the DHT; and two nodes on ::1
// (IPv6 loopback) discover each other, connect over WebSocket and relay a mined block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNode, type RunningNode } from '../../src/node/index.js';
import { silentLogger } from '../../src/log/index.js';
import { childOf, tipEntry, tempDir } from '../helpers/chain-helpers.js';
import { testNet, waitUntil } from '../helpers/node-helpers.js';

async function mineOn(node: RunningNode): Promise<string> {
  const b = await childOf(node.chain, await tipEntry(node.chain), [], 1n);
  const r = await node.chain.submitBlock(b);
  assert.equal(r.status, 'connected', r.reason);
  return node.chain.tip.idHex;
}

test('two networks sharing one bootstrap: every node connects only to peers of its own network, few wrong-genesis refusals', { timeout: 180_000 }, async () => {
  const netA = testNet();
  const netB = testNet({ network: 'kadchain-test-b' });
  assert.notEqual(netA.genesis.idHex, netB.genesis.idHex);
  const refusals: string[] = [];
  const watch = (n: RunningNode): RunningNode => {
    n.net.on('peer:refused', (r) => { if (r.reason === 'wrong-genesis' && r.direction === 'outbound') refusals.push(r.host); });
    return n;
  };
  try {
    const boot = watch(await netA.start());
    const a = [boot, watch(await netA.start({ bootstrap: [boot] })), watch(await netA.start({ bootstrap: [boot] }))];
    const b = [watch(await netB.start({ bootstrap: [boot] })), watch(await netB.start({ bootstrap: [boot] })), watch(await netB.start({ bootstrap: [boot] }))];
    const genesisOf = new Map<string, string>();
    for (const n of a) genesisOf.set(n.nodeId, 'A');
    for (const n of b) genesisOf.set(n.nodeId, 'B');
    await waitUntil('every node has two peers', () => [...a, ...b].every((n) => n.net.peers().length >= 2), 120_000, 100);
    for (const n of a) for (const p of n.net.peers()) assert.equal(genesisOf.get(p.id!), 'A', 'A node connected to A only');
    for (const n of b) for (const p of n.net.peers()) assert.equal(genesisOf.get(p.id!), 'B', 'B node connected to B only');
    // The B nodes found each other through the network record, not by dialling everyone: the
    // refusals are their dials of the shared bootstrap (3), and at most a few more.
    assert.ok(refusals.length <= 6, `wrong-genesis refusals: ${refusals.length}`);
  } finally {
    await netA.stopAll();
    await netB.stopAll();
  }
});

test('IPv6 on ::1: discovery, a WebSocket connection and a mined block reaching the other node', { timeout: 120_000 }, async () => {
  const net = testNet();
  const dirs = [tempDir('kadchain-v6-'), tempDir('kadchain-v6-')];
  const nodes: RunningNode[] = [];
  const start = async (dir: string, bootstrap: string[]): Promise<RunningNode> => {
    const n = await startNode({
      dataDir: dir, genesisPath: net.genesisFile, host: '::1', port: 0, apiHost: '127.0.0.1', apiPort: 0, bootstrap, mine: false,
      threads: 1, logLevel: 'silent', logger: silentLogger, p2pLimits: { dialIntervalMs: 200 }, kadRefreshIntervalMs: 2000,
    });
    nodes.push(n);
    return n;
  };
  try {
    const a = await start(dirs[0]!.path, []);
    const b = await start(dirs[1]!.path, [`[::1]:${a.port}`]);
    assert.equal(a.kad.host, '::1');
    await waitUntil('discovery over ::1', () => a.kad.table.has(b.kad.idHex) && b.kad.table.has(a.kad.idHex), 60_000, 50);
    assert.equal(a.kad.table.get(b.kad.idHex)!.host, '::1');
    await waitUntil('WebSocket peers', () => a.net.peers().length >= 1 && b.net.peers().length >= 1, 60_000, 50);
    const tip = await mineOn(a);
    await waitUntil('block on the other node', () => b.chain.tip.idHex === tip, 60_000, 50);
  } finally {
    for (const n of nodes) await n.stop();
    for (const d of dirs) d.cleanup();
    await net.stopAll();
  }
});
