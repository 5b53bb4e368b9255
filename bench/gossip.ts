// Gossip and relay figures in a 12-node network found through Kademlia, every node its own process
// (as on a real network: its own event loop, store and GC): block bodies received per node per
// block (each node should fetch a body once), and the time from a block's submission at its miner
// to its connection at the last of the 12 nodes (p50 / p95 over the blocks). Every process stamps
// its events with the machine's wall clock (performance.timeOrigin + now), so times compare.
import { testNet, waitUntil } from '../test/helpers/node-helpers.js';
import { tempDir } from '../test/helpers/cleanup.js';
import type { ChildReport } from './node-child.js';
import { ChildNode, stopChildren } from './child-nodes.js';

const NODES = 12;
const BLOCKS = 20;
/** A node's outbound target: the mesh is settled once every node has at least this many peers. */
const SETTLED_PEERS = 8;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!;
}

type Mined = Extract<ChildReport, { type: 'mined' }>;

export async function benchGossip(): Promise<Record<string, number>> {
  const net = testNet();
  const nodes: ChildNode[] = [];
  try {
    const start = async (bootstrap: string[]): Promise<ChildNode> => {
      const dir = tempDir('kadchain-bench-');
      net.dirs.push(dir);
      const c = await ChildNode.start({ dataDir: dir.path, genesisFile: net.genesisFile, bootstrap });
      nodes.push(c);
      return c;
    };
    // Only the seed is known to the others: the mesh is built by Kademlia discovery alone.
    const seed = await start([]);
    for (let i = 1; i < NODES; i++) await start([`127.0.0.1:${seed.port}`]);
    let stats = await Promise.all(nodes.map((n) => n.stats()));
    // Measured on a settled mesh (every node at its outbound target of 8 peers or more), not while
    // discovery and handshakes still load the two cores: relay latency is a steady-state figure.
    // If discovery never settles it, measure what there is (every node with a few peers) and say
    // so in gossip.meshSettled, rather than print nothing.
    let meshSettled = 1;
    await waitUntil('mesh', async () => (stats = await Promise.all(nodes.map((n) => n.stats()))).every((s) => s.peers >= SETTLED_PEERS), 60_000, 200).catch(() => {
      meshSettled = 0;
    });
    if (!meshSettled) await waitUntil('mesh (partial)', async () => (stats = await Promise.all(nodes.map((n) => n.stats()))).every((s) => s.peers >= 2), 60_000, 200);
    const before = stats.map((s) => s.bodiesReceived);
    const latencies: number[] = [];
    for (let i = 0; i < BLOCKS; i++) {
      const at = nodes[(i * 5) % nodes.length]!;
      // The id is known only once the child built the block: collect every report, keep this one's.
      const arrivals: { node: number; id: string; at: number }[] = [];
      const off = nodes.map((n, node) => n.on((r) => void (r.type === 'block' && arrivals.push({ node, id: r.id, at: r.at }))));
      const mined = await at.request({ cmd: 'mine', tag: String(i) }, (r): r is Mined => r.type === 'mined');
      if (mined.status !== 'connected') throw new Error(`bench block not connected at its miner: ${mined.status}`);
      // Each node's first connection of this block (a node reports a block once; a Map makes sure).
      const arrivedAt = (): Map<number, number> => {
        const first = new Map<number, number>();
        for (const a of arrivals) if (a.id === mined.id && !first.has(a.node)) first.set(a.node, a.at);
        return first;
      };
      await waitUntil('propagation', () => arrivedAt().size >= nodes.length, 60_000, 2);
      off.forEach((f) => f());
      latencies.push(Math.max(...arrivedAt().values()) - mined.at);
    }
    stats = await Promise.all(nodes.map((n) => n.stats()));
    const bodies = stats.reduce((s, st, i) => s + st.bodiesReceived - before[i]!, 0);
    latencies.sort((a, b) => a - b);
    return {
      'gossip.nodes': nodes.length,
      'gossip.blocks': BLOCKS,
      'gossip.bodiesPerNodePerBlock': Math.round((bodies / BLOCKS / (nodes.length - 1)) * 1000) / 1000,
      'gossip.meshSettled': meshSettled,
      'gossip.meanPeers': Math.round((stats.reduce((s, st) => s + st.peers, 0) / nodes.length) * 10) / 10,
      'relay.p50Ms': Math.round(percentile(latencies, 0.5) * 10) / 10,
      'relay.p95Ms': Math.round(percentile(latencies, 0.95) * 10) / 10,
    };
  } finally {
    await stopChildren(nodes);
    await net.stopAll();
  }
}
