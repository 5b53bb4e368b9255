// Gossip and relay figures in a 12-node network found through Kademlia: block bodies received per
// node per block (each node should fetch a body once), and the time from a block's submission at
// its miner to its connection at the last of the 12 nodes (p50 / p95 over the blocks).
import { blockIdHex } from '../src/core/index.js';
import type { RunningNode } from '../src/node/index.js';
import { childOf, tipEntry } from '../test/helpers/chain-helpers.js';
import { testNet, waitUntil, startMesh } from '../test/helpers/node-helpers.js';

const BLOCKS = 20;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!;
}

export async function benchGossip(): Promise<Record<string, number>> {
  const net = testNet();
  try {
    const nodes = await startMesh(net, 12, 120_000);
    const before = nodes.map((n) => n.gossip.stats.bodiesReceived);
    // Connection times per block id, recorded from each node's own chain event.
    const seen = new Map<string, number[]>();
    const listen = (n: RunningNode): void => void n.chain.on('block', (e) => seen.get(e.id)?.push(performance.now()));
    nodes.forEach(listen);
    const latencies: number[] = [];
    for (let i = 0; i < BLOCKS; i++) {
      const at = nodes[(i * 5) % nodes.length]!;
      const block = await childOf(at.chain, await tipEntry(at.chain), [], BigInt(i));
      const id = blockIdHex(block);
      seen.set(id, []);
      const t0 = performance.now();
      await at.chain.submitBlock(block);
      await waitUntil('propagation', () => nodes.every((n) => n.chain.tip.idHex === id), 60_000, 5);
      latencies.push(Math.max(...seen.get(id)!) - t0);
    }
    const bodies = nodes.reduce((s, n, i) => s + n.gossip.stats.bodiesReceived - before[i]!, 0);
    latencies.sort((a, b) => a - b);
    return {
      'gossip.nodes': nodes.length,
      'gossip.blocks': BLOCKS,
      'gossip.bodiesPerNodePerBlock': Math.round((bodies / BLOCKS / (nodes.length - 1)) * 1000) / 1000,
      'gossip.meanPeers': Math.round((nodes.reduce((s, n) => s + n.net.peers().length, 0) / nodes.length) * 10) / 10,
      'relay.p50Ms': Math.round(percentile(latencies, 0.5) * 10) / 10,
      'relay.p95Ms': Math.round(percentile(latencies, 0.95) * 10) / 10,
    };
  } finally {
    await net.stopAll();
  }
}
